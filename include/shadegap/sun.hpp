// Sun positions (NOAA solar-position equations) for a place and instants given in local clock time.
// SPDX-License-Identifier: MIT
#pragma once

#include "shadegap/calendar.hpp"
#include "shadegap/timezone.hpp"

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace shadegap {

/// The sun's coordinates at an instant, from the NOAA solar-position equations (NOAA Global
/// Monitoring Laboratory's solar calculator, after Meeus, Astronomical Algorithms, ch. 25
/// and 28). Angles in degrees; the equation of time in minutes.
struct SolarCoordinates {
    double julian_century = 0;          ///< Julian centuries from J2000.0 (UT)
    double apparent_longitude_deg = 0;  ///< λ, corrected for nutation and aberration
    double obliquity_deg = 0;           ///< ε, corrected
    double right_ascension_deg = 0;     ///< α, 0–360
    double declination_deg = 0;         ///< δ
    double equation_of_time_min = 0;    ///< apparent minus mean solar time
};

/// Julian Day of a UTC instant (seconds since 1970-01-01T00:00:00Z).
double julian_day_of(double utc_seconds);
/// The sun's coordinates at Julian Day `julian_day` (UT; ΔT is ignored, as NOAA does).
SolarCoordinates compute_solar_coordinates(double julian_day);
/// Atmospheric refraction in degrees to add to a true (geometric) elevation, by NOAA's
/// piecewise formula for a standard atmosphere (≈ 1010 hPa, 10 °C): 0 above 85°.
double compute_refraction_deg(double true_elevation_deg);

/// Where the sun stands for an observer on the ground.
struct SunPosition {
    double azimuth_deg = 0;         ///< clockwise from true north, 0–360
    double elevation_deg = 0;       ///< apparent: above the horizon, refraction included
    double true_elevation_deg = 0;  ///< geometric, without refraction
    /// The sun is above the horizon when its apparent elevation is positive.
    bool above_horizon() const { return elevation_deg > 0; }
};

/// The sun's azimuth and apparent elevation seen from latitude/longitude (degrees, north
/// and east positive) at a UTC instant. NOAA states an accuracy of about 0.0167° for dates
/// between 1800 and 2100; the tests hold it to 0.05° against published values. Pure: safe
/// from any thread.
SunPosition compute_sun_position(double utc_seconds, double latitude_deg, double longitude_deg);

/// One sampled instant and the sun's position then.
struct SunSample {
    LocalDateTime local;
    std::int64_t utc_seconds = 0;
    int offset_seconds = 0;
    TimeZone::Match match = TimeZone::Match::unique;
    SunPosition position;
};

/// The instants of a sampling: every day of `dates` at the clock times start, start + step,
/// ... up to and including end. Local times that do not exist in `zone` (skipped by a
/// daylight-saving change) are listed in `missing` instead; a clock time shown twice (clocks
/// set back) is taken at its earlier instant.
struct SunSampling {
    std::vector<SunSample> samples;
    std::vector<LocalDateTime> missing;
};

/// Samples the sun at a place. `step_minutes` must be positive. Throws UsageError
/// (subject "step") when it is not.
SunSampling sample_sun(const DateRange& dates, const ClockWindow& window, int step_minutes, const TimeZone& zone,
                       double latitude_deg, double longitude_deg);

/// The same instants as sample_sun(), one at a time and in the same order, without keeping
/// them: `on_sample` gets each sample, `on_missing` (when set) each local time skipped by a
/// daylight-saving change. Memory does not grow with the number of instants. Throws
/// UsageError (subject "step") when `step_minutes` is not positive.
void for_each_sun_sample(const DateRange& dates, const ClockWindow& window, int step_minutes, const TimeZone& zone,
                         double latitude_deg, double longitude_deg,
                         const std::function<void(const SunSample&)>& on_sample,
                         const std::function<void(const LocalDateTime&)>& on_missing = {});

/// The sun at given local times (`sun --at`). Throws UsageError (subject `subject`, the key
/// the times came from: "at") for a local time that does not exist in `zone`.
std::vector<SunSample> sample_sun_at(const std::vector<LocalDateTime>& times, const TimeZone& zone,
                                     double latitude_deg, double longitude_deg, const std::string& subject);

/// How far, in hours, a time zone's UTC offset may lie from the solar offset of a place
/// (longitude / 15 h), counted around the clock (mod 24 h, so zones across the date line such
/// as Pacific/Apia or Pacific/Kiritimati count by their hours, not their day). The widest
/// real zones stay within about 3.3 h (Xinjiang on China's UTC+8, at 73.5° E: 3.1 h; western
/// Alaska on AKDT, at 168.9° W: 3.3 h); docs/shade.md gives the reasoning.
constexpr double max_zone_solar_gap_hours = 4;

/// Checks that `zone` can be the time zone of a place at `longitude_deg`: its UTC offset at
/// 12:00 local time on `date` (or the UTC offset in force then) lies within
/// max_zone_solar_gap_hours of longitude / 15 h. Throws InputError (subject "tz", the key of
/// shade_keys() and sun_keys() in options.hpp) naming the zone's offset, `place` ("the raster's
/// centre", "the place"), its longitude and solar offset, with the hint to give
/// `force_tz = true` (the CLI shows "--force-tz").
void check_zone_fits_place(const TimeZone& zone, const CivilDate& date, double longitude_deg,
                           const std::string& place);

}  // namespace shadegap
