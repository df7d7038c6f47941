// The library's errors and warnings about the options of shade and sun name configuration keys
// (shade_keys(), sun_keys(): the Python keywords), never command-line flags; keys_as_flags()
// shows them as the flags the CLI prints.
// SPDX-License-Identifier: MIT
#include "fixtures.hpp"

#include "shadegap/calendar.hpp"
#include "shadegap/error.hpp"
#include "shadegap/options.hpp"
#include "shadegap/shade.hpp"
#include "shadegap/sun.hpp"
#include "shadegap/timezone.hpp"

#include <catch2/catch.hpp>
#include <gdal_priv.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

using namespace shadegap;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;

namespace {

/// A 60 × 60 raster of 1 m cells in UTM 18N near New York (74° W) with a 10 m box in the middle.
void write_box(const std::string& path, double x_min = 583000, double cell = 1.0) {
    std::vector<double> heights(60 * 60, 0.0);
    for (int r = 28; r < 32; ++r)
        for (int c = 28; c < 33; ++c) heights[static_cast<std::size_t>(r * 60 + c)] = 10.0;
    const double nodata = -1;
    test::write_raster(path, 60, 60, x_min, 4507000, cell, heights, 32618, GDT_Float32, &nodata);
}

ShadeConfig noon_config(const std::string& surface, const std::string& out) {
    ShadeConfig config;
    config.surface = surface;
    config.dates = parse_date_range("2024-07-15", "date");
    config.window = parse_clock_window("12:00", "time");
    config.zone = TimeZone::parse("America/New_York");
    config.out = out;
    return config;
}

/// The error `run` throws; fails the test when it throws none or no shadegap::Error.
template <typename Kind>
Kind error_of(const std::function<void()>& run) {
    try {
        run();
    } catch (const Kind& error) {
        return error;
    }
    FAIL("no error");
    throw std::logic_error("unreachable");
}

/// Neither the subject nor the message nor the hint names a flag.
void require_keys_only(const Error& error) {
    INFO(error.what() << " (hint: " << error.hint() << ")");
    CHECK(error.subject().find("--") == std::string::npos);
    CHECK(error.message().find("--") == std::string::npos);
    CHECK(error.hint().find("--") == std::string::npos);
}

}  // namespace

TEST_CASE("the shade and sun key table: each key is its flag without the dashes, '_' for '-'", "[keys]") {
    std::vector<std::string> shade;
    for (const CommandKey& row : shade_keys()) {
        shade.push_back(row.key);
        std::string flag = "--" + row.key;
        for (char& c : flag)
            if (c == '_') c = '-';
        CHECK(row.flag == flag);
        CHECK(flag_of_key(row.key) == flag);
    }
    // The keywords of shadegap.shade() (python/shadegap/__init__.py), in the order of `shade --help`.
    CHECK(shade == std::vector<std::string>{"surface", "buildings", "canopy_height", "transmissivity", "date", "time",
                                            "step", "tz", "force_tz", "sun_tolerance", "out", "masks", "overwrite",
                                            "threads"});
    std::vector<std::string> sun;
    for (const CommandKey& row : sun_keys()) sun.push_back(row.key);
    CHECK(sun == std::vector<std::string>{"lat", "lon", "raster", "at", "date", "time", "step", "tz", "force_tz"});
    CHECK(flag_of_key("canopy_height") == "--canopy-height");
    CHECK(flag_of_key("fields") == "--field");  // a run option first
    CHECK(flag_of_key("tile_size").empty());    // library only: no flag
    CHECK(keys_as_flags("give `surface = PATH`, or `force_tz = true`; `sun_tolerance = 0` or `tz`") ==
          "give --surface PATH, or --force-tz; --sun-tolerance 0 or --tz");
    CHECK(keys_as_flags("`tile_size` and `canopy_height.x` are no keys") == "`tile_size` and `canopy_height.x` are no keys");
}

TEST_CASE("run_shade names keys in its errors, which the CLI shows as its old flags", "[keys][shade]") {
    test::TempDir dir;
    const std::string heights = dir.file("heights.tif");
    write_box(heights);
    const std::string out = dir.file("shade.tif");

    SECTION("transmissivity out of 0 to 1") {
        ShadeConfig config = noon_config(heights, out);
        config.transmissivity = 2;
        const auto error = error_of<UsageError>([&] { run_shade(config); });
        CHECK(error.subject() == "transmissivity");
        CHECK(error.message() == "expected a share of light from 0 to 1, got 2");
        require_keys_only(error);
    }
    SECTION("surface with buildings") {
        ShadeConfig config = noon_config(heights, out);
        config.buildings = heights;
        const auto error = error_of<UsageError>([&] { run_shade(config); });
        CHECK(error.subject() == "surface");
        require_keys_only(error);
        CHECK(keys_as_flags(error.message()) == "cannot be combined with --buildings or --canopy-height; give the "
                                                "heights either as one opaque surface or as buildings and canopy");
    }
    SECTION("no heights") {
        ShadeConfig config = noon_config("", out);
        const auto error = error_of<UsageError>([&] { run_shade(config); });
        CHECK(error.subject() == "surface");
        CHECK(error.message() == "heights are required: give `surface = PATH`, or `buildings = PATH` and/or "
                                 "`canopy_height = PATH`");
        CHECK(keys_as_flags(error.message()) ==
              "heights are required: give --surface PATH, or --buildings PATH and/or --canopy-height PATH");
        CHECK(error.hint().empty());  // the CLI adds "see shadegap shade --help"
    }
    SECTION("no out") {
        const auto error = error_of<UsageError>([&] { run_shade(noon_config(heights, "")); });
        CHECK(error.subject() == "out");
        require_keys_only(error);
        CHECK(keys_as_flags(error.message()) == "required; give --out PATH (the shade-fraction COG)");
    }
    SECTION("a negative sun tolerance, a tiny tile") {
        ShadeConfig config = noon_config(heights, out);
        config.sun_tolerance_deg = -1;
        const auto tolerance = error_of<UsageError>([&] { run_shade(config); });
        CHECK(tolerance.subject() == "sun_tolerance");
        require_keys_only(tolerance);
        config = noon_config(heights, out);
        config.tile_size = 8;
        const auto tile = error_of<UsageError>([&] { run_shade(config); });
        CHECK(tile.subject() == "tile_size");
        CHECK(tile.message() == "8 cells is below 16");
    }
    SECTION("step 0") {
        ShadeConfig config = noon_config(heights, out);
        config.window = parse_clock_window("10:00-14:00", "time");
        config.step_minutes = 0;
        const auto error = error_of<UsageError>([&] { run_shade(config); });
        CHECK(error.subject() == "step");
        CHECK(error.message() == "expected a positive number of minutes, got 0");
        require_keys_only(error);
    }
    SECTION("the sun below the horizon at every instant") {
        ShadeConfig config = noon_config(heights, out);
        config.window = parse_clock_window("23:00-23:30", "time");
        const auto error = error_of<UsageError>([&] { run_shade(config); });
        CHECK(error.subject() == "time");
        CHECK_THAT(error.message(), StartsWith("the sun is below the horizon at all 3 sampled instants at "));
        require_keys_only(error);
        CHECK(keys_as_flags(error.hint()) == "check --date, --time and --tz (the times are local clock times)");
    }
    SECTION("a time zone half a day from the place's solar time") {
        ShadeConfig config = noon_config(heights, out);
        config.zone = TimeZone::parse("+12:00");
        const auto error = error_of<InputError>([&] { run_shade(config); });
        CHECK(error.subject() == "tz");
        CHECK_THAT(error.message(), StartsWith("+12:00 is UTC+12:00 on 2024-07-15, but solar time at the raster's centre"));
        require_keys_only(error);
        CHECK(keys_as_flags(error.hint()) == "give the place's time zone, or --force-tz to use this one anyway");
    }
    SECTION("an output that exists") {
        std::ofstream(out) << "earlier";
        const auto error = error_of<OutputError>([&] { run_shade(noon_config(heights, out)); });
        CHECK(error.subject() == out);
        CHECK(error.message() == "already exists");
        require_keys_only(error);
        CHECK(keys_as_flags(error.hint()) == "use --overwrite to replace it");
    }
    SECTION("heights in furlongs") {
        {
            GDALAllRegister();
            GDALDatasetUniquePtr dataset(GDALDataset::Open(heights.c_str(), GDAL_OF_RASTER | GDAL_OF_UPDATE));
            REQUIRE(dataset);
            dataset->GetRasterBand(1)->SetUnitType("furlong");
        }
        const auto error = error_of<InputError>([&] { run_shade(noon_config(heights, out)); });
        CHECK(error.subject() == heights);
        CHECK(error.message() == "band 1 has the unit 'furlong'; heights must be in metres or feet (`surface`)");
        require_keys_only(error);
        CHECK(keys_as_flags(error.message()) ==
              "band 1 has the unit 'furlong'; heights must be in metres or feet (--surface)");
    }
    SECTION("canopy on another grid than the buildings") {
        const std::string canopy = dir.file("canopy.tif");
        write_box(canopy, 583000, 2.0);
        ShadeConfig config = noon_config("", out);
        config.buildings = heights;
        config.canopy_height = canopy;
        const auto error = error_of<InputError>([&] { run_shade(config); });
        CHECK(error.subject() == canopy);
        require_keys_only(error);
        CHECK_THAT(keys_as_flags(error.message()), Contains(") differs from --buildings (60 × 60 cells of 1 × 1 from"));
    }
    CHECK_FALSE(std::filesystem::exists(dir.file("shade.json")));
}

TEST_CASE("the sun, calendar and time-zone functions name keys", "[keys][sun]") {
    const auto zone = error_of<UsageError>([] { TimeZone::parse("Nowhere/City"); });
    CHECK(zone.subject() == "tz");
    require_keys_only(zone);

    const DateRange day = parse_date_range("2024-07-15", "date");
    const ClockWindow window = parse_clock_window("10:00-12:00", "time");
    const auto step = error_of<UsageError>(
        [&] { sample_sun(day, window, 0, TimeZone::parse("America/New_York"), 40.7, -74.0); });
    CHECK(step.subject() == "step");
    require_keys_only(step);

    const auto far = error_of<InputError>(
        [] { check_zone_fits_place(TimeZone::parse("Pacific/Auckland"), {2024, 7, 15}, -74.0, "the place"); });
    CHECK(far.subject() == "tz");
    require_keys_only(far);
    CHECK_THAT(far.hint(), Contains("`force_tz = true`"));

    const auto skipped = error_of<UsageError>(
        [] { sample_sun_at({{{2024, 3, 10}, 2, 30, 0}}, TimeZone::parse("America/New_York"), 40.7, -74.0, "at"); });
    CHECK(skipped.subject() == "at");
    require_keys_only(skipped);
}

TEST_CASE("run_shade's warning of a skipped local time has the key time as its subject", "[keys][shade]") {
    test::TempDir dir;
    const std::string heights = dir.file("heights.tif");
    write_box(heights);
    // Samoa skipped 2011-12-30 (UTC-10 to UTC+14). On the 29th, 06:00 in Apia is 16:00 UTC, late
    // morning at 74° W; force_tz, as Apia is not the raster's zone.
    ShadeConfig config = noon_config(heights, dir.file("shade.tif"));
    config.dates = parse_date_range("2011-12-29..2011-12-30", "date");
    config.window = parse_clock_window("06:00", "time");
    config.zone = TimeZone::parse("Pacific/Apia");
    config.force_tz = true;
    const ShadeResult result = run_shade(config);
    CHECK(result.used_count == 1);
    REQUIRE(result.diagnostics.warnings().size() == 1);
    const Warning& warning = result.diagnostics.warnings().front();
    CHECK(warning.code == "missing-local-time");
    CHECK(warning.subject == "time");
    CHECK(warning.subject_is_key);
    CHECK(warning.message == "2011-12-30T06:00 does not exist in Pacific/Apia (daylight saving starts); left out");
}
