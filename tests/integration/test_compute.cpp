// compute() and write_outputs(): a run's tables in memory, checked by hand, and its files the
// same bytes as run_pipeline's; library errors that name configuration keys; GDAL's
// process-wide settings left as they were.
// SPDX-License-Identifier: MIT
#include "fixtures.hpp"

#include "shadegap/error.hpp"
#include "shadegap/options.hpp"
#include "shadegap/outcome.hpp"
#include "shadegap/pipeline.hpp"

#include <catch2/catch.hpp>
#include <cpl_conv.h>
#include <cpl_string.h>
#include <gdal.h>
#include <nlohmann/json.hpp>
#include <ogr_geometry.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>

using namespace shadegap;
using shadegap::test::TempDir;
using Catch::Matchers::StartsWith;

namespace {

// Raster: EPSG:32618, 2 m cells, 10 × 10: x 500000–500020, y 4000000–4000020. Columns 0–4
// (x < 500010) are canopy (class 1), the rest grass (2).
// A: x 500000–500010, y 4000000–4000020: 200 m², all canopy (1.0), 10 people.
// B: x 500006–500016, y 4000000–4000010: 100 m², canopy on x 500006–500010 = 40 m² (0.4), 30 people.
// C: x 500010–500020, y 4000010–4000020: 100 m², no canopy (0.0), 20 people.
// D: x 500030–500040: off the raster: no canopy value, no score, no rank; 5 people.
// Model canopy-gap: the density (people per km² of land) is above 8,000 everywhere, so every
// goal is 0.40 × 0.5 = 0.2; gaps A 0, B 0, C 0.2 (gap_max 0.2); priority = population / 30
// (floor 0): A 1/3, B 1, C 2/3; score = floor(100 × (1 − gap / gap_max × priority)): A 100,
// B 100, C floor(33.3) = 33. Ranks by score, then population (descending): C 1, B 2, A 3.
constexpr double x0 = 500000, y0 = 4000000;

std::string box(double xa, double ya, double xb, double yb) {
    auto f = [](double v) { return std::to_string(v); };
    return "POLYGON((" + f(xa) + " " + f(ya) + "," + f(xb) + " " + f(ya) + "," + f(xb) + " " + f(yb) + "," + f(xa) +
           " " + f(yb) + "," + f(xa) + " " + f(ya) + "))";
}

RunConfig write_city(const TempDir& dir) {
    std::vector<double> values(100);
    for (int r = 0; r < 10; ++r)
        for (int c = 0; c < 10; ++c) values[static_cast<std::size_t>(r * 10 + c)] = c < 5 ? 1 : 2;
    test::write_raster(dir.file("canopy.tif"), 10, 10, x0, y0 + 20, 2.0, values, 32618);
    const std::vector<test::TestFeature> units = {
        {box(x0, y0, x0 + 10, y0 + 20), {{"GEOID", "A"}}, {{"population", 10}}},
        {box(x0 + 6, y0, x0 + 16, y0 + 10), {{"GEOID", "B"}}, {{"population", 30}}},
        {box(x0 + 10, y0 + 10, x0 + 20, y0 + 20), {{"GEOID", "C"}}, {{"population", 20}}},
        {box(x0 + 30, y0, x0 + 40, y0 + 10), {{"GEOID", "D"}}, {{"population", 5}}},
    };
    test::write_layer(dir.file("blocks.gpkg"), "GPKG", "blocks", 32618, units);
    RunConfig config;
    config.canopy = dir.file("canopy.tif");
    config.canopy_kind = CanopyKind::parse("classes=1");
    config.units = dir.file("blocks.gpkg");
    config.unit_id = "GEOID";
    config.model = "canopy-gap";
    config.out = dir.file("out");
    return config;
}

std::string text_at(const ResultColumn& column, std::size_t row) {
    return column.valid.at(row) ? column.texts().at(row) : std::string("null");
}

/// run.json without what differs between two runs of the same config: timings and paths.
nlohmann::json comparable_run_json(const std::string& path) {
    nlohmann::json j = nlohmann::json::parse(test::read_text(path));
    j.erase("timings_s");
    j.erase("outputs");
    return j;
}

/// The options of a list that GDAL returns as a copy (CPLGetConfigOptions), which this frees.
std::map<std::string, std::string> config_options(char** list) {
    std::map<std::string, std::string> out;
    for (char** item = list; item && *item; ++item) {
        char* key = nullptr;
        const char* value = CPLParseNameValue(*item, &key);
        if (key) out[key] = value ? value : "";
        CPLFree(key);
    }
    CSLDestroy(list);
    return out;
}

}  // namespace

TEST_CASE("compute returns the run's tables, worked out by hand, and writes nothing", "[compute]") {
    TempDir dir;
    RunConfig config = write_city(dir);
    config.threads = GENERATE(1, 2);
    double last = -1;
    bool ascending = true;
    const RunOutcome outcome = compute(config, [&](double fraction, std::string_view) {
        ascending = ascending && fraction >= last;
        last = fraction;
    });
    CHECK(ascending);
    CHECK(last == 1.0);
    CHECK_FALSE(std::filesystem::exists(config.out));
    CHECK(outcome.result.outputs.empty());
    CHECK(outcome.result.unit_count == 4);
    CHECK(outcome.result.ranking_unit_count == 4);
    CHECK(outcome.result.model == "canopy-gap");
    CHECK_FALSE(outcome.equity);
    CHECK_FALSE(outcome.disparity);
    CHECK_FALSE(outcome.plan);
    CHECK_FALSE(outcome.walks);

    // units.csv's table, in the layer's order.
    const ResultTable& units = outcome.units;
    REQUIRE(units.row_count() == 4);
    CHECK(units.geometries.empty());
    CHECK(units.column("unit_id").texts() == std::vector<std::string>{"A", "B", "C", "D"});
    const ResultColumn& fraction = units.column("canopy_fraction");
    REQUIRE(fraction.type() == ResultColumn::Type::Real);
    CHECK(fraction.reals()[0] == Approx(1.0).margin(1e-12));
    CHECK(fraction.reals()[1] == Approx(0.4).margin(1e-12));
    CHECK(fraction.reals()[2] == Approx(0.0).margin(1e-12));
    CHECK(fraction.valid == std::vector<std::uint8_t>{1, 1, 1, 0});
    CHECK(std::isnan(fraction.reals()[3]));  // null: NaN as well as valid 0
    CHECK(units.column("valid_m2").reals()[0] == Approx(200).margin(1e-9));
    CHECK(units.column("canopy_m2").reals()[1] == Approx(40).margin(1e-9));
    CHECK(units.column("population").reals() == std::vector<double>{10, 30, 20, 5});
    CHECK(units.find("no such column") == nullptr);
    CHECK_THROWS_AS(units.column("no such column"), std::out_of_range);

    // priority.csv's table, in rank order, with each unit's polygon.
    const ResultTable& priority = outcome.priority;
    REQUIRE(priority.row_count() == 4);
    const ResultColumn& id = priority.column("id");
    CHECK((text_at(id, 0) + text_at(id, 1) + text_at(id, 2) + text_at(id, 3)) == "CBAD");
    const ResultColumn& rank = priority.column("rank");
    REQUIRE(rank.type() == ResultColumn::Type::Integer);
    CHECK(rank.integers() == std::vector<std::int64_t>{1, 2, 3, 0});
    CHECK(rank.valid == std::vector<std::uint8_t>{1, 1, 1, 0});
    const ResultColumn& score = priority.column("score");
    CHECK(score.reals()[0] == 33);
    CHECK(score.reals()[1] == 100);
    CHECK(score.reals()[2] == 100);
    CHECK(score.valid[3] == 0);
    const ResultColumn& canopy_pct = priority.column("canopy_pct");
    CHECK(canopy_pct.reals()[0] == Approx(0).margin(1e-9));
    CHECK(canopy_pct.reals()[1] == Approx(40).margin(1e-9));
    CHECK(canopy_pct.reals()[2] == Approx(100).margin(1e-9));
    CHECK(priority.column("priority").reals()[0] == Approx(2.0 / 3).margin(1e-12));
    REQUIRE(priority.geometries.size() == 4);
    CHECK_FALSE(priority.crs_wkt.empty());
    const double areas[] = {100, 100, 200, 100};  // C, B, A, D
    for (std::size_t i = 0; i < 4; ++i) {
        OGRGeometry* geometry = nullptr;
        REQUIRE(OGRGeometryFactory::createFromWkb(priority.geometries[i].data(), nullptr, &geometry,
                                                  static_cast<int>(priority.geometries[i].size())) == OGRERR_NONE);
        CHECK(geometry->toSurface()->get_Area() == Approx(areas[i]).margin(1e-6));
        OGRGeometryFactory::destroyGeometry(geometry);
    }
}

TEST_CASE("write_outputs writes what run_pipeline writes, byte for byte", "[compute]") {
    TempDir dir;
    RunConfig config = write_city(dir);
    config.threads = GENERATE(1, 2);
    config.out = dir.file("whole");
    const RunResult whole = run_pipeline(config);

    RunConfig in_memory = config;
    in_memory.out.clear();
    const RunOutcome outcome = compute(in_memory);
    RunConfig output = config;
    output.out = dir.file("split");
    const std::vector<std::string> written = write_outputs(outcome, output);
    REQUIRE(written.size() == whole.outputs.size());
    for (std::size_t i = 0; i < written.size(); ++i) {
        const std::string name = std::filesystem::path(written[i]).filename().string();
        INFO(name);
        CHECK(name == std::filesystem::path(whole.outputs[i]).filename().string());
        if (name == "run.json") {
            CHECK(comparable_run_json(written[i]) == comparable_run_json(whole.outputs[i]));
        } else {
            CHECK(test::read_text(written[i]) == test::read_text(whole.outputs[i]));
        }
    }

    // The outcome writes as often as asked; existing outputs need overwrite, and the refused
    // write leaves the earlier files as they were.
    const std::string before = test::read_text(dir.file("split/priority.csv"));
    try {
        write_outputs(outcome, output);
        FAIL("no error for existing outputs");
    } catch (const OutputError& error) {
        CHECK(error.subject() == output.out);
        CHECK(error.hint() == "use `overwrite = true`, or choose another `out`");
        CHECK(keys_as_flags(error.hint()) == "use --overwrite, or choose another --out");
    }
    CHECK(test::read_text(dir.file("split/priority.csv")) == before);
    output.overwrite = true;
    CHECK(write_outputs(outcome, output).size() == written.size());

    // Only the output options of the second config apply: a GeoPackage as well here.
    RunConfig gpkg = config;
    gpkg.out = dir.file("gpkg");
    gpkg.format = OutputFormat::GeoPackage;
    gpkg.unit_id = "ignored";  // compute's own options are kept
    const auto with_gpkg = write_outputs(outcome, gpkg);
    CHECK(with_gpkg.size() == written.size() + 1);
    CHECK(test::read_text(dir.file("gpkg/priority.csv")) == before);

    RunConfig nowhere = config;
    nowhere.out.clear();
    try {
        write_outputs(outcome, nowhere);
        FAIL("no error for an empty out");
    } catch (const OutputError& error) {
        CHECK(error.subject() == "out");
    }
    CHECK_THROWS_AS(write_outputs(RunOutcome{}, output), UsageError);
}

TEST_CASE("library errors name configuration keys, which the CLI shows as flags", "[compute][errors]") {
    TempDir dir;
    RunConfig config = write_city(dir);
    config.fields["population"] = "POP";
    try {
        compute(config);
        FAIL("no error for a missing column");
    } catch (const InputError& error) {
        CHECK(error.subject() == config.units);
        CHECK(error.hint() == "map it with `fields.population = COLUMN`");
        CHECK(keys_as_flags(error.hint()) == "map it with --field population=COLUMN");
    }
    CHECK_FALSE(std::filesystem::exists(config.out));
}

TEST_CASE("more threads than cores: the warning's subject is the key threads, not a flag", "[compute][errors]") {
    TempDir dir;
    RunConfig config = write_city(dir);
    config.threads = 1000000;  // above the cores of any machine that runs the tests
    const RunOutcome outcome = compute(config);
    const std::vector<Warning>& warnings = outcome.result.diagnostics.warnings();
    const auto capped = std::find_if(warnings.begin(), warnings.end(),
                                     [](const Warning& w) { return w.code == "threads-capped"; });
    REQUIRE(capped != warnings.end());
    CHECK(capped->subject == "threads");
    CHECK(capped->subject_is_key);
    CHECK_THAT(capped->message, StartsWith("1000000 threads asked for, but this machine has "));
    CHECK(flag_of_key(capped->subject) == "--threads");  // what the CLI prints
    for (const Warning& warning : warnings) {
        INFO(warning.subject << ": " << warning.message);
        CHECK(warning.subject.find("--") == std::string::npos);
        CHECK(warning.message.find("--") == std::string::npos);
    }
}

TEST_CASE("a run leaves GDAL's process-wide settings as it found them", "[compute][gdal]") {
    TempDir dir;
    RunConfig config = write_city(dir);
    config.format = OutputFormat::GeoPackage;  // the GeoPackage writer sets a thread-local option
    REQUIRE(CPLGetConfigOption("GDAL_CACHEMAX", nullptr) == nullptr);

    const GIntBig original_cache = GDALGetCacheMax64();
    const GIntBig cache = GIntBig{512} << 20;
    GDALSetCacheMax64(cache);
    CPLSetConfigOption("SHADEGAP_TEST_GLOBAL", "kept");
    CPLSetThreadLocalConfigOption("SHADEGAP_TEST_LOCAL", "kept");
    const auto global_before = config_options(CPLGetConfigOptions());
    const auto local_before = config_options(CPLGetThreadLocalConfigOptions());

    GIntBig during_overlay = 0;
    const RunResult result = run_pipeline(config, [&](double, std::string_view stage) {
        if (stage == "overlay") during_overlay = GDALGetCacheMax64();
    });
    CHECK(result.outputs.size() == 7);
    // The overlay holds the block cache to what it needs (32 MB at least; docs/library.md)...
    CHECK(during_overlay == GIntBig{32} << 20);
    // ...and gives the caller's size back; no configuration option is left changed.
    CHECK(GDALGetCacheMax64() == cache);
    CHECK(config_options(CPLGetConfigOptions()) == global_before);
    CHECK(config_options(CPLGetThreadLocalConfigOptions()) == local_before);
    CHECK(std::string(CPLGetThreadLocalConfigOption("SHADEGAP_TEST_LOCAL", "")) == "kept");

    // The same after a run stopped inside the overlay (as the CLI stops one on Ctrl-C).
    RunConfig stopped = config;
    stopped.out = dir.file("stopped");
    CHECK_THROWS_AS(run_pipeline(stopped,
                                 [](double, std::string_view stage) {
                                     if (stage == "overlay") throw Interrupted("test", "stopped in the overlay");
                                 }),
                    Interrupted);
    CHECK_FALSE(std::filesystem::exists(stopped.out));
    CHECK(GDALGetCacheMax64() == cache);
    CHECK(config_options(CPLGetConfigOptions()) == global_before);

    CPLSetConfigOption("SHADEGAP_TEST_GLOBAL", nullptr);
    CPLSetThreadLocalConfigOption("SHADEGAP_TEST_LOCAL", nullptr);
    GDALSetCacheMax64(original_cache);
}
