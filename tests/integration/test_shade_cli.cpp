// The built program's `shade` and `sun` commands: outputs, manifest, masks, errors and their docs.
// SPDX-License-Identifier: MIT
#include "fixtures.hpp"
#include "run_binary.hpp"

#include "shadegap/shade.hpp"
#include "shadegap/sun.hpp"

#include <catch2/catch.hpp>
#include <gdal_priv.h>
#include <gdal_utils.h>
#include <nlohmann/json.hpp>
#include <ogr_spatialref.h>

#include <sys/wait.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

using namespace shadegap;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;

namespace {

namespace fs = std::filesystem;

using test::Outcome;
using test::require_one_line_error;

Outcome run(const std::vector<std::string>& args) { return test::run_binary(SHADEGAP_BINARY, args); }

/// A 60 × 60 raster of 1 m cells (or `cell` CRS units) in `epsg` with a 10 m box in the middle.
std::vector<double> write_box(const std::string& path, int epsg, double cell, double x_min, double y_max) {
    std::vector<double> heights(60 * 60, 0.0);
    for (int r = 28; r < 32; ++r)
        for (int c = 28; c < 33; ++c) heights[static_cast<std::size_t>(r * 60 + c)] = 10.0;
    const double nodata = -1;
    test::write_raster(path, 60, 60, x_min, y_max, cell, heights, epsg, GDT_Float32, &nodata);
    return heights;
}

struct Band {
    std::vector<double> values;
    std::string layout;
    GDALDataType type = GDT_Unknown;
    bool has_nodata = false;
    double nodata = 0;
};

Band read_band(const std::string& path) {
    GDALAllRegister();
    Band band;
    GDALDataset* dataset = static_cast<GDALDataset*>(GDALOpen(path.c_str(), GA_ReadOnly));
    REQUIRE(dataset != nullptr);
    const char* layout = dataset->GetMetadataItem("LAYOUT", "IMAGE_STRUCTURE");
    band.layout = layout ? layout : "";
    GDALRasterBand* b = dataset->GetRasterBand(1);
    band.type = b->GetRasterDataType();
    int has = 0;
    band.nodata = b->GetNoDataValue(&has);
    band.has_nodata = has != 0;
    band.values.resize(static_cast<std::size_t>(dataset->GetRasterXSize()) * static_cast<std::size_t>(dataset->GetRasterYSize()));
    CHECK(b->RasterIO(GF_Read, 0, 0, dataset->GetRasterXSize(), dataset->GetRasterYSize(), band.values.data(),
                      dataset->GetRasterXSize(), dataset->GetRasterYSize(), GDT_Float64, 0, 0) == CE_None);
    GDALClose(dataset);
    return band;
}

std::set<std::string> options_in(const std::string& help) {
    std::set<std::string> options;
    static const std::regex option(R"((?:^|[\s,(])(--[a-z][a-z0-9-]*))");
    for (auto it = std::sregex_iterator(help.begin(), help.end(), option); it != std::sregex_iterator(); ++it)
        options.insert((*it)[1]);
    return options;
}

std::string full_precision(double value) {
    std::ostringstream text;
    text.precision(17);
    text << value;
    return text.str();
}

bool leftovers_in(const fs::path& dir) {
    for (const auto& entry : fs::directory_iterator(dir))
        if (entry.path().filename().string().rfind(".shadegap-tmp", 0) == 0) return true;
    return false;
}

/// Numbers uniform in [0, 1) from a 64-bit linear congruential generator: the same draws on
/// every machine and compiler.
class Draws {
public:
    explicit Draws(std::uint64_t seed) : m_state(seed) {}
    double operator()() {
        m_state = m_state * 6364136223846793005ULL + 1442695040888963407ULL;
        return static_cast<double>(m_state >> 11) * 0x1.0p-53;
    }

private:
    std::uint64_t m_state;
};

}  // namespace

TEST_CASE("every option of shade and sun --help is on its page in docs/cli", "[cli][shade]") {
    for (const std::string command : {"shade", "sun"}) {
        const Outcome help = run({command, "--help"});
        REQUIRE(help.status == 0);
        CHECK(help.err.empty());
        const std::string page = test::read_text(std::string(SHADEGAP_SOURCE_DIR) + "/docs/cli/shadegap-" + command + ".md");
        REQUIRE_FALSE(page.empty());
        for (const std::string& option : options_in(help.out)) {
            INFO("option " << option << " of shadegap " << command);
            CHECK_THAT(page, Contains(option));
        }
        for (const std::string section :
             {"## NAME", "## SYNOPSIS", "## DESCRIPTION", "## OPTIONS", "## EXIT STATUS", "## EXAMPLES", "## SEE ALSO"})
            CHECK_THAT(page, Contains(section + "\n"));
    }
}

TEST_CASE("shade writes a COG of shade fractions, masks and a manifest of the sun positions", "[cli][shade]") {
    test::TempDir dir;
    const std::string heights = dir.file("heights.tif");
    // UTM zone 18N, near New York: 383000 E, 4500000 N.
    const std::vector<double> values = write_box(heights, 32618, 1.0, 583000, 4507000);
    const std::string out = dir.file("result/shade.tif");
    const std::string masks = dir.file("result/masks");
    const Outcome outcome = run({"shade", "--surface", heights, "--date", "2024-07-15", "--time", "11:00-13:00",
                                 "--step", "60", "--tz", "America/New_York", "--out", out, "--masks", masks, "--quiet"});
    INFO(outcome.err);
    REQUIRE(outcome.status == 0);
    CHECK(outcome.err.empty());
    CHECK(outcome.out.empty());

    const Band fraction = read_band(out);
    CHECK(fraction.layout == "COG");
    CHECK(fraction.type == GDT_Float32);
    CHECK(fraction.has_nodata);

    const nlohmann::json manifest = nlohmann::json::parse(test::read_text(dir.file("result/shade.json")));
    CHECK(manifest["command"] == "shade");
    CHECK(manifest["time_zone"] == "America/New_York");
    REQUIRE(manifest["instants"].size() == 3);
    CHECK(manifest["instants_used"] == 3);
    CHECK(manifest["instants"][0]["local_time"] == "2024-07-15T11:00:00-04:00");
    CHECK(manifest["instants"][0]["utc_time"] == "2024-07-15T15:00:00Z");

    // Each mask is the library's shadow for the grid azimuth and elevation the manifest records,
    // and the fraction is the masks' mean.
    HeightModel model;
    model.cols = 60;
    model.rows = 60;
    model.opaque.assign(values.begin(), values.end());
    std::vector<double> mean(values.size(), 0.0);
    for (const auto& instant : manifest["instants"]) {
        const double azimuth = instant["azimuth_deg"];
        const double grid_azimuth = instant["grid_azimuth_deg"];
        // Meridian convergence near the zone's central meridian (75° W) at 40.7° N, about 1.2°.
        CHECK(std::abs(grid_azimuth - azimuth) < 2.0);
        CHECK(std::abs(grid_azimuth - azimuth) > 0.5);
        const Band mask = read_band(masks + "/" + instant["mask"].get<std::string>());
        CHECK(mask.layout == "COG");
        const std::vector<std::uint8_t> expected = cast_shadows(model, {grid_azimuth, instant["elevation_deg"].get<double>()});
        std::size_t differing = 0;
        for (std::size_t i = 0; i < expected.size(); ++i) {
            differing += (expected[i] != 0 ? 1.0 : 0.0) != mask.values[i];
            mean[i] += mask.values[i] / 3.0;
        }
        CHECK(differing == 0);
    }
    std::size_t shaded = 0;
    for (std::size_t i = 0; i < mean.size(); ++i) {
        CHECK(fraction.values[i] == Approx(mean[i]).margin(1e-6));
        shaded += fraction.values[i] > 0;
    }
    CHECK(shaded > 0);
    CHECK_FALSE(leftovers_in(dir.file("result")));
    CHECK_FALSE(leftovers_in(masks));

    SECTION("an existing output is kept without --overwrite, and replaced with it") {
        const Outcome again = run({"shade", "--surface", heights, "--date", "2024-07-15", "--time", "12:00", "--tz",
                                   "America/New_York", "--out", out, "--quiet"});
        require_one_line_error(again, 1);
        CHECK_THAT(again.err, Contains("shade.tif: already exists"));
        CHECK_THAT(again.err, Contains("--overwrite"));
        const Outcome replaced = run({"shade", "--surface", heights, "--date", "2024-07-15", "--time", "12:00", "--tz",
                                      "America/New_York", "--out", out, "--overwrite", "--quiet"});
        CHECK(replaced.status == 0);
        const nlohmann::json one = nlohmann::json::parse(test::read_text(dir.file("result/shade.json")));
        CHECK(one["instants"].size() == 1);
        const Band single = read_band(out);
        for (const double v : single.values) CHECK((v == 0.0 || v == 1.0));
    }
}

TEST_CASE("shade reads cell sizes in feet and a canopy with transmissivity", "[cli][shade]") {
    test::TempDir dir;
    // NAD83 / New York Long Island (ftUS), cells of 3.2808333 US feet = 1 m.
    const double foot = 1200.0 / 3937.0;
    const std::string heights = dir.file("feet.tif");
    const std::vector<double> values = write_box(heights, 2263, 1.0 / foot, 980000, 200000);
    const std::string canopy = dir.file("canopy.tif");
    const double nodata = -1;
    std::vector<double> trees(values.size(), 0.0);
    trees[static_cast<std::size_t>(10 * 60 + 10)] = 8;
    test::write_raster(canopy, 60, 60, 980000, 200000, 1.0 / foot, trees, 2263, GDT_Float32, &nodata);
    const std::string out = dir.file("shade.tif");
    const Outcome outcome = run({"shade", "--buildings", heights, "--canopy-height", canopy, "--transmissivity", "0.25",
                                 "--date", "2024-06-21", "--time", "13:00", "--tz", "-04:00", "--out", out, "--quiet"});
    INFO(outcome.err);
    REQUIRE(outcome.status == 0);
    const nlohmann::json manifest = nlohmann::json::parse(test::read_text(dir.file("shade.json")));
    REQUIRE(manifest["instants"].size() == 1);
    HeightModel model;
    model.cols = model.rows = 60;
    model.opaque.assign(values.begin(), values.end());
    model.canopy.assign(trees.begin(), trees.end());
    const std::vector<std::uint8_t> expected =
        cast_shadows(model, {manifest["instants"][0]["grid_azimuth_deg"].get<double>(),
                             manifest["instants"][0]["elevation_deg"].get<double>()});
    const Band fraction = read_band(out);
    std::size_t differing = 0;
    for (std::size_t i = 0; i < expected.size(); ++i) {
        const double want = expected[i] == 2 ? 1.0 : expected[i] == 1 ? 0.75 : 0.0;
        differing += std::abs(fraction.values[i] - want) > 1e-6;
    }
    CHECK(differing == 0);
    CHECK(fraction.values[10 * 60 + 10] == Approx(0.75));  // under the tree's own crown
}

TEST_CASE("shade errors: one line, the right exit status, nothing left behind", "[cli][shade]") {
    test::TempDir dir;
    const std::string heights = dir.file("heights.tif");
    write_box(heights, 32618, 1.0, 583000, 4507000);
    const std::string out = dir.file("o/shade.tif");
    const std::vector<std::string> common = {"--date", "2024-07-15", "--tz", "America/New_York", "--out", out};
    const auto with = [&](std::vector<std::string> args) {
        args.insert(args.begin(), "shade");
        args.insert(args.end(), common.begin(), common.end());
        return run(args);
    };

    const Outcome night = with({"--surface", heights, "--time", "23:00-23:30"});
    require_one_line_error(night, 2);
    CHECK_THAT(night.err, Contains("--time: the sun is below the horizon at all 3 sampled instants"));
    CHECK_FALSE(fs::exists(out));

    require_one_line_error(with({"--surface", heights, "--buildings", heights, "--time", "12:00"}), 2);
    require_one_line_error(with({"--time", "12:00"}), 2);
    const Outcome bad_zone = with({"--surface", heights, "--time", "12:00", "--tz", "Atlantis/Capital"});
    require_one_line_error(bad_zone, 2);
    require_one_line_error(with({"--surface", heights, "--time", "16:00-10:00"}), 2);
    require_one_line_error(with({"--surface", heights, "--time", "12:00", "--transmissivity", "1.5"}), 2);
    const Outcome missing = with({"--surface", dir.file("nope.tif"), "--time", "12:00"});
    require_one_line_error(missing, 1);
    CHECK_THAT(missing.err, Contains("nope.tif"));

    const std::string lonlat = dir.file("lonlat.tif");
    test::write_raster(lonlat, 4, 4, -74.0, 40.7, 0.0001, std::vector<double>(16, 0.0), 4326);
    const Outcome geographic = with({"--surface", lonlat, "--time", "12:00"});
    require_one_line_error(geographic, 1);
    CHECK_THAT(geographic.err, Contains("geographic"));
    CHECK_FALSE(fs::exists(out));
    if (fs::exists(dir.file("o"))) CHECK_FALSE(leftovers_in(dir.file("o")));
}

TEST_CASE("shade and sun show the library's keys as their flags, in the words they always had", "[cli][shade][sun]") {
    // Each line is the command's message as its source wrote it with flags before the library
    // named keys (docs/library.md, "Errors name configuration keys").
    test::TempDir dir;
    const std::string heights = dir.file("heights.tif");
    write_box(heights, 32618, 1.0, 583000, 4507000);
    const std::string out = dir.file("shade.tif");
    const auto shade = [&](std::vector<std::string> args) {
        args.insert(args.begin(), "shade");
        for (const char* arg : {"--date", "2024-07-15", "--out"}) args.emplace_back(arg);
        args.push_back(out);
        return run(args);
    };
    const std::vector<std::string> noon = {"--time", "12:00", "--tz", "America/New_York"};
    const auto with = [](std::vector<std::string> args, const std::vector<std::string>& more) {
        args.insert(args.end(), more.begin(), more.end());
        return args;
    };

    CHECK(shade(with({"--surface", heights, "--transmissivity", "1.5"}, noon)).err ==
          "shadegap: error: --transmissivity: expected a share of light from 0 to 1, got 1.5\n");
    // CLI11 refuses --surface with --buildings before the library sees them.
    CHECK(shade(with({"--surface", heights, "--buildings", heights}, noon)).err ==
          "shadegap: error: --surface: cannot be combined with --buildings (hint: see shadegap shade --help)\n");
    CHECK(shade(noon).err == "shadegap: error: --surface: heights are required: give --surface PATH, or --buildings "
                            "PATH and/or --canopy-height PATH (hint: see shadegap shade --help)\n");
    CHECK(shade(with({"--surface", heights, "--sun-tolerance", "-1"}, noon)).err ==
          "shadegap: error: --sun-tolerance: expected a finite angle in degrees ≥ 0, got -1\n");
    const std::string night = shade({"--surface", heights, "--time", "23:00-23:30", "--tz", "America/New_York"}).err;
    CHECK_THAT(night, StartsWith("shadegap: error: --time: the sun is below the horizon at all 3 sampled instants at "));
    CHECK_THAT(night, Catch::Matchers::EndsWith(" (hint: check --date, --time and --tz (the times are local clock times))\n"));
    const std::string far = shade({"--surface", heights, "--time", "12:00", "--tz", "+12:00"}).err;
    CHECK_THAT(far, StartsWith("shadegap: error: --tz: +12:00 is UTC+12:00 on 2024-07-15, but solar time at the "
                               "raster's centre"));
    CHECK_THAT(far, Catch::Matchers::EndsWith(" (hint: give the place's time zone, or --force-tz to use this one anyway)\n"));
    CHECK(shade({"--surface", heights, "--time", "12:00", "--tz", "Atlantis Capital"}).err ==
          "shadegap: error: --tz: 'Atlantis Capital' is neither a time-zone name nor a UTC offset (hint: give an "
          "IANA name such as America/New_York, an offset such as -04:00, or UTC)\n");
    CHECK_THAT(shade({"--surface", heights, "--time", "12:00", "--tz", "UTC", "--date", "2024-02-30"}).err,
               StartsWith("shadegap: error: --date: "));

    // Samoa skipped 2011-12-30: the warning names --time.
    const Outcome apia = run({"shade", "--surface", heights, "--date", "2011-12-29..2011-12-30", "--time", "06:00",
                              "--tz", "Pacific/Apia", "--force-tz", "--out", out});
    REQUIRE(apia.status == 0);
    CHECK_THAT(apia.err, StartsWith("shadegap: warning: --time: 2011-12-30T06:00 does not exist in Pacific/Apia "
                                    "(daylight saving starts); left out\n"));
    std::ofstream(dir.file("earlier.tif")) << "earlier";
    const Outcome exists = run(with({"shade", "--surface", heights, "--date", "2024-07-15", "--out",
                                     dir.file("earlier.tif")}, noon));
    CHECK(exists.err == "shadegap: error: " + dir.file("earlier.tif") + ": already exists (hint: use --overwrite to "
                        "replace it)\n");

    const std::vector<std::string> place = {"sun", "--lat", "40.7", "--lon", "-74", "--tz", "America/New_York"};
    CHECK(run(with(place, {"--date", "2024-07-15", "--time", "10:00-12:00", "--step", "0"})).err ==
          "shadegap: error: --step: expected a positive number of minutes, got 0\n");
    CHECK(run(with(place, {"--at", "2024-03-10T02:30"})).err ==
          "shadegap: error: --at: 2024-03-10T02:30:00 does not exist in America/New_York: the clocks skip it "
          "(daylight saving starts) (hint: give a time outside the skipped hour)\n");
}

TEST_CASE("sun prints CSV rows for a place and local times", "[cli][sun]") {
    const Outcome spa = run({"sun", "--lat", "39.742476", "--lon", "-105.1786", "--at", "2003-10-17T12:30:30", "--tz", "-07:00"});
    INFO(spa.err);
    REQUIRE(spa.status == 0);
    CHECK(spa.err.empty());
    std::istringstream lines(spa.out);
    std::string header, row;
    std::getline(lines, header);
    std::getline(lines, row);
    CHECK(header == "local_time,utc_time,azimuth_deg,elevation_deg");
    const std::vector<std::string> cells = test::split_csv_line(row);
    REQUIRE(cells.size() == 4);
    CHECK(cells[0] == "2003-10-17T12:30:30-07:00");
    CHECK(cells[1] == "2003-10-17T19:30:30Z");
    CHECK(std::stod(cells[2]) == Approx(194.34024).margin(0.01));       // NREL SPA's worked example
    CHECK(90 - std::stod(cells[3]) == Approx(50.11162).margin(0.01));

    const Outcome window = run({"sun", "--lat", "40.7", "--lon", "-74", "--date", "2024-11-02..2024-11-03", "--time",
                                "10:00-12:00", "--step", "30", "--tz", "America/New_York"});
    REQUIRE(window.status == 0);
    CHECK(std::count(window.out.begin(), window.out.end(), '\n') == 1 + 2 * 5);
    CHECK_THAT(window.out, Contains("2024-11-02T10:00:00-04:00,2024-11-02T14:00:00Z"));
    CHECK_THAT(window.out, Contains("2024-11-03T10:00:00-05:00,2024-11-03T15:00:00Z"));

    test::TempDir dir;
    const std::string raster = dir.file("place.tif");
    write_box(raster, 32618, 1.0, 583000, 4507000);
    OGRSpatialReference utm, wgs84;
    utm.importFromEPSG(32618);
    wgs84.importFromEPSG(4326);
    utm.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
    wgs84.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
    OGRCoordinateTransformation* transform = OGRCreateCoordinateTransformation(&utm, &wgs84);
    double x = 583030, y = 4506970;
    REQUIRE(transform->Transform(1, &x, &y));
    OGRCoordinateTransformation::DestroyCT(transform);
    const Outcome by_raster = run({"sun", "--raster", raster, "--at", "2024-07-15T12:00", "--tz", "America/New_York"});
    const Outcome by_place = run({"sun", "--lat", full_precision(y), "--lon", full_precision(x), "--at",
                                  "2024-07-15T12:00", "--tz", "America/New_York"});
    REQUIRE(by_raster.status == 0);
    REQUIRE(by_place.status == 0);
    CHECK(by_raster.out == by_place.out);
}

TEST_CASE("sun errors", "[cli][sun]") {
    require_one_line_error(run({"sun", "--lat", "40", "--at", "2024-01-01T10:00", "--tz", "UTC"}), 2);
    require_one_line_error(run({"sun", "--lat", "40", "--lon", "-74", "--tz", "UTC"}), 2);
    require_one_line_error(run({"sun", "--lat", "40", "--lon", "-74", "--at", "2024-01-01 10:00", "--tz", "UTC"}), 2);
    require_one_line_error(run({"sun", "--lat", "95", "--lon", "-74", "--at", "2024-01-01T10:00", "--tz", "UTC"}), 2);
    const Outcome gap = run({"sun", "--lat", "40", "--lon", "-74", "--at", "2024-03-10T02:30", "--tz", "America/New_York"});
    require_one_line_error(gap, 2);
    CHECK_THAT(gap.err, Contains("does not exist in America/New_York"));
}

TEST_CASE("run_shade: small tiles and many masks give the same fractions as one tile", "[cli][shade]") {
    test::TempDir dir;
    const std::string heights = dir.file("heights.tif");
    const std::vector<double> values = write_box(heights, 32618, 1.0, 583000, 4507000);
    const auto run_with = [&](std::int64_t tile_size, const std::string& name, const std::string& masks) {
        ShadeConfig config;
        config.surface = heights;
        config.dates = parse_date_range("2024-12-21", "--date");
        config.window = parse_clock_window("07:00-17:00", "--time");
        config.step_minutes = 8;  // 76 instants, about 70 with the sun up: more masks than are kept open
        config.zone = TimeZone::parse("America/New_York");
        config.out = dir.file(name);
        config.masks_dir = masks;
        config.tile_size = tile_size;
        return run_shade(config);
    };
    const ShadeResult small = run_with(16, "small.tif", dir.file("masks"));
    const ShadeResult whole = run_with(1024, "whole.tif", "");
    CHECK(small.used_count > 64);
    CHECK(small.used_count == whole.used_count);
    CHECK(small.sampled_count > small.used_count);  // 07:00 and 17:00 in December: sun down, skipped
    const Band a = read_band(dir.file("small.tif"));
    const Band b = read_band(dir.file("whole.tif"));
    CHECK(a.values == b.values);
    std::size_t masks = 0;
    std::vector<double> mean(values.size(), 0.0);
    // The result keeps no list of instants; the manifest lists them.
    const nlohmann::json manifest = nlohmann::json::parse(test::read_text(dir.file("small.json")));
    REQUIRE(manifest["instants"].size() == small.sampled_count);
    for (const auto& instant : manifest["instants"]) {
        if (!instant["used"].get<bool>()) {
            CHECK_FALSE(instant.contains("mask"));
            continue;
        }
        const Band mask = read_band(dir.file("masks/" + instant["mask"].get<std::string>()));
        for (std::size_t i = 0; i < mean.size(); ++i) mean[i] += mask.values[i];
        ++masks;
    }
    CHECK(masks == small.used_count);
    for (std::size_t i = 0; i < mean.size(); ++i)
        CHECK(a.values[i] == Approx(mean[i] / static_cast<double>(masks)).margin(1e-6));
}

TEST_CASE("run_shade: a VRT of tiles cast in tiles of any size at any thread count gives the bytes of one tile",
          "[cli][shade]") {
    // Buildings 4-40 m and canopy 3-15 m on a 90 × 70 grid of 1 m cells, some cells nodata.
    test::TempDir dir;
    const int cols = 90;
    const int rows = 70;
    std::vector<double> buildings(static_cast<std::size_t>(cols * rows), 0.0);
    std::vector<double> canopy(buildings.size(), 0.0);
    Draws next(12345);
    for (int k = 0; k < 14; ++k) {
        const int r0 = static_cast<int>(next() * (rows - 8));
        const int c0 = static_cast<int>(next() * (cols - 8));
        const double h = 4 + 36 * next();
        for (int r = r0; r < r0 + 3 + static_cast<int>(next() * 5); ++r)
            for (int c = c0; c < c0 + 3 + static_cast<int>(next() * 5); ++c) buildings[static_cast<std::size_t>(r * cols + c)] = h;
    }
    for (std::size_t i = 0; i < canopy.size(); ++i) {
        if (buildings[i] == 0 && next() < 0.2) canopy[i] = 3 + 12 * next();
        if (next() < 0.01) buildings[i] = canopy[i] = -9999;  // nodata
    }
    const double nodata = -9999;
    const double x_min = 583000;
    const double y_max = 4507000;
    test::write_raster(dir.file("b.tif"), cols, rows, x_min, y_max, 1.0, buildings, 32618, GDT_Float32, &nodata);
    test::write_raster(dir.file("c.tif"), cols, rows, x_min, y_max, 1.0, canopy, 32618, GDT_Float32, &nodata);
    // The same heights as a VRT of 2 × 2 tiles of unequal sizes.
    const auto write_mosaic = [&](const std::vector<double>& values, const std::string& name) {
        std::vector<std::string> parts;
        const int split_c = 37;
        const int split_r = 29;
        for (int tr = 0; tr < 2; ++tr)
            for (int tc = 0; tc < 2; ++tc) {
                const int r0 = tr == 0 ? 0 : split_r;
                const int c0 = tc == 0 ? 0 : split_c;
                const int h = tr == 0 ? split_r : rows - split_r;
                const int w = tc == 0 ? split_c : cols - split_c;
                std::vector<double> part(static_cast<std::size_t>(w * h));
                for (int r = 0; r < h; ++r)
                    for (int c = 0; c < w; ++c)
                        part[static_cast<std::size_t>(r * w + c)] = values[static_cast<std::size_t>((r0 + r) * cols + c0 + c)];
                parts.push_back(dir.file(name + std::to_string(tr) + std::to_string(tc) + ".tif"));
                test::write_raster(parts.back(), w, h, x_min + c0, y_max - r0, 1.0, part, 32618, GDT_Float32, &nodata);
            }
        std::vector<const char*> names;
        for (const std::string& part : parts) names.push_back(part.c_str());
        GDALDatasetH vrt = GDALBuildVRT(dir.file(name + ".vrt").c_str(), static_cast<int>(names.size()), nullptr,
                                        names.data(), nullptr, nullptr);
        REQUIRE(vrt != nullptr);
        GDALClose(vrt);
        return dir.file(name + ".vrt");
    };
    const std::string b_vrt = write_mosaic(buildings, "b_tile");
    const std::string c_vrt = write_mosaic(canopy, "c_tile");
    const auto run_with = [&](const std::string& b, const std::string& c, std::int64_t tile_size, int threads,
                              const std::string& name) {
        ShadeConfig config;
        config.buildings = b;
        config.canopy_height = c;
        config.dates = parse_date_range("2024-06-20..2024-06-21", "--date");
        config.window = parse_clock_window("05:30-20:00", "--time");  // low sun at both ends: long halos
        config.step_minutes = 20;
        config.zone = TimeZone::parse("America/New_York");
        config.out = dir.file(name);
        config.tile_size = tile_size;
        config.threads = threads;
        run_shade(config);
        return read_band(dir.file(name)).values;
    };
    const std::vector<double> whole = run_with(dir.file("b.tif"), dir.file("c.tif"), 1024, 1, "whole.tif");
    std::size_t shaded = 0;
    for (const double v : whole) shaded += v > 0 && v <= 1;
    CHECK(shaded > whole.size() / 4);  // a run with shade in it, not a blank raster
    int k = 0;
    for (const std::int64_t tile : {16, 23, 40, 64}) {
        for (const int threads : {1, 2}) {
            INFO("tile " << tile << ", threads " << threads);
            CHECK(run_with(b_vrt, c_vrt, tile, threads, "t" + std::to_string(k++) + ".tif") == whole);
        }
    }
}

TEST_CASE("run_shade: positions cast side by side by the threads, or lines of one position, give the bytes of one thread",
          "[cli][shade]") {
    // Without --masks and with at least 4 positions per thread (or 1 thread), each thread casts
    // whole positions into counts of its own, in batches of 32 per thread, in floats below
    // 4,096 instants and doubles above; with fewer positions the threads share the lines of
    // each position, and with --masks every position's mask is counted in doubles (docs/shade.md,
    // "How it is computed"). Each path against another one. Buildings and canopy at random on
    // 50 × 40 cells of 1 m.
    test::TempDir dir;
    const int cols = 50;
    const int rows = 40;
    std::vector<double> buildings(static_cast<std::size_t>(cols * rows), 0.0);
    std::vector<double> canopy(buildings.size(), 0.0);
    Draws next(777);
    for (std::size_t i = 0; i < buildings.size(); ++i) {
        const double u = next();
        if (u < 0.08) buildings[i] = 5 + 25 * next();
        else if (u < 0.3) canopy[i] = 3 + 12 * next();
    }
    const double nodata = -9999;
    test::write_raster(dir.file("b.tif"), cols, rows, 583000, 4507000, 1.0, buildings, 32618, GDT_Float32, &nodata);
    test::write_raster(dir.file("c.tif"), cols, rows, 583000, 4507000, 1.0, canopy, 32618, GDT_Float32, &nodata);
    int k = 0;
    const auto run_with = [&](const std::string& date, const std::string& time, int step, int threads,
                              std::int64_t tile_size, std::size_t& positions, bool masks = false) {
        ShadeConfig config;
        config.buildings = dir.file("b.tif");
        config.canopy_height = dir.file("c.tif");
        config.dates = parse_date_range(date, "--date");
        config.window = parse_clock_window(time, "--time");
        config.step_minutes = step;
        config.zone = TimeZone::parse("America/New_York");
        config.sun_tolerance_deg = 0;
        config.threads = threads;
        config.tile_size = tile_size;
        config.out = dir.file("r" + std::to_string(k++) + ".tif");
        if (masks) config.masks_dir = dir.file("masks" + std::to_string(k));
        positions = run_shade(config).position_count;
        return read_band(config.out).values;
    };
    std::size_t positions = 0;
    SECTION("many positions: several batches, the last one partial") {
        const std::vector<double> one = run_with("2024-06-20..2024-06-22", "06:00-19:00", 10, 1, 1024, positions);
        REQUIRE(positions > 2 * 32 * 3);
        REQUIRE(positions % (32 * 3) != 0);
        std::size_t shaded = 0;
        for (const double v : one) shaded += v > 0 && v < 1;
        CHECK(shaded > one.size() / 4);  // fractions strictly between 0 and 1: shadows that move
        for (const int threads : {2, 3}) {
            for (const std::int64_t tile : {16, 1024}) {
                INFO("threads " << threads << ", tile " << tile);
                CHECK(run_with("2024-06-20..2024-06-22", "06:00-19:00", 10, threads, tile, positions) == one);
            }
        }
    }
    SECTION("the counts of a --masks run: in doubles, from each position's mask, the lines shared") {
        const std::vector<double> reference = run_with("2024-06-20", "06:00-19:00", 60, 1, 1024, positions, true);
        REQUIRE(positions >= 4 * 2);
        CHECK(run_with("2024-06-20", "06:00-19:00", 60, 1, 1024, positions) == reference);
        CHECK(run_with("2024-06-20", "06:00-19:00", 60, 2, 16, positions) == reference);
    }
    SECTION("more than 4,095 instants: counts in doubles rather than floats") {
        // 2 months at 5-minute steps: about 6,700 instants with the sun up, too many for the
        // floats' 2¹² × opaque + canopy, cast at tolerance 1 into far fewer positions.
        const auto run_many = [&](int threads, std::int64_t tile) {
            ShadeConfig config;
            config.buildings = dir.file("b.tif");
            config.canopy_height = dir.file("c.tif");
            config.dates = parse_date_range("2024-06-01..2024-07-31", "--date");
            config.window = parse_clock_window("09:00-18:00", "--time");
            config.step_minutes = 5;
            config.zone = TimeZone::parse("America/New_York");
            config.sun_tolerance_deg = 1;
            config.threads = threads;
            config.tile_size = tile;
            config.out = dir.file("m" + std::to_string(k++) + ".tif");
            const ShadeResult result = run_shade(config);
            CHECK(result.used_count > 4096);
            CHECK(result.position_count >= 4 * 2);
            return read_band(config.out).values;
        };
        const std::vector<double> one = run_many(1, 1024);
        CHECK(run_many(2, 1024) == one);
        CHECK(run_many(2, 16) == one);
    }
    SECTION("few positions: the threads share each position's lines") {
        const std::vector<double> one = run_with("2024-06-20", "07:00-07:30", 10, 1, 1024, positions);
        REQUIRE(positions == 4);  // fewer than 4 per thread at 2 threads
        CHECK(run_with("2024-06-20", "07:00-07:30", 10, 2, 1024, positions) == one);
        CHECK(run_with("2024-06-20", "07:00-07:30", 10, 2, 16, positions) == one);
    }
}

// --sun-tolerance: instants sharing one shadow (docs/shade.md, "Sun positions computed once").

namespace {

ShadeConfig box_config(const std::string& heights, const std::string& out, const std::string& date,
                       const std::string& time, int step, double tolerance) {
    ShadeConfig config;
    config.surface = heights;
    config.dates = parse_date_range(date, "date");
    config.window = parse_clock_window(time, "time");
    config.step_minutes = step;
    config.zone = TimeZone::parse("America/New_York");
    config.sun_tolerance_deg = tolerance;
    config.out = out;
    return config;
}

/// The manifest without the keys that differ between equal runs (time taken, threads).
nlohmann::json manifest_of(const std::string& path) {
    nlohmann::json manifest = nlohmann::json::parse(test::read_text(path));
    manifest.erase("seconds");
    manifest.erase("threads");
    manifest.erase("output");
    for (auto& input : manifest["inputs"]) input.erase("path");
    return manifest;
}

}  // namespace

TEST_CASE("sun tolerance 0 casts every instant, with the same bytes as positions one instant each", "[cli][shade][sun-tolerance]") {
    test::TempDir dir;
    const std::string heights = dir.file("heights.tif");
    write_box(heights, 32618, 1.0, 583000, 4507000);
    // Tolerance 0 takes the path of the code before --sun-tolerance (each instant cast as it is
    // made); a tolerance of 1e-9° takes the path of the groups, where no two instants of this run
    // fall in one cell, so each group is one instant with weight 1 at its own position. The two
    // must give the same bytes. (The bytes of tolerance 0 were also compared with the binary of
    // main before this change on the sample city's summer: identical; see docs/shade.md.)
    const ShadeResult exact = run_shade(box_config(heights, dir.file("exact.tif"), "2024-07-14..2024-07-16",
                                                   "06:00-20:00", 20, 0.0));
    const ShadeResult tiny = run_shade(box_config(heights, dir.file("tiny.tif"), "2024-07-14..2024-07-16",
                                                  "06:00-20:00", 20, 1e-9));
    CHECK(exact.position_count == exact.used_count);
    CHECK(tiny.position_count == tiny.used_count);
    CHECK(test::read_text(dir.file("exact.tif")) == test::read_text(dir.file("tiny.tif")));
    nlohmann::json a = manifest_of(dir.file("exact.json"));
    nlohmann::json b = manifest_of(dir.file("tiny.json"));
    CHECK(a["sun_tolerance_deg"] == 0.0);
    CHECK(b["sun_tolerance_deg"] == 1e-9);
    a.erase("sun_tolerance_deg");
    b.erase("sun_tolerance_deg");
    CHECK(a == b);
    REQUIRE(a["positions"].size() == exact.used_count);
    CHECK(a["positions_computed"] == exact.used_count);
    std::size_t number = 0;
    std::size_t used = 0;
    for (const auto& instant : a["instants"]) {
        if (instant["used"].get<bool>()) {
            const auto& position = a["positions"][used++];
            CHECK(position["weight"] == 1);
            CHECK(position["instants"] == nlohmann::json::array({number}));
            CHECK(position["grid_azimuth_deg"] == instant["grid_azimuth_deg"]);
            CHECK(position["elevation_deg"] == instant["elevation_deg"]);
        }
        ++number;
    }
}

TEST_CASE("two instants within the sun tolerance are cast once, with weight 2", "[cli][shade][sun-tolerance]") {
    test::TempDir dir;
    const std::string heights = dir.file("heights.tif");
    write_box(heights, 32618, 1.0, 583000, 4507000);
    const auto shade = [&](const std::string& name, const std::string& tolerance) {
        const Outcome outcome = run({"shade", "--surface", heights, "--date", "2024-07-15", "--time", "10:00-10:02",
                                     "--step", "2", "--tz", "America/New_York", "--sun-tolerance", tolerance,
                                     "--out", dir.file(name + ".tif"), "--masks", dir.file(name)});
        INFO(outcome.err);
        REQUIRE(outcome.status == 0);
        return outcome;
    };
    shade("exact", "0");
    const nlohmann::json exact = nlohmann::json::parse(test::read_text(dir.file("exact.json")));
    REQUIRE(exact["positions"].size() == 2);
    const auto& first = exact["instants"][0];
    const auto& second = exact["instants"][1];
    // Two minutes apart at 10:00 in July the sun moves about half a degree: both fall in one
    // cell of 5° × 5° of (grid azimuth, elevation), which this checks before relying on it.
    const double a0 = first["grid_azimuth_deg"].get<double>(), e0 = first["elevation_deg"].get<double>();
    const double a1 = second["grid_azimuth_deg"].get<double>(), e1 = second["elevation_deg"].get<double>();
    REQUIRE(std::floor(a0 / 5) == std::floor(a1 / 5));
    REQUIRE(std::floor(e0 / 5) == std::floor(e1 / 5));
    CHECK(std::hypot(a1 - a0, e1 - e0) < 1.0);

    const Outcome grouped = shade("grouped", "5");
    CHECK_THAT(grouped.err, Contains("sun up at 2 of them, cast at 1 sun position within --sun-tolerance 5°"));
    const nlohmann::json manifest = nlohmann::json::parse(test::read_text(dir.file("grouped.json")));
    CHECK(manifest["sun_tolerance_deg"] == 5.0);
    CHECK(manifest["instants_used"] == 2);
    CHECK(manifest["positions_computed"] == 1);
    REQUIRE(manifest["positions"].size() == 1);
    const auto& position = manifest["positions"][0];
    CHECK(position["weight"] == 2);
    CHECK(position["instants"] == nlohmann::json::array({0, 1}));
    CHECK(position["grid_azimuth_deg"].get<double>() == Approx((a0 + a1) / 2).margin(1e-12));
    CHECK(position["elevation_deg"].get<double>() == Approx((e0 + e1) / 2).margin(1e-12));
    CHECK(manifest["instants"] == exact["instants"]);  // the instants are listed as before
    // Both instants keep their own mask, each the shadow of the one position; one position of
    // weight 2 out of 2 instants: the fraction is that shadow, 0 or 1.
    const Band mask0 = read_band(dir.file("grouped/" + manifest["instants"][0]["mask"].get<std::string>()));
    const Band mask1 = read_band(dir.file("grouped/" + manifest["instants"][1]["mask"].get<std::string>()));
    CHECK(mask0.values == mask1.values);
    const Band fraction = read_band(dir.file("grouped.tif"));
    for (std::size_t i = 0; i < fraction.values.size(); ++i) CHECK(fraction.values[i] == mask0.values[i]);
}

TEST_CASE("sun tolerance: the groups and the bytes do not depend on the threads", "[cli][shade][sun-tolerance]") {
    test::TempDir dir;
    const std::string heights = dir.file("heights.tif");
    write_box(heights, 32618, 1.0, 583000, 4507000);
    ShadeConfig one = box_config(heights, dir.file("one.tif"), "2024-06-01..2024-06-20", "09:00-18:00", 15, 1.0);
    one.threads = 1;
    ShadeConfig two = one;
    two.threads = 2;
    two.out = dir.file("two.tif");
    two.tile_size = 16;  // and tiles of any size
    const ShadeResult a = run_shade(one);
    const ShadeResult b = run_shade(two);
    CHECK(a.position_count < a.used_count);
    CHECK(a.position_count == b.position_count);
    CHECK(test::read_text(dir.file("one.tif")) == test::read_text(dir.file("two.tif")));
    nlohmann::json ma = manifest_of(dir.file("one.json"));
    nlohmann::json mb = manifest_of(dir.file("two.json"));
    mb["tile_size"] = ma["tile_size"];
    CHECK(ma == mb);
}

namespace {

struct Point {
    double x;
    double y;
};

double distance_to_segment(Point p, Point a, Point b) {
    const double dx = b.x - a.x, dy = b.y - a.y;
    const double length2 = dx * dx + dy * dy;
    double t = length2 > 0 ? ((p.x - a.x) * dx + (p.y - a.y) * dy) / length2 : 0;
    t = std::max(0.0, std::min(1.0, t));
    return std::hypot(p.x - (a.x + t * dx), p.y - (a.y + t * dy));
}

/// Distance from p to the boundary of the convex hull of `points` (Andrew's monotone chain).
double distance_to_hull_boundary(Point p, std::vector<Point> points) {
    std::sort(points.begin(), points.end(), [](Point a, Point b) { return a.x < b.x || (a.x == b.x && a.y < b.y); });
    const auto cross = [](Point o, Point a, Point b) { return (a.x - o.x) * (b.y - o.y) - (a.y - o.y) * (b.x - o.x); };
    std::vector<Point> hull(2 * points.size());
    std::size_t k = 0;
    for (std::size_t i = 0; i < points.size(); ++i) {
        while (k >= 2 && cross(hull[k - 2], hull[k - 1], points[i]) <= 0) --k;
        hull[k++] = points[i];
    }
    for (std::size_t i = points.size() - 1, t = k + 1; i > 0; --i) {
        while (k >= t && cross(hull[k - 2], hull[k - 1], points[i - 1]) <= 0) --k;
        hull[k++] = points[i - 1];
    }
    hull.resize(k - 1);
    double best = std::numeric_limits<double>::infinity();
    for (std::size_t i = 0; i < hull.size(); ++i)
        best = std::min(best, distance_to_segment(p, hull[i], hull[(i + 1) % hull.size()]));
    return best;
}

}  // namespace

TEST_CASE("sun tolerance 1 degree: the shade fraction stays within a bound from the box's geometry", "[cli][shade][sun-tolerance]") {
    // The bound. The box (10 m high, footprint F = x 28..33, y −32..−28 m from the raster's
    // top-left corner) casts at sun (grid azimuth A, elevation E) the analytic shadow
    // S = F ⊕ [0, L·u], u = −(sin A, cos A), L = H / tan E: a convex set. A group's position lies
    // in the same 1° × 1° cell as each of its instants, so an instant is cast at (A', E') with
    // |A − A'| < 1° and |E − E'| < 1°: its shadow moves its far end by δ = |L·u − L'·u'|
    // (H·Δ(cot E) along the sun, L·ΔA across it) and S' lies within the Hausdorff distance δ of
    // S. shadegap marks a cell right whenever S's edge does not cross it (docs/shade.md: within
    // √2/2 of the cell's centre for 1 m cells), so a cell can change at that instant only when
    // its centre lies within r = δ + √2 of S's boundary (√2 for the two edges, each within half
    // a diagonal). The fraction is a mean over the instants, so at every cell
    //     |fraction(1°) − fraction(0)| ≤ (instants whose S's boundary lies within δ + √2 of the
    //                                      cell's centre) / (instants used),
    // a count made here from the manifest's positions alone, with no shadow cast.
    test::TempDir dir;
    const std::string heights = dir.file("heights.tif");
    write_box(heights, 32618, 1.0, 583000, 4507000);
    const std::string date = "2024-06-01..2024-06-30";
    run_shade(box_config(heights, dir.file("exact.tif"), date, "09:00-18:00", 15, 0.0));
    const ShadeResult grouped = run_shade(box_config(heights, dir.file("grouped.tif"), date, "09:00-18:00", 15, 1.0));
    CHECK(grouped.position_count < grouped.used_count / 2);
    const nlohmann::json manifest = nlohmann::json::parse(test::read_text(dir.file("grouped.json")));
    std::vector<std::size_t> group_of(manifest["instants"].size(), 0);
    for (std::size_t g = 0; g < manifest["positions"].size(); ++g)
        for (const auto& number : manifest["positions"][g]["instants"]) group_of[number.get<std::size_t>()] = g;

    const double height = 10.0;
    const double pi = std::acos(-1.0);
    std::vector<double> bound(60 * 60, 0.0);
    std::size_t used = 0;
    for (std::size_t n = 0; n < manifest["instants"].size(); ++n) {
        const auto& instant = manifest["instants"][n];
        if (!instant["used"].get<bool>()) continue;
        ++used;
        const auto& position = manifest["positions"][group_of[n]];
        const auto far_end = [&](double azimuth_deg, double elevation_deg) {
            const double length = height / std::tan(elevation_deg * pi / 180);
            return Point{-length * std::sin(azimuth_deg * pi / 180), -length * std::cos(azimuth_deg * pi / 180)};
        };
        const double azimuth = instant["grid_azimuth_deg"].get<double>();
        const double elevation = instant["elevation_deg"].get<double>();
        const Point end = far_end(azimuth, elevation);
        const Point end_cast = far_end(position["grid_azimuth_deg"].get<double>(), position["elevation_deg"].get<double>());
        REQUIRE(std::fabs(position["elevation_deg"].get<double>() - elevation) < 1.0);
        REQUIRE(std::fabs(position["grid_azimuth_deg"].get<double>() - azimuth) < 1.0);
        const double reach = std::hypot(end.x - end_cast.x, end.y - end_cast.y) + std::sqrt(2.0);
        std::vector<Point> corners = {{28, -32}, {33, -32}, {33, -28}, {28, -28}};
        for (std::size_t c = 0; c < 4; ++c) corners.push_back({corners[c].x + end.x, corners[c].y + end.y});
        for (int r = 0; r < 60; ++r)
            for (int c = 0; c < 60; ++c)
                if (distance_to_hull_boundary({c + 0.5, -(r + 0.5)}, corners) <= reach)
                    bound[static_cast<std::size_t>(r * 60 + c)] += 1.0;
    }
    REQUIRE(used == grouped.used_count);
    const Band exact = read_band(dir.file("exact.tif"));
    const Band near = read_band(dir.file("grouped.tif"));
    double error_sum = 0;
    double bound_sum = 0;
    double largest = 0;
    for (std::size_t i = 0; i < bound.size(); ++i) {
        const double error = std::fabs(near.values[i] - exact.values[i]);
        const double allowed = bound[i] / static_cast<double>(used);
        INFO("cell " << i << ": |difference| " << error << ", bound " << allowed);
        CHECK(error <= allowed + 1e-6);
        error_sum += error;
        bound_sum += allowed;
        largest = std::max(largest, error);
    }
    const double cells = static_cast<double>(bound.size());
    INFO("mean |difference| " << 100 * error_sum / cells << " pp, mean bound " << 100 * bound_sum / cells
                              << " pp, largest " << 100 * largest << " pp");
    CHECK(error_sum <= bound_sum);
    CHECK(error_sum / cells < 0.005);  // under half a percentage point, as the default must be
}

TEST_CASE("sun tolerance: a negative value or not a number is a one-line usage error", "[cli][shade][sun-tolerance]") {
    test::TempDir dir;
    const std::string heights = dir.file("heights.tif");
    write_box(heights, 32618, 1.0, 583000, 4507000);
    const std::string out = dir.file("o/shade.tif");
    for (const std::string value : {"-1", "-0.5", "abc", "nan", "inf"}) {
        INFO(value);
        const Outcome outcome = run({"shade", "--surface", heights, "--date", "2024-07-15", "--time", "12:00", "--tz",
                                     "America/New_York", "--sun-tolerance", value, "--out", out});
        require_one_line_error(outcome, 2);
        CHECK_THAT(outcome.err, Contains("--sun-tolerance"));
        CHECK_FALSE(fs::exists(out));
    }
    ShadeConfig config = box_config(heights, out, "2024-07-15", "12:00", 15, -1.0);
    CHECK_THROWS_AS(run_shade(config), UsageError);
}
