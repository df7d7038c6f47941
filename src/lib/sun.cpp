// Sun positions from the NOAA solar-position equations, sampled at local clock times of a time zone.
// SPDX-License-Identifier: MIT
#include "shadegap/sun.hpp"

#include "shadegap/error.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>

namespace shadegap {

namespace {

constexpr double pi = 3.14159265358979323846;

double radians(double degrees) { return degrees * pi / 180; }
double degrees(double radians_value) { return radians_value * 180 / pi; }

/// x mod m in [0, m) for doubles.
double wrap(double x, double m) {
    const double r = std::fmod(x, m);
    return r < 0 ? r + m : r;
}

}  // namespace

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
        throw UsageError("step", fmt::format("expected a positive number of minutes, got {}", step_minutes));
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
    InputError error("tz", fmt::format("{} is UTC{} on {:04}-{:02}-{:02}, but solar time at {} (longitude "
                                         "{:.4f}°) is UTC{} (longitude / 15 h): {:.1f} h apart (mod 24 h), more "
                                         "than the {:g} h of any real zone",
                                         zone.name(), offset_text(zone_hours), date.year, date.month, date.day, place,
                                         longitude_deg, offset_text(solar_hours), gap, max_zone_solar_gap_hours));
    error.with_hint("give the place's time zone, or " + key_text("force_tz", "true") + " to use this one anyway");
    throw error;
}

}  // namespace shadegap
