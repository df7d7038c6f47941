// Civil dates and clock times: day counts in the proleptic Gregorian calendar, strict parsing, ISO 8601 text.
// SPDX-License-Identifier: MIT
#include "shadegap/calendar.hpp"

#include "shadegap/error.hpp"

#include <fmt/format.h>

#include <cstdlib>
#include <optional>
#include <regex>

namespace shadegap {

namespace {

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
    std::int64_t q = a / b;
    if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
    return q;
}

bool is_leap_year(int year) { return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0; }

int days_in_month(int year, int month) {
    static const int lengths[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (month == 2 && is_leap_year(year)) return 29;
    return lengths[month - 1];
}

std::string quoted(const std::string& text) { return "'" + text + "'"; }

}  // namespace

// Days are counted in 400-year cycles starting on 1 March, so that the leap day ends a year.
std::int64_t days_from_civil(const CivilDate& date) {
    const std::int64_t year = date.year - (date.month <= 2 ? 1 : 0);
    const std::int64_t cycle = floor_div(year, 400);
    const std::int64_t year_of_cycle = year - cycle * 400;
    const std::int64_t month_from_march = (date.month + 9) % 12;
    const std::int64_t day_of_year = (153 * month_from_march + 2) / 5 + date.day - 1;
    const std::int64_t day_of_cycle =
        year_of_cycle * 365 + year_of_cycle / 4 - year_of_cycle / 100 + day_of_year;
    return cycle * 146097 + day_of_cycle - 719468;
}

CivilDate civil_from_days(std::int64_t days) {
    const std::int64_t shifted = days + 719468;
    const std::int64_t cycle = floor_div(shifted, 146097);
    const std::int64_t day_of_cycle = shifted - cycle * 146097;
    const std::int64_t year_of_cycle =
        (day_of_cycle - day_of_cycle / 1460 + day_of_cycle / 36524 - day_of_cycle / 146096) / 365;
    const std::int64_t day_of_year = day_of_cycle - (365 * year_of_cycle + year_of_cycle / 4 - year_of_cycle / 100);
    const std::int64_t month_from_march = (5 * day_of_year + 2) / 153;
    CivilDate date;
    date.day = static_cast<int>(day_of_year - (153 * month_from_march + 2) / 5 + 1);
    date.month = static_cast<int>(month_from_march < 10 ? month_from_march + 3 : month_from_march - 9);
    date.year = static_cast<int>(year_of_cycle + cycle * 400 + (date.month <= 2 ? 1 : 0));
    return date;
}

std::int64_t seconds_of(const LocalDateTime& time) {
    return days_from_civil(time.date) * seconds_per_day + time.hour * 3600 + time.minute * 60 + time.second;
}

LocalDateTime local_date_time_of(std::int64_t seconds) {
    const std::int64_t days = floor_div(seconds, seconds_per_day);
    const std::int64_t rest = seconds - days * seconds_per_day;
    LocalDateTime time;
    time.date = civil_from_days(days);
    time.hour = static_cast<int>(rest / 3600);
    time.minute = static_cast<int>(rest % 3600 / 60);
    time.second = static_cast<int>(rest % 60);
    return time;
}

bool is_valid_date(const CivilDate& date) {
    return date.month >= 1 && date.month <= 12 && date.day >= 1 && date.day <= days_in_month(date.year, date.month);
}

// ---------------------------------------------------------------------------------------------
// Dates and clock times on the command line

CivilDate parse_date(const std::string& text, const std::string& subject) {
    static const std::regex pattern(R"(^(\d{4})-(\d{2})-(\d{2})$)");
    std::smatch match;
    if (!std::regex_match(text, match, pattern))
        throw UsageError(subject, fmt::format("expected a date YYYY-MM-DD, got {}", quoted(text)));
    const CivilDate date{std::stoi(match[1]), std::stoi(match[2]), std::stoi(match[3])};
    if (!is_valid_date(date)) throw UsageError(subject, fmt::format("{} is not a day of the calendar", quoted(text)));
    return date;
}

DateRange parse_date_range(const std::string& text, const std::string& subject) {
    const auto dots = text.find("..");
    if (dots == std::string::npos) {
        const CivilDate date = parse_date(text, subject);
        return {date, date};
    }
    DateRange range{parse_date(text.substr(0, dots), subject), parse_date(text.substr(dots + 2), subject)};
    if (days_from_civil(range.last) < days_from_civil(range.first))
        throw UsageError(subject, fmt::format("the range {} ends before it starts", quoted(text)));
    return range;
}

namespace {

std::optional<int> parse_clock_minute(const std::string& text) {
    static const std::regex pattern(R"(^(\d{1,2}):(\d{2})$)");
    std::smatch match;
    if (!std::regex_match(text, match, pattern)) return std::nullopt;
    const int hour = std::stoi(match[1]);
    const int minute = std::stoi(match[2]);
    if (hour > 23 || minute > 59) return std::nullopt;
    return hour * 60 + minute;
}

}  // namespace

ClockWindow parse_clock_window(const std::string& text, const std::string& subject) {
    const auto dash = text.find('-');
    const auto start = parse_clock_minute(text.substr(0, dash));
    const auto end = dash == std::string::npos ? start : parse_clock_minute(text.substr(dash + 1));
    if (!start || !end)
        throw UsageError(subject, fmt::format("expected a clock time HH:MM or a window HH:MM-HH:MM (00:00 to "
                                              "23:59), got {}", quoted(text)));
    if (*end < *start) {
        UsageError error(subject, fmt::format("the window {} ends before it starts", quoted(text)));
        error.with_hint("a window cannot pass midnight; sample the two parts in two runs");
        throw error;
    }
    return {*start, *end};
}

LocalDateTime parse_local_date_time(const std::string& text, const std::string& subject) {
    static const std::regex pattern(R"(^(\d{4}-\d{2}-\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$)");
    std::smatch match;
    if (!std::regex_match(text, match, pattern))
        throw UsageError(subject, fmt::format("expected YYYY-MM-DDTHH:MM or YYYY-MM-DDTHH:MM:SS, got {}", quoted(text)));
    LocalDateTime time;
    time.date = parse_date(match[1], subject);
    time.hour = std::stoi(match[2]);
    time.minute = std::stoi(match[3]);
    time.second = match[4].matched ? std::stoi(match[4]) : 0;
    if (time.hour > 23 || time.minute > 59 || time.second > 59)
        throw UsageError(subject, fmt::format("{} is not a clock time", quoted(text)));
    return time;
}

std::string format_local_time(const LocalDateTime& time, int offset_seconds) {
    const char sign = offset_seconds < 0 ? '-' : '+';
    const int magnitude = std::abs(offset_seconds);
    return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}{}{:02}:{:02}", time.date.year, time.date.month,
                       time.date.day, time.hour, time.minute, time.second, sign, magnitude / 3600,
                       magnitude % 3600 / 60);
}

std::string format_utc_time(std::int64_t utc_seconds) {
    const LocalDateTime time = local_date_time_of(utc_seconds);
    return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", time.date.year, time.date.month, time.date.day,
                       time.hour, time.minute, time.second);
}

}  // namespace shadegap
