// Time zones: fixed offsets, IANA zones with daylight saving (gaps, repeats, POSIX rules), bad names.
// SPDX-License-Identifier: MIT
#include "shadegap/calendar.hpp"
#include "shadegap/error.hpp"
#include "shadegap/timezone.hpp"

#include <catch2/catch.hpp>

#include <string>

using namespace shadegap;

TEST_CASE("fixed offsets and IANA zones with daylight saving", "[sun][tz]") {
    SECTION("fixed offsets") {
        CHECK(TimeZone::parse("-04:00").offset_at(0) == -4 * 3600);
        CHECK(TimeZone::parse("+05:30").offset_at(0) == 5 * 3600 + 1800);
        CHECK(TimeZone::parse("+0545").offset_at(0) == 5 * 3600 + 2700);
        CHECK(TimeZone::parse("-03").offset_at(0) == -3 * 3600);
        CHECK(TimeZone::parse("UTC").offset_at(0) == 0);
        CHECK(TimeZone::parse("Z").offset_at(0) == 0);
    }
    SECTION("New York: EST in winter, EDT in summer, the spring gap and the autumn repeat") {
        const TimeZone zone = TimeZone::parse("America/New_York");
        CHECK(zone.resolve({{2024, 1, 15}, 12, 0, 0}).offset_seconds == -5 * 3600);
        CHECK(zone.resolve({{2024, 7, 15}, 12, 0, 0}).offset_seconds == -4 * 3600);
        CHECK(zone.resolve({{2024, 3, 10}, 2, 30, 0}).match == TimeZone::Match::missing);
        const TimeZone::Resolved repeated = zone.resolve({{2024, 11, 3}, 1, 30, 0});
        CHECK(repeated.match == TimeZone::Match::ambiguous);
        CHECK(format_utc_time(repeated.utc_seconds) == "2024-11-03T05:30:00Z");  // the earlier, EDT
        CHECK(zone.resolve({{2024, 11, 3}, 3, 0, 0}).offset_seconds == -5 * 3600);
        // Past the last listed transition the zone's POSIX rule takes over (2nd Sunday of March,
        // 1st Sunday of November).
        CHECK(zone.resolve({{2090, 3, 11}, 12, 0, 0}).offset_seconds == -5 * 3600);
        CHECK(zone.resolve({{2090, 3, 12}, 12, 0, 0}).offset_seconds == -4 * 3600);
        CHECK(zone.resolve({{2090, 11, 5}, 12, 0, 0}).offset_seconds == -5 * 3600);
    }
    SECTION("Auckland: southern daylight saving across the new year; the rule after 2037") {
        const TimeZone zone = TimeZone::parse("Pacific/Auckland");
        CHECK(zone.resolve({{2024, 1, 1}, 12, 0, 0}).offset_seconds == 13 * 3600);
        CHECK(zone.resolve({{2024, 7, 1}, 12, 0, 0}).offset_seconds == 12 * 3600);
        CHECK(zone.resolve({{2080, 12, 31}, 23, 0, 0}).offset_seconds == 13 * 3600);
        CHECK(zone.resolve({{2080, 6, 30}, 23, 0, 0}).offset_seconds == 12 * 3600);
    }
    SECTION("zones that are not there, and malformed offsets") {
        CHECK_THROWS_AS(TimeZone::parse("Mars/Olympus_Mons"), UsageError);
        CHECK_THROWS_AS(TimeZone::parse("../etc/passwd"), UsageError);
        CHECK_THROWS_AS(TimeZone::parse("+19:00"), UsageError);
        CHECK_THROWS_AS(TimeZone::parse("-04:75"), UsageError);
        CHECK_THROWS_AS(TimeZone::parse("America"), UsageError);
        try {
            TimeZone::parse("Nowhere/City");
            FAIL("no error");
        } catch (const UsageError& error) {
            CHECK(error.subject() == "tz");
            CHECK(error.message().find("'Nowhere/City'") != std::string::npos);
        }
    }
}
