// Time zones: fixed UTC offsets and IANA zones from the system's time-zone database (cctz).
// SPDX-License-Identifier: MIT
#pragma once

#include "shadegap/calendar.hpp"

#include <cstdint>
#include <memory>
#include <string>

namespace shadegap {

/// A time zone: a fixed offset from UTC, or an IANA zone with its daylight-saving rules, read
/// by cctz (Debian package libcctz-dev) from the system's time-zone database ($TZDIR, default
/// /usr/share/zoneinfo, Debian package tzdata). Past a zone's last listed transition its POSIX
/// rule applies. No process-wide state is touched (no TZ variable, no tzset), so a TimeZone
/// can be used from any thread; copies share the loaded data.
class TimeZone {
public:
    /// UTC.
    TimeZone();
    /// "UTC", "Z", a fixed offset "+05:30", "-04:00", "-04" or "+0530" (at most ±18:00), or
    /// an IANA name such as "America/New_York". Throws UsageError (subject `subject`: the
    /// configuration key the text came from, "tz" by default, or a file) quoting the text when
    /// it is none of these or the zone is not in the database.
    static TimeZone parse(const std::string& text, const std::string& subject = "tz");

    /// The text the zone was parsed from ("UTC" for the default).
    const std::string& name() const { return m_name; }
    /// Offset of local clock time from UTC, in seconds east of Greenwich, at a UTC instant.
    int offset_at(std::int64_t utc_seconds) const;

    /// How a local clock time maps to UTC.
    enum class Match {
        unique,     ///< exactly one instant shows this clock time
        ambiguous,  ///< the clocks were set back and show it twice: the earlier instant is used
        missing,    ///< the clocks jumped over it (start of daylight saving): no instant
    };
    struct Resolved {
        Match match = Match::unique;
        std::int64_t utc_seconds = 0;  ///< meaningless when missing
        int offset_seconds = 0;        ///< offset in force at utc_seconds
    };
    /// The UTC instant at which local clocks in this zone show `time`.
    Resolved resolve(const LocalDateTime& time) const;

    struct Data;

private:
    std::string m_name;
    std::shared_ptr<const Data> m_data;
};

}  // namespace shadegap
