// Time zones: fixed UTC offsets, and IANA zones read from the system's TZif files.
// SPDX-License-Identifier: MIT
#include "shadegap/timezone.hpp"

#include "shadegap/error.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <regex>
#include <set>
#include <vector>

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

}  // namespace shadegap
