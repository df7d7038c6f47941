// `shadegap sun`: the sun's azimuth and elevation for a place and local times, as CSV on stdout.
// SPDX-License-Identifier: MIT
#include "commands.hpp"
#include "terminal.hpp"

#include "shadegap/error.hpp"
#include "shadegap/raster.hpp"
#include "shadegap/shade.hpp"
#include "shadegap/sun.hpp"

#include <fmt/format.h>

#include <memory>
#include <optional>

namespace shadegap::cli {
namespace {

constexpr std::string_view NAME = "sun";
constexpr std::string_view DESCRIPTION =
    "Print the sun's azimuth and elevation for a place and local times, as CSV.";

struct SunState {
    std::optional<double> lat;
    std::optional<double> lon;
    std::string raster;
    std::vector<std::string> at;
    std::string date;
    std::string time;
    int step = 15;
    std::string tz;
    bool force_tz = false;
    CLI::Option* step_option = nullptr;
};

void add_options(CLI::App& app, SunState& state) {
    const char* const place = "Place";
    const char* const times = "Times";
    CLI::Option* lat = app.add_option("--lat", state.lat,
                                      "Latitude of the place in degrees, north positive (WGS 84), -90 to 90. "
                                      "Needs --lon.")
                           ->type_name("DEG")->group(place);
    CLI::Option* lon = app.add_option("--lon", state.lon,
                                      "Longitude of the place in degrees, east positive (WGS 84), -180 to 180. "
                                      "Needs --lat.")
                           ->type_name("DEG")->group(place);
    CLI::Option* raster = app.add_option("--raster", state.raster,
                                         "A raster whose centre is the place, transformed from its CRS to WGS 84 "
                                         "through PROJ. Instead of --lat and --lon.")
                              ->type_name("PATH")->group(place);
    lat->needs(lon);
    lon->needs(lat);
    raster->excludes(lat)->excludes(lon);

    CLI::Option* at = app.add_option("--at", state.at,
                                     "A local date and clock time in --tz, YYYY-MM-DDTHH:MM or YYYY-MM-DDTHH:MM:SS; "
                                     "repeatable, one row each. Instead of --date and --time.")
                          ->type_name("YYYY-MM-DDTHH:MM[:SS]")->allow_extra_args(false)->group(times);
    CLI::Option* date = app.add_option("--date", state.date,
                                       "A day YYYY-MM-DD, or an inclusive range of days YYYY-MM-DD..YYYY-MM-DD. "
                                       "Needs --time.")
                            ->type_name("D|D..D")->group(times);
    CLI::Option* time = app.add_option("--time", state.time,
                                       "A local clock time HH:MM, or a window HH:MM-HH:MM sampled every --step "
                                       "minutes from its start up to and including its end, on every day of --date.")
                            ->type_name("HH:MM|HH:MM-HH:MM")->group(times);
    state.step_option = app.add_option("--step", state.step,
                                       "Minutes between the sampled clock times of a --time window. Default: 15.")
                            ->type_name("MINUTES")->group(times);
    app.add_option("--tz", state.tz,
                   "Time zone of the local times: an IANA name such as America/New_York (daylight saving "
                   "applies), a fixed offset such as -04:00, or UTC. Required.")
        ->type_name("ZONE")->required()->group(times);
    app.add_flag("--force-tz", state.force_tz,
                 "Use --tz even when its UTC offset is more than 4 h from the solar time of the place "
                 "(longitude / 15 h), which no real zone is: by default that stops with an error.")
        ->group(times);
    at->excludes(date)->excludes(time);
    date->needs(time);
    time->needs(date);
}

int run(const SunState& state) {
    if (state.raster.empty() && !state.lat) {
        UsageError error("--lat", "a place is required: give --lat and --lon, or --raster PATH");
        error.with_hint("see shadegap sun --help");
        throw error;
    }
    if (state.at.empty() && state.date.empty()) {
        UsageError error("--at", "times are required: give --at YYYY-MM-DDTHH:MM (repeatable), or --date and --time");
        error.with_hint("see shadegap sun --help");
        throw error;
    }
    if (!state.at.empty() && state.step_option->count() > 0)
        throw UsageError("--step", "goes with --date and --time, not with --at");
    const TimeZone zone = TimeZone::parse(state.tz, "tz");

    double latitude = 0;
    double longitude = 0;
    if (!state.raster.empty()) {
        const RasterPlace place = locate_raster(describe_raster(state.raster));
        latitude = place.latitude_deg;
        longitude = place.longitude_deg;
    } else {
        latitude = *state.lat;
        longitude = *state.lon;
        if (!(latitude >= -90 && latitude <= 90))
            throw UsageError("--lat", fmt::format("expected a latitude from -90 to 90 degrees, got {}", latitude));
        if (!(longitude >= -180 && longitude <= 180))
            throw UsageError("--lon", fmt::format("expected a longitude from -180 to 180 degrees, got {}", longitude));
    }

    const std::string place = state.raster.empty() ? "the place" : "the raster's centre";
    std::vector<SunSample> samples;
    std::vector<LocalDateTime> missing;
    if (!state.at.empty()) {
        std::vector<LocalDateTime> times;
        for (const std::string& text : state.at) times.push_back(parse_local_date_time(text, "at"));
        if (!state.force_tz)
            for (const LocalDateTime& time : times) check_zone_fits_place(zone, time.date, longitude, place);
        samples = sample_sun_at(times, zone, latitude, longitude, "at");
    } else {
        const DateRange dates = parse_date_range(state.date, "date");
        const ClockWindow window = parse_clock_window(state.time, "time");
        if (!state.force_tz) {
            check_zone_fits_place(zone, dates.first, longitude, place);
            check_zone_fits_place(zone, dates.last, longitude, place);
        }
        SunSampling sampling = sample_sun(dates, window, state.step, zone, latitude, longitude);
        samples = std::move(sampling.samples);
        missing = std::move(sampling.missing);
    }

    std::string csv = "local_time,utc_time,azimuth_deg,elevation_deg\n";
    for (const SunSample& sample : samples)
        csv += fmt::format("{},{},{:.6f},{:.6f}\n", format_local_time(sample.local, sample.offset_seconds),
                           format_utc_time(sample.utc_seconds), sample.position.azimuth_deg,
                           sample.position.elevation_deg);
    fmt::print("{}", csv);
    for (const LocalDateTime& local : missing)
        print_warning("--time", fmt::format("{} does not exist in {} (daylight saving starts); left out",
                                            format_local_time(local, 0).substr(0, 16), zone.name()));
    return 0;
}

CommandRunner setup(CLI::App& app) {
    auto state = std::make_shared<SunState>();
    add_options(app, *state);
    return [state] { return run(*state); };
}

}  // namespace

const Command sun_command{NAME, DESCRIPTION, &setup};

}  // namespace shadegap::cli
