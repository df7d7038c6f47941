// The built program's `shade` and `sun` commands: outputs, manifest, masks, errors and their docs.
// SPDX-License-Identifier: MIT
#include "fixtures.hpp"
#include "run_binary.hpp"

#include "shadegap/shade.hpp"
#include "shadegap/sun.hpp"

#include <catch2/catch.hpp>
#include <gdal_priv.h>
#include <nlohmann/json.hpp>
#include <ogr_spatialref.h>

#include <sys/wait.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
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
