// Sun positions from the NOAA solar-position equations; civil dates, time zones from TZif files.
// SPDX-License-Identifier: MIT
#include "shadegap/sun.hpp"

#include "shadegap/error.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <regex>
#include <set>

namespace shadegap {

namespace {

constexpr double pi = 3.14159265358979323846;
constexpr std::int64_t seconds_per_day = 86400;

double radians(double degrees) { return degrees * pi / 180; }
double degrees(double radians_value) { return radians_value * 180 / pi; }

/// x mod m in [0, m) for doubles.
double wrap(double x, double m) {
    const double r = std::fmod(x, m);
    return r < 0 ? r + m : r;
}

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
// Time zones

namespace {

/// A POSIX TZ rule (the footer of a TZif file): standard offset, and optionally a
/// daylight-saving offset with the local dates and times it starts and ends.
struct PosixRule {
    struct Date {
        char kind = 'M';  ///< 'M' month.week.weekday, 'J' Julian day 1–365 without Feb 29, 'N' day 0–365
        int month = 0, week = 0, weekday = 0, day = 0;
        int time_seconds = 7200;  ///< local time of the change; may be negative or past 24 h
    };
    int std_offset = 0;  ///< seconds east of UTC
    bool has_dst = false;
    int dst_offset = 0;
    Date start;
    Date end;

    std::int64_t day_of(int year, const Date& date) const {
        const std::int64_t jan1 = days_from_civil({year, 1, 1});
        if (date.kind == 'J') return jan1 + date.day - 1 + (is_leap_year(year) && date.day >= 60 ? 1 : 0);
        if (date.kind == 'N') return jan1 + date.day;
        const std::int64_t first = days_from_civil({year, date.month, 1});
        const int weekday_of_first = static_cast<int>(((first + 4) % 7 + 7) % 7);  // 1970-01-01 was a Thursday
        int day = 1 + (date.weekday - weekday_of_first + 7) % 7 + (date.week - 1) * 7;
        while (day > days_in_month(year, date.month)) day -= 7;
        return first + day - 1;
    }

    int offset_at(std::int64_t utc) const {
        if (!has_dst) return std_offset;
        const int year = civil_from_days(floor_div(utc + std_offset, seconds_per_day)).year;
        const std::int64_t start_utc = day_of(year, start) * seconds_per_day + start.time_seconds - std_offset;
        const std::int64_t end_utc = day_of(year, end) * seconds_per_day + end.time_seconds - dst_offset;
        const bool in_dst = start_utc < end_utc ? (utc >= start_utc && utc < end_utc)
                                                : !(utc >= end_utc && utc < start_utc);
        return in_dst ? dst_offset : std_offset;
    }
};

/// Reads a POSIX TZ string such as "EST5EDT,M3.2.0,M11.1.0" or "<+1030>-10:30<+11>-11,M10.1.0,M4.1.0".
class PosixParser {
public:
    explicit PosixParser(const std::string& text) : m_text(text) {}

    std::optional<PosixRule> parse() {
        PosixRule rule;
        if (!skip_name()) return std::nullopt;
        const auto std_offset = read_time();
        if (!std_offset) return std::nullopt;
        rule.std_offset = -*std_offset;  // POSIX counts hours west of Greenwich
        if (at_end()) return rule;
        if (!skip_name()) return std::nullopt;
        rule.has_dst = true;
        rule.dst_offset = rule.std_offset + 3600;
        if (!at_end() && peek() != ',') {
            const auto dst_offset = read_time();
            if (!dst_offset) return std::nullopt;
            rule.dst_offset = -*dst_offset;
        }
        if (at_end()) {
            // POSIX leaves the default rule to the implementation; this is the US rule.
            rule.start = {'M', 3, 2, 0, 0, 7200};
            rule.end = {'M', 11, 1, 0, 0, 7200};
            return rule;
        }
        if (peek() != ',') return std::nullopt;
        ++m_pos;
        if (!read_date(rule.start)) return std::nullopt;
        if (at_end() || peek() != ',') return std::nullopt;
        ++m_pos;
        if (!read_date(rule.end)) return std::nullopt;
        if (!at_end()) return std::nullopt;
        return rule;
    }

private:
    bool at_end() const { return m_pos >= m_text.size(); }
    char peek() const { return m_text[m_pos]; }

    bool skip_name() {
        if (at_end()) return false;
        if (peek() == '<') {
            const auto close = m_text.find('>', m_pos);
            if (close == std::string::npos) return false;
            m_pos = close + 1;
            return true;
        }
        const std::size_t begin = m_pos;
        while (!at_end() && std::isalpha(static_cast<unsigned char>(peek()))) ++m_pos;
        return m_pos - begin >= 3;
    }

    std::optional<int> read_number() {
        const std::size_t begin = m_pos;
        int value = 0;
        while (!at_end() && std::isdigit(static_cast<unsigned char>(peek()))) {
            value = value * 10 + (peek() - '0');
            ++m_pos;
            if (m_pos - begin > 4) return std::nullopt;
        }
        if (m_pos == begin) return std::nullopt;
        return value;
    }

    /// [+|-]hh[:mm[:ss]] in seconds.
    std::optional<int> read_time() {
        int sign = 1;
        if (!at_end() && (peek() == '+' || peek() == '-')) {
            sign = peek() == '-' ? -1 : 1;
            ++m_pos;
        }
        const auto hours = read_number();
        if (!hours || *hours > 167) return std::nullopt;
        int seconds = *hours * 3600;
        for (int factor : {60, 1}) {
            if (at_end() || peek() != ':') break;
            ++m_pos;
            const auto part = read_number();
            if (!part || *part > 59) return std::nullopt;
            seconds += *part * factor;
        }
        return sign * seconds;
    }

    bool read_date(PosixRule::Date& date) {
        if (at_end()) return false;
        if (peek() == 'M') {
            ++m_pos;
            const auto month = read_number();
            if (!month || at_end() || peek() != '.') return false;
            ++m_pos;
            const auto week = read_number();
            if (!week || at_end() || peek() != '.') return false;
            ++m_pos;
            const auto weekday = read_number();
            if (!weekday) return false;
            if (*month < 1 || *month > 12 || *week < 1 || *week > 5 || *weekday > 6) return false;
            date = {'M', *month, *week, *weekday, 0, 7200};
        } else if (peek() == 'J') {
            ++m_pos;
            const auto day = read_number();
            if (!day || *day < 1 || *day > 365) return false;
            date = {'J', 0, 0, 0, *day, 7200};
        } else {
            const auto day = read_number();
            if (!day || *day > 365) return false;
            date = {'N', 0, 0, 0, *day, 7200};
        }
        if (!at_end() && peek() == '/') {
            ++m_pos;
            const auto time = read_time();
            if (!time) return false;
            date.time_seconds = *time;
        }
        return true;
    }

    const std::string& m_text;
    std::size_t m_pos = 0;
};

std::uint32_t read_be32(const std::string& bytes, std::size_t at) {
    return (static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[at])) << 24) |
           (static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[at + 1])) << 16) |
           (static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[at + 2])) << 8) |
           static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[at + 3]));
}

std::int64_t read_be64(const std::string& bytes, std::size_t at) {
    const std::uint64_t high = read_be32(bytes, at);
    const std::uint64_t low = read_be32(bytes, at + 4);
    return static_cast<std::int64_t>((high << 32) | low);
}

}  // namespace

/// A zone's transitions (UTC instants and the offset that starts at each), the offset
/// before the first, and the POSIX rule for instants after the last (if the file has one).
struct TimeZone::Data {
    std::vector<std::int64_t> transitions;
    std::vector<int> offsets;  ///< offsets[i] applies from transitions[i]
    int initial_offset = 0;
    std::optional<PosixRule> rule;

    int offset_at(std::int64_t utc) const {
        if (transitions.empty() || utc < transitions.front()) {
            if (transitions.empty() && rule) return rule->offset_at(utc);
            return initial_offset;
        }
        const auto next = std::upper_bound(transitions.begin(), transitions.end(), utc);
        if (next == transitions.end() && rule) return rule->offset_at(utc);
        return offsets[static_cast<std::size_t>(std::distance(transitions.begin(), next) - 1)];
    }
};

namespace {

/// Parses a TZif file (RFC 8536, versions 1–4); nullopt when the bytes are not one.
std::optional<TimeZone::Data> parse_tzif(const std::string& bytes) {
    struct Counts {
        std::uint32_t isut, isstd, leap, time, type, chars;
    };
    const auto read_counts = [&](std::size_t at) -> std::optional<Counts> {
        if (bytes.size() < at + 44 || bytes.compare(at, 4, "TZif") != 0) return std::nullopt;
        return Counts{read_be32(bytes, at + 20), read_be32(bytes, at + 24), read_be32(bytes, at + 28),
                      read_be32(bytes, at + 32), read_be32(bytes, at + 36), read_be32(bytes, at + 40)};
    };
    const auto first = read_counts(0);
    if (!first) return std::nullopt;
    const char version = bytes[4];
    const auto block_size = [](const Counts& c, std::size_t time_size) {
        return static_cast<std::size_t>(c.time) * time_size + c.time + static_cast<std::size_t>(c.type) * 6 +
               c.chars + static_cast<std::size_t>(c.leap) * (time_size + 4) + c.isstd + c.isut;
    };
    std::size_t header = 0;
    Counts counts = *first;
    std::size_t time_size = 4;
    if (version >= '2') {
        header = 44 + block_size(*first, 4);
        const auto second = read_counts(header);
        if (!second) return std::nullopt;
        counts = *second;
        time_size = 8;
    }
    const std::size_t data = header + 44;
    if (bytes.size() < data + block_size(counts, time_size) || counts.type == 0) return std::nullopt;

    TimeZone::Data zone;
    const std::size_t indices_at = data + static_cast<std::size_t>(counts.time) * time_size;
    const std::size_t types_at = indices_at + counts.time;
    std::vector<int> type_offsets(counts.type);
    for (std::uint32_t i = 0; i < counts.type; ++i)
        type_offsets[i] = static_cast<int>(static_cast<std::int32_t>(read_be32(bytes, types_at + i * 6)));
    zone.initial_offset = type_offsets[0];
    for (std::uint32_t i = 0; i < counts.time; ++i) {
        const std::int64_t when = time_size == 8 ? read_be64(bytes, data + i * 8)
                                                 : static_cast<std::int32_t>(read_be32(bytes, data + i * 4));
        const unsigned type = static_cast<unsigned char>(bytes[indices_at + i]);
        if (type >= counts.type) return std::nullopt;
        zone.transitions.push_back(when);
        zone.offsets.push_back(type_offsets[type]);
    }
    if (!std::is_sorted(zone.transitions.begin(), zone.transitions.end())) return std::nullopt;
    if (version >= '2') {
        const std::size_t footer = data + block_size(counts, time_size);
        if (footer < bytes.size() && bytes[footer] == '\n') {
            const auto end = bytes.find('\n', footer + 1);
            if (end != std::string::npos && end > footer + 1) {
                const std::string text = bytes.substr(footer + 1, end - footer - 1);
                zone.rule = PosixParser(text).parse();
            }
        }
    }
    return zone;
}

std::string zoneinfo_dir() {
    const char* dir = std::getenv("TZDIR");
    return dir && *dir ? dir : "/usr/share/zoneinfo";
}

[[noreturn]] void reject_zone(const std::string& text, const std::string& subject, const std::string& why) {
    UsageError error(subject, fmt::format("{} {}", quoted(text), why));
    error.with_hint("give an IANA name such as America/New_York, an offset such as -04:00, or UTC");
    throw error;
}

}  // namespace

TimeZone::TimeZone() : m_name("UTC"), m_data(std::make_shared<const Data>()) {}

TimeZone TimeZone::parse(const std::string& text, const std::string& subject) {
    TimeZone zone;
    zone.m_name = text;
    if (text == "UTC" || text == "Z") return zone;

    static const std::regex offset_pattern(R"(^([+-])(\d{2})(?::?(\d{2}))?$)");
    std::smatch match;
    if (std::regex_match(text, match, offset_pattern)) {
        const int hours = std::stoi(match[2]);
        const int minutes = match[3].matched ? std::stoi(match[3]) : 0;
        if (minutes > 59 || hours * 60 + minutes > 18 * 60)
            reject_zone(text, subject, "is not a UTC offset between -18:00 and +18:00");
        auto data = std::make_shared<Data>();
        data->initial_offset = (match[1] == "-" ? -1 : 1) * (hours * 3600 + minutes * 60);
        zone.m_data = data;
        return zone;
    }

    static const std::regex name_pattern(R"(^[A-Za-z0-9_+-]+(/[A-Za-z0-9_+-]+)*$)");
    if (!std::regex_match(text, name_pattern))
        reject_zone(text, subject, "is neither a time-zone name nor a UTC offset");
    const std::string dir = zoneinfo_dir();
    const std::filesystem::path path = std::filesystem::path(dir) / text;
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec))
        reject_zone(text, subject, fmt::format("is not a time zone in {} (is the tzdata package installed?)", dir));
    std::ifstream in(path, std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto data = parse_tzif(bytes);
    if (!data) reject_zone(text, subject, fmt::format("is not a time zone ({} is not a TZif file)", path.string()));
    zone.m_data = std::make_shared<const Data>(std::move(*data));
    return zone;
}

int TimeZone::offset_at(std::int64_t utc_seconds) const { return m_data->offset_at(utc_seconds); }

TimeZone::Resolved TimeZone::resolve(const LocalDateTime& time) const {
    const std::int64_t local = seconds_of(time);
    // Any offset in force within two days of the clock time is a candidate; real zones
    // never change twice that close together.
    std::set<int> candidates;
    for (std::int64_t shift = -2 * seconds_per_day; shift <= 2 * seconds_per_day; shift += seconds_per_day / 4)
        candidates.insert(offset_at(local + shift));
    std::vector<Resolved> found;
    for (const int offset : candidates) {
        const std::int64_t utc = local - offset;
        if (offset_at(utc) == offset) found.push_back({Match::unique, utc, offset});
    }
    if (found.empty()) return {Match::missing, local, 0};
    std::sort(found.begin(), found.end(),
              [](const Resolved& a, const Resolved& b) { return a.utc_seconds < b.utc_seconds; });
    Resolved result = found.front();
    if (found.size() > 1) result.match = Match::ambiguous;
    return result;
}

// ---------------------------------------------------------------------------------------------
// The sun

double julian_day_of(double utc_seconds) { return utc_seconds / seconds_per_day + 2440587.5; }

// The equations of NOAA's solar-position spreadsheet (columns G to AB), each a line below.
SolarCoordinates compute_solar_coordinates(double julian_day) {
    const double t = (julian_day - 2451545.0) / 36525.0;
    const double mean_longitude = wrap(280.46646 + t * (36000.76983 + t * 0.0003032), 360.0);
    const double mean_anomaly = 357.52911 + t * (35999.05029 - 0.0001537 * t);
    const double eccentricity = 0.016708634 - t * (0.000042037 + 0.0000001267 * t);
    const double m = radians(mean_anomaly);
    const double centre = std::sin(m) * (1.914602 - t * (0.004817 + 0.000014 * t)) +
                          std::sin(2 * m) * (0.019993 - 0.000101 * t) + std::sin(3 * m) * 0.000289;
    const double true_longitude = mean_longitude + centre;
    const double omega = radians(125.04 - 1934.136 * t);
    const double apparent_longitude = true_longitude - 0.00569 - 0.00478 * std::sin(omega);
    const double mean_obliquity = 23.0 + (26.0 + (21.448 - t * (46.815 + t * (0.00059 - t * 0.001813))) / 60.0) / 60.0;
    const double obliquity = mean_obliquity + 0.00256 * std::cos(omega);

    const double lambda = radians(apparent_longitude);
    const double epsilon = radians(obliquity);
    SolarCoordinates sun;
    sun.julian_century = t;
    sun.apparent_longitude_deg = apparent_longitude;
    sun.obliquity_deg = obliquity;
    sun.right_ascension_deg = wrap(degrees(std::atan2(std::cos(epsilon) * std::sin(lambda), std::cos(lambda))), 360.0);
    sun.declination_deg = degrees(std::asin(std::sin(epsilon) * std::sin(lambda)));

    const double y = std::tan(epsilon / 2) * std::tan(epsilon / 2);
    const double l0 = radians(mean_longitude);
    const double e = eccentricity;
    const double equation = y * std::sin(2 * l0) - 2 * e * std::sin(m) + 4 * e * y * std::sin(m) * std::cos(2 * l0) -
                            0.5 * y * y * std::sin(4 * l0) - 1.25 * e * e * std::sin(2 * m);
    sun.equation_of_time_min = 4 * degrees(equation);
    return sun;
}

double compute_refraction_deg(double true_elevation_deg) {
    const double e = true_elevation_deg;
    if (e > 85) return 0;
    const double te = std::tan(radians(e));
    double arcseconds = 0;
    if (e > 5) {
        arcseconds = 58.1 / te - 0.07 / (te * te * te) + 0.000086 / std::pow(te, 5);
    } else if (e > -0.575) {
        arcseconds = 1735 + e * (-518.2 + e * (103.4 + e * (-12.79 + e * 0.711)));
    } else {
        arcseconds = -20.772 / te;
    }
    return arcseconds / 3600;
}

SunPosition compute_sun_position(double utc_seconds, double latitude_deg, double longitude_deg) {
    const SolarCoordinates sun = compute_solar_coordinates(julian_day_of(utc_seconds));
    const double minutes_of_day = wrap(utc_seconds, static_cast<double>(seconds_per_day)) / 60;
    const double true_solar_minutes = wrap(minutes_of_day + sun.equation_of_time_min + 4 * longitude_deg, 1440.0);
    const double hour_angle = radians(true_solar_minutes / 4 - 180);
    const double phi = radians(latitude_deg);
    const double delta = radians(sun.declination_deg);
    const double cos_zenith = std::clamp(
        std::sin(phi) * std::sin(delta) + std::cos(phi) * std::cos(delta) * std::cos(hour_angle), -1.0, 1.0);
    SunPosition position;
    position.true_elevation_deg = 90 - degrees(std::acos(cos_zenith));
    position.elevation_deg = position.true_elevation_deg + compute_refraction_deg(position.true_elevation_deg);
    // Meeus (13.5): azimuth westward from south; +180° turns it into clockwise from north.
    const double from_south = std::atan2(std::sin(hour_angle),
                                         std::cos(hour_angle) * std::sin(phi) - std::tan(delta) * std::cos(phi));
    position.azimuth_deg = wrap(degrees(from_south) + 180, 360.0);
    return position;
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

namespace {

SunSample make_sample(const LocalDateTime& local, const TimeZone::Resolved& resolved, double latitude_deg,
                      double longitude_deg) {
    SunSample sample;
    sample.local = local;
    sample.utc_seconds = resolved.utc_seconds;
    sample.offset_seconds = resolved.offset_seconds;
    sample.match = resolved.match;
    sample.position = compute_sun_position(static_cast<double>(resolved.utc_seconds), latitude_deg, longitude_deg);
    return sample;
}

}  // namespace

void for_each_sun_sample(const DateRange& dates, const ClockWindow& window, int step_minutes, const TimeZone& zone,
                         double latitude_deg, double longitude_deg,
                         const std::function<void(const SunSample&)>& on_sample,
                         const std::function<void(const LocalDateTime&)>& on_missing) {
    if (step_minutes <= 0)
        throw UsageError("--step", fmt::format("expected a positive number of minutes, got {}", step_minutes));
    for (std::int64_t day = days_from_civil(dates.first); day <= days_from_civil(dates.last); ++day) {
        for (int minute = window.start_minute; minute <= window.end_minute; minute += step_minutes) {
            LocalDateTime local;
            local.date = civil_from_days(day);
            local.hour = minute / 60;
            local.minute = minute % 60;
            const TimeZone::Resolved resolved = zone.resolve(local);
            if (resolved.match == TimeZone::Match::missing) {
                if (on_missing) on_missing(local);
                continue;
            }
            on_sample(make_sample(local, resolved, latitude_deg, longitude_deg));
        }
    }
}

SunSampling sample_sun(const DateRange& dates, const ClockWindow& window, int step_minutes, const TimeZone& zone,
                       double latitude_deg, double longitude_deg) {
    SunSampling sampling;
    for_each_sun_sample(
        dates, window, step_minutes, zone, latitude_deg, longitude_deg,
        [&](const SunSample& sample) { sampling.samples.push_back(sample); },
        [&](const LocalDateTime& local) { sampling.missing.push_back(local); });
    return sampling;
}

std::vector<SunSample> sample_sun_at(const std::vector<LocalDateTime>& times, const TimeZone& zone,
                                     double latitude_deg, double longitude_deg, const std::string& subject) {
    std::vector<SunSample> samples;
    for (const LocalDateTime& local : times) {
        const TimeZone::Resolved resolved = zone.resolve(local);
        if (resolved.match == TimeZone::Match::missing) {
            UsageError error(subject, fmt::format("{} does not exist in {}: the clocks skip it (daylight saving "
                                                  "starts)", format_local_time(local, 0).substr(0, 19), zone.name()));
            error.with_hint("give a time outside the skipped hour");
            throw error;
        }
        samples.push_back(make_sample(local, resolved, latitude_deg, longitude_deg));
    }
    return samples;
}

namespace {

/// "+12:00", "-05:05": an offset in hours as a signed clock offset, to the nearest minute.
std::string offset_text(double hours) {
    const long minutes = std::lround(std::abs(hours) * 60);
    return fmt::format("{}{:02}:{:02}", hours < 0 && minutes > 0 ? '-' : '+', minutes / 60, minutes % 60);
}

}  // namespace

void check_zone_fits_place(const TimeZone& zone, const CivilDate& date, double longitude_deg,
                           const std::string& place) {
    LocalDateTime noon;
    noon.date = date;
    noon.hour = 12;
    TimeZone::Resolved resolved = zone.resolve(noon);
    if (resolved.match == TimeZone::Match::missing) resolved.offset_seconds = zone.offset_at(seconds_of(noon));
    const double zone_hours = resolved.offset_seconds / 3600.0;
    const double solar_hours = longitude_deg / 15.0;
    double gap = std::fmod(std::abs(zone_hours - solar_hours), 24.0);
    gap = std::min(gap, 24.0 - gap);
    if (gap <= max_zone_solar_gap_hours) return;
    InputError error("--tz", fmt::format("{} is UTC{} on {:04}-{:02}-{:02}, but solar time at {} (longitude "
                                         "{:.4f}°) is UTC{} (longitude / 15 h): {:.1f} h apart (mod 24 h), more "
                                         "than the {:g} h of any real zone",
                                         zone.name(), offset_text(zone_hours), date.year, date.month, date.day, place,
                                         longitude_deg, offset_text(solar_hours), gap, max_zone_solar_gap_hours));
    error.with_hint("give the place's time zone, or --force-tz to use this one anyway");
    throw error;
}

}  // namespace shadegap
