// `run --shade`: shade_pct over the land and walkable masks, and the shade-equity model, by hand.
// SPDX-License-Identifier: MIT
#include "csv_rows.hpp"
#include "fixtures.hpp"

#include "shadegap/error.hpp"
#include "shadegap/model.hpp"
#include "shadegap/pipeline.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <functional>
#include <tuple>

using namespace shadegap;
using shadegap::test::TempDir;
using shadegap::test::number;

namespace {

// Land cover: EPSG:32618, 2 m cells, 10 × 6 cells, x 500000–500020, y 4000000–4000012.
// 0 nodata, 1 canopy, 2 grass, 3 bare, 4 water, 5 building, 6 road.
constexpr double x0 = 500000, y_top = 4000012, cell = 2;
constexpr int cols = 10, rows = 6;
const int land_cover[rows][cols] = {
    {6, 5, 2, 1, 1, 2, 6, 6, 4, 4},  //
    {6, 5, 2, 1, 1, 2, 6, 6, 4, 4},  //
    {6, 6, 6, 6, 6, 6, 6, 6, 6, 6},  //
    {2, 2, 1, 1, 5, 5, 6, 2, 2, 0},  //
    {2, 2, 1, 1, 5, 5, 6, 2, 2, 0},  //
    {1, 1, 1, 2, 2, 2, 6, 3, 3, 3},
};
constexpr double shade_nodata = -1;
constexpr int shade_nodata_row = 3, shade_nodata_col = 7;

/// Shade fractions 0–1 (tenths), one cell nodata. Row 0 starts 0.2, 0.5, 0.8.
double shade_at(int r, int c) {
    if (r == shade_nodata_row && c == shade_nodata_col) return shade_nodata;
    return static_cast<double>((r * 7 + c * 3 + 2) % 11) / 10.0;
}

struct Unit {
    std::string id;
    double xa, ya, xb, yb;  // a box in metres
    double population;
    double v[7];  // pctpov, pctpoc, unemplrate, dep_ratio, linguistic, health, temp_diff
};

// A is one row of cells: half of (0,0), all of (0,1), half of (0,2). The others cut cells
// at non-integer positions; C holds canopy nodata and the shade nodata cell.
const std::vector<Unit> units = {
    {"A", x0 + 1, y_top - 2, x0 + 5, y_top, 120, {0.30, 0.40, 0.05, 0.7, 0.05, 0.4, 1.0}},
    {"B", x0 + 5.5, y_top - 8.9, x0 + 11.3, y_top - 0.5, 300, {0.60, 0.80, 0.12, 2.4, 0.20, 0.7, 2.5}},
    {"C", x0 + 11.3, y_top - 12, x0 + 20, y_top - 5, 80, {0.10, 0.20, 0.03, 0.5, 0.00, 0.2, -1.5}},
    {"D", x0, y_top - 12, x0 + 5.5, y_top - 2.8, 210, {0.45, 0.55, 0.09, 1.1, 0.10, 0.5, 0.5}},
};

std::string box(double xa, double ya, double xb, double yb) {
    const auto f = [](double v) { return std::to_string(v); };
    return "POLYGON((" + f(xa) + " " + f(ya) + "," + f(xb) + " " + f(ya) + "," + f(xb) + " " + f(yb) + "," + f(xa) +
           " " + f(yb) + "," + f(xa) + " " + f(ya) + "))";
}

void write_inputs(const TempDir& dir) {
    std::vector<double> classes, shade;
    for (int r = 0; r < rows; ++r) {
        for (int c = 0; c < cols; ++c) {
            classes.push_back(land_cover[r][c]);
            shade.push_back(shade_at(r, c));
        }
    }
    const double nodata = 0;
    test::write_raster(dir.file("landcover.tif"), cols, rows, x0, y_top, cell, classes, 32618, GDT_Byte, &nodata, 16);
    test::write_raster(dir.file("shade.tif"), cols, rows, x0, y_top, cell, shade, 32618, GDT_Float32, &shade_nodata,
                       16);
    std::vector<test::TestFeature> features;
    for (const Unit& u : units) {
        test::TestFeature f;
        f.wkt = box(u.xa, u.ya, u.xb, u.yb);
        f.text["GEOID"] = u.id;
        f.numbers = {{"population", u.population}, {"pctpov", u.v[0]}, {"pctpoc", u.v[1]},
                     {"unemplrate", u.v[2]},       {"dep_ratio", u.v[3]}, {"linguistic", u.v[4]},
                     {"health", u.v[5]},           {"temp_diff", u.v[6]}};
        features.push_back(f);
    }
    test::write_layer(dir.file("blocks.gpkg"), "GPKG", "blocks", 32618, features);
}

RunConfig shade_config(const TempDir& dir) {
    RunConfig config;
    config.canopy = dir.file("landcover.tif");
    config.canopy_kind = CanopyKind::parse("classes=1");
    config.water_classes = {4};
    config.shade = dir.file("shade.tif");
    config.building_classes = {5};
    config.units = dir.file("blocks.gpkg");
    config.unit_id = "GEOID";
    config.model = "shade-equity";
    config.out = dir.file("out");
    return config;
}

/// The oracle: each cell's covered area from the box overlap, summed over the cells the mask
/// keeps (valid land: not nodata 0, not water 4) whose shade is not nodata.
struct HandShade {
    double mask_m2 = 0;
    double shade_m2 = 0;
    double land_m2 = 0;  // the box's area less water, for the density
};

HandShade hand_shade(const Unit& u, const std::function<bool(int)>& in_mask) {
    HandShade out;
    out.land_m2 = (u.xb - u.xa) * (u.yb - u.ya);
    for (int r = 0; r < rows; ++r) {
        for (int c = 0; c < cols; ++c) {
            const double cx0 = x0 + c * cell, cy1 = y_top - r * cell;
            const double w = std::max(0.0, std::min(u.xb, cx0 + cell) - std::max(u.xa, cx0));
            const double h = std::max(0.0, std::min(u.yb, cy1) - std::max(u.ya, cy1 - cell));
            const double covered_m2 = w * h;
            const int value = land_cover[r][c];
            if (value == 4) out.land_m2 -= covered_m2;
            if (value == 0 || value == 4 || !in_mask(value) || shade_at(r, c) == shade_nodata) continue;
            out.mask_m2 += covered_m2;
            out.shade_m2 += covered_m2 * shade_at(r, c);
        }
    }
    return out;
}

const std::function<bool(int)> land_mask = [](int value) { return value != 5; };
const std::function<bool(int)> walkable_mask = [](int value) { return value == 3 || value == 6; };


const std::map<std::string, std::string>& row_of(const test::CsvTable& table, const std::string& key,
                                                 const std::string& id) {
    const auto it = std::find_if(table.rows.begin(), table.rows.end(),
                                 [&](const auto& row) { return row.at(key) == id; });
    REQUIRE(it != table.rows.end());
    return *it;
}

}  // namespace

TEST_CASE("shade_pct: the mean shade over the land mask, partial cells weighed by coverage", "[shade-rank]") {
    TempDir dir;
    write_inputs(dir);
    RunConfig config = shade_config(dir);
    config.model = "tree-equity";
    run_pipeline(config);

    const auto table = test::read_csv(dir.file("out/units.csv"));
    REQUIRE(table.rows.size() == units.size());
    for (const Unit& u : units) {
        INFO("unit " << u.id);
        const HandShade h = hand_shade(u, land_mask);
        REQUIRE(h.mask_m2 > 0);
        const auto& row = row_of(table, "unit_id", u.id);
        CHECK(number(row, "shade_mask_m2") == Approx(h.mask_m2).margin(1e-9));
        CHECK(number(row, "shade_m2") == Approx(h.shade_m2).margin(1e-9));
        CHECK(number(row, "shade_pct") == Approx(100 * h.shade_m2 / h.mask_m2).margin(1e-9));
    }
    // A by hand: cells (0,0) road, shade 0.2, half covered; (0,1) building, left out;
    // (0,2) grass, shade 0.8, half covered: (2 × 0.2 + 2 × 0.8) / (2 + 2) = 50 %.
    CHECK(number(row_of(table, "unit_id", "A"), "shade_pct") == Approx(50.0).margin(1e-12));
    CHECK(number(row_of(table, "unit_id", "A"), "shade_mask_m2") == Approx(4.0).margin(1e-12));

    // With tree-equity the shade is reported beside the canopy, not ranked by.
    const auto priority = test::read_csv(dir.file("out/priority.csv"));
    for (const Unit& u : units) {
        const HandShade h = hand_shade(u, land_mask);
        const auto& row = row_of(priority, "id", u.id);
        CHECK(number(row, "shade_pct") == Approx(100 * h.shade_m2 / h.mask_m2).margin(1e-9));
        CHECK(number(row, "gap_pct") == Approx(std::max(0.0, number(row, "goal_pct") - number(row, "canopy_pct")))
                                            .margin(1e-9));
    }
    CHECK(test::read_text(dir.file("out/priority.geojson")).find("\"shade_pct\"") != std::string::npos);
}

TEST_CASE("shade_pct: the walkable mask keeps only the walkable classes", "[shade-rank]") {
    TempDir dir;
    write_inputs(dir);
    RunConfig config = shade_config(dir);
    config.model = "tree-equity";
    config.building_classes.clear();
    config.shade_mask = ShadeMaskKind::Walkable;
    config.walkable_classes = {6, 3};
    run_pipeline(config);

    const auto table = test::read_csv(dir.file("out/units.csv"));
    for (const Unit& u : units) {
        INFO("unit " << u.id);
        const HandShade walk = hand_shade(u, walkable_mask);
        const HandShade land = hand_shade(u, land_mask);
        REQUIRE(walk.mask_m2 > 0);
        CHECK(walk.mask_m2 < land.mask_m2);
        const auto& row = row_of(table, "unit_id", u.id);
        CHECK(number(row, "shade_mask_m2") == Approx(walk.mask_m2).margin(1e-9));
        CHECK(number(row, "shade_pct") == Approx(100 * walk.shade_m2 / walk.mask_m2).margin(1e-9));
    }
    // A by hand: only the road cell (0,0) is walkable: 20 %, against 50 % over land.
    CHECK(number(row_of(table, "unit_id", "A"), "shade_pct") == Approx(20.0).margin(1e-12));
}

TEST_CASE("shade-equity: scores recomputed from the hand shade, the same bits for any thread count",
          "[shade-rank]") {
    TempDir dir;
    write_inputs(dir);
    RunConfig config = shade_config(dir);

    // Independently of the library: the shade-equity formulas with the model's goal.
    const Model model = Model::builtin("shade-equity");
    REQUIRE(model.coverage == CoverageKind::Shade);
    REQUIRE(model.goal_method == GoalMethod::Constant);
    const double goal = model.goal_baseline;
    const std::size_t n = units.size();
    std::vector<double> shade(n), gap(n), mask_m2(n), priority(n);
    double gap_max = 0;
    for (std::size_t i = 0; i < n; ++i) {
        const HandShade h = hand_shade(units[i], land_mask);
        shade[i] = h.shade_m2 / h.mask_m2;
        mask_m2[i] = h.mask_m2;
        gap[i] = std::max(0.0, goal - shade[i]);
        gap_max = std::max(gap_max, gap[i]);
    }
    REQUIRE(gap_max > 0);
    for (std::size_t i = 0; i < n; ++i) {
        double sum = 0;
        for (int k = 0; k < 7; ++k) {
            const auto value = [&](std::size_t j) { return k == 3 ? std::min(units[j].v[k], 2.0) : units[j].v[k]; };
            double lo = value(0), hi = value(0);
            for (std::size_t j = 1; j < n; ++j) {
                lo = std::min(lo, value(j));
                hi = std::max(hi, value(j));
            }
            sum += hi > lo ? (value(i) - lo) / (hi - lo) : 0.0;
        }
        priority[i] = 0.1 + 0.9 * sum / 7;
    }

    std::string first_csv, first_geojson;
    for (const int threads : {1, 2, 4}) {
        for (const int block : {0, 4}) {
            INFO("threads " << threads << ", block size " << block);
            config.threads = threads;
            config.block_size = block;
            config.overwrite = true;
            run_pipeline(config);
            const std::string csv = test::read_text(dir.file("out/priority.csv"));
            const std::string geojson = test::read_text(dir.file("out/priority.geojson"));
            if (first_csv.empty()) {
                first_csv = csv;
                first_geojson = geojson;
            } else {
                CHECK(csv == first_csv);
                CHECK(geojson == first_geojson);
            }
        }
    }

    const auto table = test::read_csv(dir.file("out/priority.csv"));
    REQUIRE(table.rows.size() == n);
    for (std::size_t i = 0; i < n; ++i) {
        INFO("unit " << units[i].id);
        const auto& row = row_of(table, "id", units[i].id);
        const double score = std::min(100.0, std::floor(100 * (1 - gap[i] / gap_max * priority[i]) + 1e-9));
        CHECK(number(row, "shade_pct") == Approx(100 * shade[i]).margin(1e-9));
        CHECK(number(row, "goal_pct") == Approx(100 * goal).margin(1e-9));
        CHECK(number(row, "gap_pct") == Approx(100 * gap[i]).margin(1e-9));
        CHECK(number(row, "priority") == Approx(priority[i]).epsilon(1e-12));
        CHECK(number(row, "score") == score);
        CHECK(number(row, "trees_needed") == std::floor(gap[i] * mask_m2[i] / 55.74 + 1e-9));
        const double target = std::max(0.0, goal - (1 - 90.0 / 100) / priority[i] * gap_max);
        CHECK(number(row, "target_shade_pct") == Approx(100 * target).margin(1e-9));
        CHECK(number(row, "target_plant_m2") == Approx(std::max(0.0, target - shade[i]) * mask_m2[i]).margin(1e-6));
    }
    CHECK(table.header.end() == std::find(table.header.begin(), table.header.end(), "target_canopy_pct"));
    // The lowest score ranks first.
    double lowest = 101;
    std::string first;
    for (std::size_t i = 0; i < n; ++i) {
        const double score = std::min(100.0, std::floor(100 * (1 - gap[i] / gap_max * priority[i]) + 1e-9));
        if (score < lowest) {
            lowest = score;
            first = units[i].id;
        }
    }
    CHECK(table.rows.front().at("id") == first);
}

TEST_CASE("shade: a model ranking by shade needs --shade, shade rasters off the grid are refused", "[shade-rank]") {
    TempDir dir;
    write_inputs(dir);
    RunConfig config = shade_config(dir);

    SECTION("shade-equity without a shade raster") {
        config.shade.clear();
        config.building_classes.clear();
        CHECK_THROWS_AS(validate(config), UsageError);
    }
    SECTION("walkable without classes") {
        config.shade_mask = ShadeMaskKind::Walkable;
        config.building_classes.clear();
        CHECK_THROWS_AS(validate(config), UsageError);
    }
    SECTION("a shade raster shifted by half a cell") {
        std::vector<double> values(static_cast<std::size_t>(cols * rows), 0.5);
        test::write_raster(dir.file("shifted.tif"), cols, rows, x0 + 1, y_top, cell, values, 32618, GDT_Float32);
        config.shade = dir.file("shifted.tif");
        try {
            validate(config);
            FAIL("no error");
        } catch (const InputError& error) {
            CHECK(error.subject() == config.shade);
            CHECK(error.message().find("differs from the canopy raster") != std::string::npos);
        }
    }
    SECTION("a shade raster in another CRS") {
        std::vector<double> values(static_cast<std::size_t>(cols * rows), 0.5);
        test::write_raster(dir.file("other.tif"), cols, rows, x0, y_top, cell, values, 32617, GDT_Float32);
        config.shade = dir.file("other.tif");
        CHECK_THROWS_AS(validate(config), CrsError);
    }
    SECTION("a shade value above 1, and nothing written") {
        std::vector<double> values(static_cast<std::size_t>(cols * rows), 0.5);
        values[13] = 1.5;
        test::write_raster(dir.file("bad.tif"), cols, rows, x0, y_top, cell, values, 32618, GDT_Float32);
        config.shade = dir.file("bad.tif");
        try {
            run_pipeline(config);
            FAIL("no error");
        } catch (const InputError& error) {
            CHECK(error.subject() == config.shade);
            CHECK(error.message() == "value 1.5 at row 1, column 3 is not a shade fraction (expected 0 to 1, or the "
                                     "raster's nodata value)");
        }
        CHECK_FALSE(std::filesystem::exists(dir.file("out/priority.csv")));
    }
}

TEST_CASE("shade_pct of neighbourhoods: the shade sums of the pieces, added before dividing", "[shade-rank]") {
    TempDir dir;
    write_inputs(dir);
    // Two neighbourhoods split at x = 500009.3, across B's cells; y 4000001.5–4000012.
    const double split = x0 + 9.3, bottom = y_top - 10.5;
    std::vector<test::TestFeature> hoods = {{box(x0, bottom, split, y_top), {{"nbhd", "W"}}, {}},
                                            {box(split, bottom, x0 + cols * cell, y_top), {{"nbhd", "E"}}, {}}};
    test::write_layer(dir.file("hoods.gpkg"), "GPKG", "hoods", 32618, hoods);
    RunConfig config = shade_config(dir);
    config.neighbourhoods = dir.file("hoods.gpkg");
    config.neighbourhood_id = "nbhd";
    config.threads = GENERATE(1, 2);
    run_pipeline(config);

    const auto table = test::read_csv(dir.file("out/priority.csv"));
    REQUIRE(table.rows.size() == 2);
    for (const auto& [id, xa, xb] : {std::tuple<std::string, double, double>{"W", x0, split},
                                     std::tuple<std::string, double, double>{"E", split, x0 + cols * cell}}) {
        INFO("neighbourhood " << id);
        double mask_m2 = 0, shade_m2 = 0;
        for (const Unit& u : units) {
            // The piece of the unit inside the neighbourhood: the boxes' intersection.
            Unit piece = u;
            piece.xa = std::max(u.xa, xa);
            piece.xb = std::min(u.xb, xb);
            piece.ya = std::max(u.ya, bottom);
            piece.yb = std::min(u.yb, y_top);
            if (piece.xa >= piece.xb || piece.ya >= piece.yb) continue;
            const HandShade h = hand_shade(piece, land_mask);
            mask_m2 += h.mask_m2;
            shade_m2 += h.shade_m2;
        }
        REQUIRE(mask_m2 > 0);
        CHECK(number(row_of(table, "id", id), "shade_pct") == Approx(100 * shade_m2 / mask_m2).margin(1e-9));
    }
}
