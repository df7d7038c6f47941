// Sun positions against published values and an independent formula; sampling in local clock time.
// SPDX-License-Identifier: MIT
#include "shadegap/error.hpp"
#include "shadegap/sun.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

using namespace shadegap;

namespace {

constexpr double pi = 3.14159265358979323846;
double rad(double degrees) { return degrees * pi / 180; }
double deg(double radians) { return radians * 180 / pi; }

/// Difference of two azimuths across north (359.9° and 0.1° are 0.2° apart).
double azimuth_difference(double a, double b) {
    const double d = std::fmod(std::abs(a - b), 360.0);
    return std::min(d, 360.0 - d);
}

std::int64_t utc_of(const LocalDateTime& local, int offset_seconds) { return seconds_of(local) - offset_seconds; }

/// The second, independent formula: the Astronomical Almanac's low-precision solar coordinates
/// (Michalsky, J. J., 1988, "The Astronomical Almanac's algorithm for approximate solar position
/// (1950–2050)", Solar Energy 40(3), 227–235; stated accuracy 0.01°), with Greenwich mean
/// sidereal time for the hour angle, and Sæmundsson's refraction formula (Sky & Telescope 72,
/// 70, 1986: R = 1.02′ / tan(h + 10.3 / (h + 5.11)), h the true elevation in degrees).
struct AlmanacPosition {
    double azimuth_deg;
    double elevation_deg;
};

AlmanacPosition almanac_position(std::int64_t utc_seconds, double latitude_deg, double longitude_deg) {
    const double n = static_cast<double>(utc_seconds) / 86400.0 + 2440587.5 - 2451545.0;
    const double mean_longitude = std::fmod(280.460 + 0.9856474 * n, 360.0);
    const double mean_anomaly = rad(std::fmod(357.528 + 0.9856003 * n, 360.0));
    const double ecliptic_longitude = rad(mean_longitude + 1.915 * std::sin(mean_anomaly) + 0.020 * std::sin(2 * mean_anomaly));
    const double obliquity = rad(23.439 - 0.0000004 * n);
    const double right_ascension = std::atan2(std::cos(obliquity) * std::sin(ecliptic_longitude), std::cos(ecliptic_longitude));
    const double declination = std::asin(std::sin(obliquity) * std::sin(ecliptic_longitude));
    const double hours = std::fmod(static_cast<double>(utc_seconds), 86400.0) / 3600.0;
    const double sidereal_hours = 6.697375 + 0.0657098242 * n + hours + longitude_deg / 15.0;
    const double hour_angle = rad(std::fmod(sidereal_hours * 15.0, 360.0)) - right_ascension;
    const double phi = rad(latitude_deg);
    const double elevation =
        deg(std::asin(std::sin(declination) * std::sin(phi) + std::cos(declination) * std::cos(phi) * std::cos(hour_angle)));
    // Azimuth from the sun's east and north components in the observer's horizon frame.
    const double east = -std::cos(declination) * std::sin(hour_angle);
    const double north = std::sin(declination) * std::cos(phi) - std::cos(declination) * std::sin(phi) * std::cos(hour_angle);
    double azimuth = deg(std::atan2(east, north));
    if (azimuth < 0) azimuth += 360;
    const double refraction_arcmin = 1.02 / std::tan(rad(elevation + 10.3 / (elevation + 5.11)));
    return {azimuth, elevation + refraction_arcmin / 60};
}

struct Reference {
    const char* place;
    double latitude;
    double longitude;
    const char* zone;
    LocalDateTime local;
    int offset_hours;  ///< the zone's UTC offset then, confirmed with glibc's date(1)
};

}  // namespace

TEST_CASE("the NREL SPA worked example: Golden, Colorado, 2003-10-17 12:30:30 at -7 h", "[sun]") {
    // Reda & Andreas, Solar Position Algorithm for Solar Radiation Applications, NREL/TP-560-34302
    // (2008), Table A5.1: topocentric zenith 50.11162°, azimuth 194.34024°. SPA's refraction is for
    // 820 hPa and 11 °C, NOAA's for a standard atmosphere: about 0.004° of the difference.
    const TimeZone zone = TimeZone::parse("-07:00");
    const TimeZone::Resolved when = zone.resolve({{2003, 10, 17}, 12, 30, 30});
    REQUIRE(when.match == TimeZone::Match::unique);
    CHECK(format_utc_time(when.utc_seconds) == "2003-10-17T19:30:30Z");
    const SunPosition sun = compute_sun_position(static_cast<double>(when.utc_seconds), 39.742476, -105.1786);
    INFO("zenith " << 90 - sun.elevation_deg << " (SPA 50.11162), azimuth " << sun.azimuth_deg << " (SPA 194.34024)");
    CHECK(std::abs((90 - sun.elevation_deg) - 50.11162) < 0.01);
    CHECK(std::abs(sun.azimuth_deg - 194.34024) < 0.01);
}

TEST_CASE("Meeus's worked examples 25.a and 28.b: the sun on 1992 October 13.0", "[sun]") {
    // Meeus, Astronomical Algorithms (2nd ed.), example 25.a: apparent longitude 199.90895°,
    // right ascension 198.38083° (13h13m31.4s), declination -7.78507°; example 28.b: equation of
    // time 13m42.7s.
    const SolarCoordinates sun = compute_solar_coordinates(2448908.5);
    CHECK(sun.julian_century == Approx(-0.072183436).margin(1e-9));
    CHECK(sun.apparent_longitude_deg == Approx(199.90895).margin(2e-5));
    CHECK(sun.right_ascension_deg == Approx(198.38083).margin(2e-5));
    CHECK(sun.declination_deg == Approx(-7.78507).margin(2e-5));
    CHECK(sun.equation_of_time_min == Approx(13.0 + 42.7 / 60).margin(0.002));
}

TEST_CASE("NOAA solar calculator values on 2012-12-22 at 12:00 UTC on the prime meridian", "[sun]") {
    // Read off the NOAA solar calculator (quoted in the answer to Stack Overflow question 8708048,
    // "Position of the sun given time of day, latitude and longitude", 2012), to 0.01° (0.1° for
    // the last row): elevation and azimuth at latitudes -41, -3, 3 and 41.
    struct Row {
        double latitude, elevation, azimuth, rounding;
    };
    const Row rows[] = {{-41, 72.44, 359.09, 0.005}, {-3, 69.57, 180.79, 0.005}, {3, 63.57, 180.62, 0.005},
                        {41, 25.6, 180.3, 0.05}};
    const double utc = static_cast<double>(seconds_of({{2012, 12, 22}, 12, 0, 0}));
    for (const Row& row : rows) {
        const SunPosition sun = compute_sun_position(utc, row.latitude, 0);
        INFO("latitude " << row.latitude << ": elevation " << sun.elevation_deg << " (NOAA " << row.elevation
                         << "), azimuth " << sun.azimuth_deg << " (NOAA " << row.azimuth << ")");
        CHECK(std::abs(sun.elevation_deg - row.elevation) <= row.rounding + 0.01);
        CHECK(azimuth_difference(sun.azimuth_deg, row.azimuth) <= row.rounding + 0.01);
    }
}

TEST_CASE("four places, six local times each, against the Astronomical Almanac's formula to 0.05°", "[sun]") {
    // Both hemispheres, a place near the date line (Suva) and one under the midnight sun (Tromsø);
    // the zones' offsets are given here from glibc's date(1), so the zone arithmetic is checked too.
    // Times keep the sun below 80° of elevation, where an azimuth is still well defined to 0.05°.
    const std::vector<Reference> references = {
        {"Golden", 39.742476, -105.1786, "America/Denver", {{2004, 1, 15}, 9, 0, 0}, -7},
        {"Golden", 39.742476, -105.1786, "America/Denver", {{2010, 6, 21}, 12, 0, 0}, -6},
        {"Golden", 39.742476, -105.1786, "America/Denver", {{2015, 3, 20}, 15, 30, 0}, -6},
        {"Golden", 39.742476, -105.1786, "America/Denver", {{2020, 9, 1}, 8, 0, 0}, -6},
        {"Golden", 39.742476, -105.1786, "America/Denver", {{2030, 11, 20}, 13, 0, 0}, -7},
        {"Golden", 39.742476, -105.1786, "America/Denver", {{2045, 7, 4}, 17, 30, 0}, -6},
        {"Sydney", -33.8688, 151.2093, "Australia/Sydney", {{2005, 1, 10}, 10, 0, 0}, 11},
        {"Sydney", -33.8688, 151.2093, "Australia/Sydney", {{2012, 6, 21}, 12, 0, 0}, 10},
        {"Sydney", -33.8688, 151.2093, "Australia/Sydney", {{2018, 10, 7}, 9, 0, 0}, 11},
        {"Sydney", -33.8688, 151.2093, "Australia/Sydney", {{2024, 4, 7}, 15, 0, 0}, 10},
        {"Sydney", -33.8688, 151.2093, "Australia/Sydney", {{2033, 12, 25}, 16, 30, 0}, 11},
        {"Sydney", -33.8688, 151.2093, "Australia/Sydney", {{2041, 8, 15}, 11, 0, 0}, 10},
        {"Suva", -18.1416, 178.4419, "Pacific/Fiji", {{2008, 7, 1}, 10, 0, 0}, 12},
        {"Suva", -18.1416, 178.4419, "Pacific/Fiji", {{2010, 1, 20}, 14, 0, 0}, 13},
        {"Suva", -18.1416, 178.4419, "Pacific/Fiji", {{2016, 5, 5}, 8, 30, 0}, 12},
        {"Suva", -18.1416, 178.4419, "Pacific/Fiji", {{2023, 2, 14}, 16, 0, 0}, 12},
        {"Suva", -18.1416, 178.4419, "Pacific/Fiji", {{2027, 9, 9}, 16, 0, 0}, 12},
        {"Suva", -18.1416, 178.4419, "Pacific/Fiji", {{2039, 6, 30}, 11, 0, 0}, 12},
        {"Tromsø", 69.6492, 18.9553, "Europe/Oslo", {{2017, 6, 21}, 0, 30, 0}, 2},
        {"Tromsø", 69.6492, 18.9553, "Europe/Oslo", {{2009, 3, 20}, 12, 0, 0}, 1},
        {"Tromsø", 69.6492, 18.9553, "Europe/Oslo", {{2014, 9, 1}, 9, 0, 0}, 2},
        {"Tromsø", 69.6492, 18.9553, "Europe/Oslo", {{2022, 5, 15}, 18, 0, 0}, 2},
        {"Tromsø", 69.6492, 18.9553, "Europe/Oslo", {{2031, 7, 20}, 14, 0, 0}, 2},
        {"Tromsø", 69.6492, 18.9553, "Europe/Oslo", {{2044, 4, 10}, 10, 0, 0}, 2},
    };
    for (const Reference& ref : references) {
        const TimeZone zone = TimeZone::parse(ref.zone);
        const std::vector<SunSample> samples = sample_sun_at({ref.local}, zone, ref.latitude, ref.longitude, "--at");
        REQUIRE(samples.size() == 1);
        const SunSample& sample = samples.front();
        const std::int64_t utc = utc_of(ref.local, ref.offset_hours * 3600);
        const AlmanacPosition expected = almanac_position(utc, ref.latitude, ref.longitude);
        INFO(ref.place << " " << format_local_time(ref.local, ref.offset_hours * 3600) << ": azimuth "
                       << sample.position.azimuth_deg << " (almanac " << expected.azimuth_deg << "), elevation "
                       << sample.position.elevation_deg << " (almanac " << expected.elevation_deg << ")");
        CHECK(sample.offset_seconds == ref.offset_hours * 3600);
        CHECK(sample.utc_seconds == utc);
        CHECK(expected.elevation_deg > 2);  // the table keeps away from the horizon's refraction
        CHECK(std::abs(sample.position.elevation_deg - expected.elevation_deg) < 0.05);
        CHECK(azimuth_difference(sample.position.azimuth_deg, expected.azimuth_deg) < 0.05);
        if (std::getenv("SHADEGAP_PRINT_SUN_TABLE"))
            std::printf("| %s | %s | %.4f | %.4f | %.4f | %.4f | %.4f | %.4f |\n", ref.place,
                        format_local_time(ref.local, ref.offset_hours * 3600).c_str(), sample.position.azimuth_deg,
                        expected.azimuth_deg, azimuth_difference(sample.position.azimuth_deg, expected.azimuth_deg),
                        sample.position.elevation_deg, expected.elevation_deg,
                        std::abs(sample.position.elevation_deg - expected.elevation_deg));
    }
}

TEST_CASE("refraction lifts the sun most at the horizon and not at all near the zenith", "[sun]") {
    CHECK(compute_refraction_deg(86) == 0);
    CHECK(compute_refraction_deg(45) == Approx(58.1 / 3600).margin(0.0005));
    CHECK(compute_refraction_deg(0) == Approx(1735.0 / 3600));
    CHECK(compute_refraction_deg(10) < compute_refraction_deg(2));
    const SunPosition sun = compute_sun_position(static_cast<double>(seconds_of({{2024, 6, 21}, 12, 0, 0})), 51.5, 0);
    CHECK(sun.elevation_deg > sun.true_elevation_deg);
    CHECK(sun.above_horizon());
}

TEST_CASE("a sampled window: every step up to and including its end, daylight-saving gaps left out", "[sun]") {
    const TimeZone zone = TimeZone::parse("America/New_York");
    const SunSampling day = sample_sun(parse_date_range("2024-07-15..2024-07-16", "--date"),
                                       parse_clock_window("10:00-16:00", "--time"), 15, zone, 40.7, -74.0);
    CHECK(day.samples.size() == 2 * 25);
    CHECK(day.missing.empty());
    CHECK(format_local_time(day.samples.back().local, day.samples.back().offset_seconds) == "2024-07-16T16:00:00-04:00");
    const SunSampling gap = sample_sun(parse_date_range("2024-03-10", "--date"), parse_clock_window("01:00-04:00", "--time"),
                                       30, zone, 40.7, -74.0);
    CHECK(gap.samples.size() == 5);  // 01:00, 01:30, 03:00, 03:30, 04:00
    CHECK(gap.missing.size() == 2);  // 02:00 and 02:30 never happen
    CHECK_THROWS_AS(sample_sun(day.samples.empty() ? DateRange{} : parse_date_range("2024-07-15", "--date"),
                               parse_clock_window("10:00", "--time"), 0, zone, 40.7, -74.0),
                    UsageError);
    CHECK_THROWS_AS(sample_sun_at({{{2024, 3, 10}, 2, 30, 0}}, zone, 40.7, -74.0, "at"), UsageError);
}

// `shade` streams its instants through for_each_sun_sample: the same instants, in the same
// order, and the same skipped local times as sample_sun, over a daylight-saving change.
TEST_CASE("for_each_sun_sample gives sample_sun's instants one at a time", "[sun]") {
    const TimeZone zone = TimeZone::parse("America/New_York");
    const DateRange dates = parse_date_range("2024-03-09..2024-03-11", "--date");
    const ClockWindow window = parse_clock_window("01:00-04:00", "--time");
    const SunSampling whole = sample_sun(dates, window, 20, zone, 40.7, -74.0);
    std::vector<SunSample> samples;
    std::vector<LocalDateTime> missing;
    for_each_sun_sample(
        dates, window, 20, zone, 40.7, -74.0, [&](const SunSample& s) { samples.push_back(s); },
        [&](const LocalDateTime& local) { missing.push_back(local); });
    REQUIRE(samples.size() == whole.samples.size());
    CHECK(samples.size() == 3 * 10 - 3);  // 02:00, 02:20, 02:40 on 2024-03-10 do not exist
    REQUIRE(missing.size() == 3);
    for (std::size_t i = 0; i < samples.size(); ++i) {
        CHECK(samples[i].utc_seconds == whole.samples[i].utc_seconds);
        CHECK(samples[i].position.azimuth_deg == whole.samples[i].position.azimuth_deg);
        CHECK(samples[i].position.elevation_deg == whole.samples[i].position.elevation_deg);
    }
    CHECK(format_local_time(missing[0], 0).substr(0, 16) == "2024-03-10T02:00");
    CHECK_THROWS_AS(for_each_sun_sample(dates, window, 0, zone, 40.7, -74.0, [](const SunSample&) {}), UsageError);
}
