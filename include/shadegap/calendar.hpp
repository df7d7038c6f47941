// Civil dates and clock times without a time zone: day counts, parsing and ISO 8601 text.
// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <string>

namespace shadegap {

constexpr std::int64_t seconds_per_day = 86400;

/// A day of the proleptic Gregorian calendar.
struct CivilDate {
    int year = 1970;
    int month = 1;  ///< 1–12
    int day = 1;    ///< 1–31
};

/// A calendar date with a clock time, without a time zone.
struct LocalDateTime {
    CivilDate date;
    int hour = 0;    ///< 0–23
    int minute = 0;  ///< 0–59
    int second = 0;  ///< 0–59
};

/// Days from 1970-01-01 to `date` (negative before it).
std::int64_t days_from_civil(const CivilDate& date);
/// The date `days` days after 1970-01-01.
CivilDate civil_from_days(std::int64_t days);
/// Seconds from 1970-01-01T00:00:00 to `time`, reading its fields as if they were UTC.
std::int64_t seconds_of(const LocalDateTime& time);
/// The inverse of seconds_of().
LocalDateTime local_date_time_of(std::int64_t seconds);
/// Whether `date` exists (month 1–12, day within the month, leap years counted).
bool is_valid_date(const CivilDate& date);

/// An inclusive range of days.
struct DateRange {
    CivilDate first;
    CivilDate last;
};

/// Clock times of a day: from start to end inclusive, in minutes after midnight (0–1439).
struct ClockWindow {
    int start_minute = 0;
    int end_minute = 0;
};

/// The parsers below throw UsageError whose subject is `subject`: the configuration key the
/// text came from ("date", "time", "at": the keys of shade_keys() and sun_keys() in
/// options.hpp, which the CLI shows as "--date", "--time", "--at"), or a file.
///
/// Parses "YYYY-MM-DD". Throws UsageError (subject `subject`) quoting the text.
CivilDate parse_date(const std::string& text, const std::string& subject);
/// Parses "YYYY-MM-DD" or "YYYY-MM-DD..YYYY-MM-DD" (first ≤ last). Throws UsageError.
DateRange parse_date_range(const std::string& text, const std::string& subject);
/// Parses "HH:MM" (start = end) or "HH:MM-HH:MM" (start ≤ end; 24-hour clock). Throws UsageError.
ClockWindow parse_clock_window(const std::string& text, const std::string& subject);
/// Parses "YYYY-MM-DDTHH:MM" or "YYYY-MM-DDTHH:MM:SS". Throws UsageError.
LocalDateTime parse_local_date_time(const std::string& text, const std::string& subject);

/// "2024-07-15T14:00:00-04:00": the local time with its offset (ISO 8601).
std::string format_local_time(const LocalDateTime& time, int offset_seconds);
/// "2024-07-15T18:00:00Z".
std::string format_utc_time(std::int64_t utc_seconds);

}  // namespace shadegap
