// Time zones through cctz: fixed offsets, and IANA zones from the system's tzdata.
// SPDX-License-Identifier: MIT
#include "shadegap/timezone.hpp"

#include "shadegap/error.hpp"

#include <cctz/civil_time.h>
#include <cctz/time_zone.h>
#include <fmt/format.h>

#include <cstdlib>
#include <regex>

namespace shadegap {

struct TimeZone::Data {
    cctz::time_zone zone = cctz::utc_time_zone();
};

namespace {

/// Where cctz looks for zones, for the error message: it reads $TZDIR the same way.
std::string zoneinfo_dir() {
    const char* dir = std::getenv("TZDIR");
    return dir && *dir ? dir : "/usr/share/zoneinfo";
}

[[noreturn]] void reject_zone(const std::string& text, const std::string& subject, const std::string& why) {
    UsageError error(subject, fmt::format("'{}' {}", text, why));
    error.with_hint("give an IANA name such as America/New_York, an offset such as -04:00, or UTC");
    throw error;
}

cctz::time_point<cctz::seconds> instant_of(std::int64_t utc_seconds) {
    return cctz::time_point<cctz::seconds>(cctz::seconds(utc_seconds));
}

}  // namespace

TimeZone::TimeZone() : m_name("UTC"), m_data(std::make_shared<const Data>()) {}

TimeZone TimeZone::parse(const std::string& text, const std::string& subject) {
    TimeZone zone;
    zone.m_name = text;
    if (text == "UTC" || text == "Z") return zone;

    static const std::regex offset_pattern(R"(^([+-])(\d{2})(?::?(\d{2}))?$)");
    std::smatch match;
    auto data = std::make_shared<Data>();
    if (std::regex_match(text, match, offset_pattern)) {
        const int hours = std::stoi(match[2]);
        const int minutes = match[3].matched ? std::stoi(match[3]) : 0;
        if (minutes > 59 || hours * 60 + minutes > 18 * 60)
            reject_zone(text, subject, "is not a UTC offset between -18:00 and +18:00");
        data->zone = cctz::fixed_time_zone(cctz::seconds((match[1] == "-" ? -1 : 1) * (hours * 3600 + minutes * 60)));
        zone.m_data = data;
        return zone;
    }

    // The pattern keeps names inside the database: no "..", no absolute paths, no cctz
    // "Fixed/UTC+hh:mm" names.
    static const std::regex name_pattern(R"(^[A-Za-z0-9_+-]+(/[A-Za-z0-9_+-]+)*$)");
    if (!std::regex_match(text, name_pattern))
        reject_zone(text, subject, "is neither a time-zone name nor a UTC offset");
    if (!cctz::load_time_zone(text, &data->zone))
        reject_zone(text, subject,
                    fmt::format("is not a time zone in {} (is the tzdata package installed?)", zoneinfo_dir()));
    zone.m_data = data;
    return zone;
}

int TimeZone::offset_at(std::int64_t utc_seconds) const {
    return m_data->zone.lookup(instant_of(utc_seconds)).offset;
}

TimeZone::Resolved TimeZone::resolve(const LocalDateTime& time) const {
    const cctz::civil_second civil(time.date.year, time.date.month, time.date.day, time.hour, time.minute,
                                   time.second);
    const cctz::time_zone::civil_lookup found = m_data->zone.lookup(civil);
    if (found.kind == cctz::time_zone::civil_lookup::SKIPPED) return {Match::missing, seconds_of(time), 0};
    // For a repeated clock time `pre` (the offset before the change) is the earlier instant.
    const std::int64_t utc = found.pre.time_since_epoch().count();
    const Match match = found.kind == cctz::time_zone::civil_lookup::REPEATED ? Match::ambiguous : Match::unique;
    return {match, utc, offset_at(utc)};
}

}  // namespace shadegap
