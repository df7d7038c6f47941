// Civil dates: day counts against known values and round trips; strict parsing of dates, windows and times.
// SPDX-License-Identifier: MIT
#include "shadegap/calendar.hpp"
#include "shadegap/error.hpp"

#include <catch2/catch.hpp>

#include <cstdint>

using namespace shadegap;

TEST_CASE("civil dates round-trip through day counts", "[sun]") {
    CHECK(days_from_civil({1970, 1, 1}) == 0);
    CHECK(days_from_civil({2000, 3, 1}) == 11017);
    CHECK(days_from_civil({1969, 12, 31}) == -1);
    for (std::int64_t day = -800000; day <= 800000; day += 997) {
        const CivilDate date = civil_from_days(day);
        REQUIRE(is_valid_date(date));
        REQUIRE(days_from_civil(date) == day);
    }
    CHECK_FALSE(is_valid_date({2023, 2, 29}));
    CHECK(is_valid_date({2024, 2, 29}));
    CHECK_FALSE(is_valid_date({1900, 2, 29}));
    CHECK(is_valid_date({2000, 2, 29}));
}

TEST_CASE("dates, ranges, clock windows and local date-times parse strictly", "[sun]") {
    const DateRange one = parse_date_range("2024-07-15", "--date");
    CHECK(days_from_civil(one.first) == days_from_civil(one.last));
    const DateRange range = parse_date_range("2024-06-30..2024-07-02", "--date");
    CHECK(days_from_civil(range.last) - days_from_civil(range.first) == 2);
    CHECK_THROWS_AS(parse_date_range("2024-07-02..2024-06-30", "date"), UsageError);
    CHECK_THROWS_AS(parse_date("2023-02-29", "date"), UsageError);
    CHECK_THROWS_AS(parse_date("15/07/2024", "date"), UsageError);

    const ClockWindow window = parse_clock_window("10:00-16:00", "--time");
    CHECK(window.start_minute == 600);
    CHECK(window.end_minute == 960);
    const ClockWindow single = parse_clock_window("9:05", "--time");
    CHECK(single.start_minute == 545);
    CHECK(single.end_minute == 545);
    CHECK_THROWS_AS(parse_clock_window("16:00-10:00", "time"), UsageError);
    CHECK_THROWS_AS(parse_clock_window("24:00", "time"), UsageError);

    const LocalDateTime at = parse_local_date_time("2024-07-15T14:05:09", "--at");
    CHECK(format_local_time(at, -4 * 3600) == "2024-07-15T14:05:09-04:00");
    CHECK(parse_local_date_time("2024-07-15T14:05", "--at").second == 0);
    CHECK_THROWS_AS(parse_local_date_time("2024-07-15 14:05", "at"), UsageError);
    CHECK(format_utc_time(0) == "1970-01-01T00:00:00Z");
}
