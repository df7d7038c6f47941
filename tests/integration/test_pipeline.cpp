// The whole pipeline on a tiny city whose every number is worked out by hand.
// SPDX-License-Identifier: MIT
#include "csv_rows.hpp"
#include "fixtures.hpp"

#include "shadegap/error.hpp"
#include "shadegap/pipeline.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <sstream>

using namespace shadegap;
using shadegap::test::TempDir;
using shadegap::test::number;

namespace {

// Raster: EPSG:32618, 2 m cells, 40 × 20 cells: x 400000–400080, y 4000000–4000040.
// Columns 0–19 (x < 400040) are canopy (class 1), the rest grass (2). Water (4) at
// x 400060–400080, y 4000030–4000040; nodata (0) at x 400000–400010, y 4000000–4000010.
constexpr double x0 = 400000, y_top = 4000040;

void write_city_raster(const std::string& path) {
    std::vector<double> v(40 * 20);
    for (int r = 0; r < 20; ++r) {
        for (int c = 0; c < 40; ++c) {
            double value = c < 20 ? 1 : 2;
            if (c >= 30 && r < 5) value = 4;
            if (c < 5 && r >= 15) value = 0;
            v[static_cast<std::size_t>(r * 40 + c)] = value;
        }
    }
    const double nodata = 0;
    shadegap::test::write_raster(path, 40, 20, x0, y_top, 2.0, v, 32618, GDT_Byte, &nodata, 16);
}

std::string box(double xa, double ya, double xb, double yb) {
    auto f = [](double v) { return std::to_string(v); };
    return "POLYGON((" + f(xa) + " " + f(ya) + "," + f(xb) + " " + f(ya) + "," + f(xb) + " " + f(yb) + "," + f(xa) +
           " " + f(yb) + "," + f(xa) + " " + f(ya) + "))";
}

/// What the hand computation needs per unit.
struct Expected {
    std::string id;
    double area_m2, valid_m2, canopy_m2, water_m2, nodata_m2, population;
    double v[5];  // pctpov, pctpoc, unemplrate, dep_ratio, linguistic
    double health, temp_diff;
};

// U1 top-left quadrant, all canopy. U2 top-right, grass with 200 m² of water.
// U3 x 400000–400030 bottom, canopy with 100 m² of nodata. U4 x 400031–400051, y 4000001–
// 4000019: 9 m × 18 m canopy, 11 m × 18 m grass. U5 half outside the raster (grass inside).
const std::vector<Expected> expected_units = {
    {"U1", 800, 800, 800, 0, 0, 4, {0.10, 0.20, 0.03, 0.5, 0.00}, 0.2, -1.0},
    {"U2", 800, 600, 0, 200, 0, 1, {0.50, 0.70, 0.10, 0.9, 0.20}, 0.6, 2.0},
    {"U3", 600, 500, 500, 0, 100, 3, {0.30, 0.10, 0.05, 2.6, 0.05}, 0.4, 0.5},
    {"U4", 360, 360, 162, 0, 0, 2, {0.20, 0.40, 0.07, 0.7, 0.10}, 0.5, 1.0},
    {"U5", 200, 100, 0, 0, 0, 1, {0.40, 0.30, 0.12, 1.1, 0.15}, 0.9, 3.0},
};

std::vector<std::string> unit_wkts() {
    return {box(x0, 4000020, x0 + 40, y_top), box(x0 + 40, 4000020, x0 + 80, y_top),
            box(x0, 4000000, x0 + 30, 4000020), box(x0 + 31, 4000001, x0 + 51, 4000019),
            box(x0 + 70, 4000000, x0 + 90, 4000010)};
}

void write_units(const std::string& path, int epsg, const std::string& driver = "GPKG") {
    std::vector<test::TestFeature> features;
    const auto wkts = unit_wkts();
    for (std::size_t i = 0; i < expected_units.size(); ++i) {
        const auto& u = expected_units[i];
        test::TestFeature f;
        f.wkt = wkts[i];
        f.text["GEOID"] = u.id;
        f.text["tract"] = i < 2 ? "T1" : (i < 4 ? "T2" : "");
        f.numbers = {{"population", u.population}, {"pctpov", u.v[0]},     {"pctpoc", u.v[1]},
                     {"unemplrate", u.v[2]},       {"dep_ratio", u.v[3]},  {"linguistic", u.v[4]}};
        features.push_back(f);
    }
    test::write_layer(path, driver, "blocks", epsg, features, 32618);
}

void write_join(const std::string& path) {
    std::ofstream out(path);
    out << "GEOID,health,temp_diff\n";
    for (const auto& u : expected_units) out << u.id << "," << u.health << "," << u.temp_diff << "\n";
}

RunConfig city_config(const TempDir& dir, const std::string& units) {
    RunConfig config;
    config.canopy = dir.file("canopy.tif");
    config.canopy_kind = CanopyKind::parse("classes=1");
    config.water_classes = {4};
    config.units = units;
    config.unit_id = "GEOID";
    config.join = dir.file("acs.csv");
    config.join_key = "GEOID";
    config.out = dir.file("out");
    return config;
}


/// The Tree Equity Score written out again here, independently of the library.
struct HandScore {
    double canopy, goal, gap, priority, score, trees;
};

std::vector<HandScore> hand_scores(const std::vector<Expected>& units) {
    const std::size_t n = units.size();
    std::vector<HandScore> out(n);
    double gap_max = 0;
    for (std::size_t i = 0; i < n; ++i) {
        const auto& u = units[i];
        const double land_km2 = (u.area_m2 - u.water_m2) / 1e6;
        const double density = u.population / land_km2;
        const double factor = density < 2000 ? 1.2 : density < 4000 ? 1.0 : density < 8000 ? 0.8 : 0.5;
        out[i].canopy = u.canopy_m2 / u.valid_m2;
        out[i].goal = std::min(0.40 * factor, 0.60);
        out[i].gap = std::max(0.0, out[i].goal - out[i].canopy);
        gap_max = std::max(gap_max, out[i].gap);
    }
    // Seven variables: five from the layer (dependency capped at 2), health and heat.
    std::vector<std::vector<double>> columns(7, std::vector<double>(n));
    for (std::size_t i = 0; i < n; ++i) {
        for (int k = 0; k < 5; ++k) columns[static_cast<std::size_t>(k)][i] = units[i].v[k];
        columns[3][i] = std::min(columns[3][i], 2.0);
        columns[5][i] = units[i].health;
        columns[6][i] = units[i].temp_diff;
    }
    for (std::size_t i = 0; i < n; ++i) {
        double sum = 0;
        for (const auto& column : columns) {
            const double lo = *std::min_element(column.begin(), column.end());
            const double hi = *std::max_element(column.begin(), column.end());
            sum += hi > lo ? (column[i] - lo) / (hi - lo) : 0.0;
        }
        out[i].priority = 0.1 + 0.9 * sum / 7;
        out[i].score = std::min(100.0, std::floor(100 * (1 - out[i].gap / gap_max * out[i].priority)));
        out[i].trees = std::floor(out[i].gap * (units[i].area_m2 - units[i].water_m2) / 55.74);
    }
    return out;
}

}  // namespace

TEST_CASE("census units: exact areas, canopy and Tree Equity Scores worked out by hand", "[pipeline]") {
    TempDir dir;
    write_city_raster(dir.file("canopy.tif"));
    write_units(dir.file("blocks.gpkg"), 32618);
    write_join(dir.file("acs.csv"));
    RunConfig config = city_config(dir, dir.file("blocks.gpkg"));
    config.block_size = GENERATE(0, 8);
    config.threads = GENERATE(1, 2);

    const RunResult result = run_pipeline(config);
    REQUIRE(result.unit_count == 5);
    REQUIRE(result.outputs.size() == 6);

    const auto units = test::read_csv(dir.file("out/units.csv"));
    REQUIRE(units.rows.size() == 5);
    // The .csvt sidecars type every column: ids as text (leading zeros kept), ranks as
    // integers, the rest as reals, in the CSV's column order.
    const auto types_of = [](const std::string& text) {
        std::vector<std::string> types;
        std::stringstream in(text.substr(0, text.find('\n')));
        for (std::string item; std::getline(in, item, ',');) types.push_back(item);
        return types;
    };
    const auto unit_types = types_of(test::read_text(dir.file("out/units.csvt")));
    REQUIRE(unit_types.size() == units.header.size());
    for (std::size_t k = 0; k < unit_types.size(); ++k) {
        INFO("units.csv column " << units.header[k]);
        CHECK(unit_types[k] == (units.header[k] == "unit_id" ? "\"String\"" : "\"Real\""));
    }
    const auto ranked = test::read_csv(dir.file("out/priority.csv"));
    const auto priority_types = types_of(test::read_text(dir.file("out/priority.csvt")));
    REQUIRE(priority_types.size() == ranked.header.size());
    for (std::size_t k = 0; k < priority_types.size(); ++k) {
        const std::string& name = ranked.header[k];
        INFO("priority.csv column " << name);
        CHECK(priority_types[k] == (name == "id" || name == "name" ? "\"String\""
                                    : name == "rank"               ? "\"Integer64\""
                                                                   : "\"Real\""));
    }
    for (std::size_t i = 0; i < 5; ++i) {
        const auto& e = expected_units[i];
        const auto& row = units.rows[i];
        INFO("unit " << e.id);
        CHECK(row.at("unit_id") == e.id);
        CHECK(number(row, "valid_m2") == Approx(e.valid_m2).margin(1e-6));
        CHECK(number(row, "canopy_m2") == Approx(e.canopy_m2).margin(1e-6));
        CHECK(number(row, "water_m2") == Approx(e.water_m2).margin(1e-6));
        CHECK(number(row, "nodata_m2") == Approx(e.nodata_m2).margin(1e-6));
        CHECK(number(row, "area_m2") == Approx(e.area_m2).margin(1e-6));
        CHECK(number(row, "canopy_fraction") == Approx(e.canopy_m2 / e.valid_m2).margin(1e-12));
        CHECK(number(row, "population") == e.population);
        CHECK(number(row, "health") == Approx(e.health));
    }

    const auto hand = hand_scores(expected_units);
    const auto priority = test::read_csv(dir.file("out/priority.csv"));
    REQUIRE(priority.rows.size() == 5);
    int previous_rank = 0;
    double previous_score = -1;
    for (const auto& row : priority.rows) {
        const auto it = std::find_if(expected_units.begin(), expected_units.end(),
                                     [&](const Expected& e) { return e.id == row.at("id"); });
        REQUIRE(it != expected_units.end());
        const HandScore& h = hand[static_cast<std::size_t>(it - expected_units.begin())];
        INFO("unit " << it->id);
        CHECK(number(row, "canopy_pct") == Approx(100 * h.canopy).margin(1e-9));
        CHECK(number(row, "goal_pct") == Approx(100 * h.goal).margin(1e-9));
        CHECK(number(row, "gap_pct") == Approx(100 * h.gap).margin(1e-9));
        CHECK(number(row, "priority") == Approx(h.priority).epsilon(1e-12));
        CHECK(number(row, "score") == h.score);
        CHECK(number(row, "trees_needed") == h.trees);
        const int rank = static_cast<int>(number(row, "rank"));
        CHECK(rank == previous_rank + 1);
        CHECK(number(row, "score") >= previous_score);
        previous_rank = rank;
        previous_score = number(row, "score");
    }
    // U5 lies half outside the raster: the run says so.
    const bool warned = std::any_of(result.diagnostics.warnings().begin(), result.diagnostics.warnings().end(),
                                    [](const Warning& w) { return w.code == "nodata-share" && w.subject == "U5"; });
    CHECK(warned);
}

TEST_CASE("units in EPSG:4326 over a UTM raster give the fractions of the same units pre-projected", "[pipeline][crs]") {
    TempDir dir;
    write_city_raster(dir.file("canopy.tif"));
    write_units(dir.file("utm.gpkg"), 32618);
    write_units(dir.file("wgs84.geojson"), 4326, "GeoJSON");
    write_join(dir.file("acs.csv"));
    RunConfig utm = city_config(dir, dir.file("utm.gpkg"));
    RunConfig wgs84 = city_config(dir, dir.file("wgs84.geojson"));
    wgs84.out = dir.file("out-wgs84");
    run_pipeline(utm);
    run_pipeline(wgs84);
    const auto a = test::read_csv(dir.file("out/units.csv"));
    const auto b = test::read_csv(dir.file("out-wgs84/units.csv"));
    REQUIRE(a.rows.size() == b.rows.size());
    for (std::size_t i = 0; i < a.rows.size(); ++i) {
        INFO("unit " << a.rows[i].at("unit_id"));
        // Vertices go to degrees and back (GeoJSON keeps 15 significant digits): ~1e-7 m.
        CHECK(number(b.rows[i], "canopy_fraction") == Approx(number(a.rows[i], "canopy_fraction")).margin(1e-6));
        CHECK(number(b.rows[i], "valid_m2") == Approx(number(a.rows[i], "valid_m2")).margin(1e-4));
    }
}

TEST_CASE("neighbourhoods in US feet split census units by area", "[pipeline][allocate]") {
    TempDir dir;
    write_city_raster(dir.file("canopy.tif"));
    write_units(dir.file("blocks.gpkg"), 4269);
    write_join(dir.file("acs.csv"));
    // N1: the left half (x < 400040), N2: the right half, stored in EPSG:2284 (US feet).
    std::vector<test::TestFeature> n = {
        {box(x0, 4000000, x0 + 40, y_top), {{"nid", "N1"}, {"nname", "West"}}, {}},
        {box(x0 + 40, 4000000, x0 + 100, y_top), {{"nid", "N2"}, {"nname", "East"}}, {}},
    };
    test::write_layer(dir.file("nbhd.gpkg"), "GPKG", "nbhd", 2284, n, 32618);
    RunConfig config = city_config(dir, dir.file("blocks.gpkg"));
    config.neighbourhoods = dir.file("nbhd.gpkg");
    config.neighbourhood_id = "nid";
    config.neighbourhood_name = "nname";
    run_pipeline(config);

    const auto priority = test::read_csv(dir.file("out/priority.csv"));
    REQUIRE(priority.rows.size() == 2);
    std::map<std::string, std::map<std::string, std::string>> by_id;
    for (const auto& row : priority.rows) by_id[row.at("id")] = row;
    // U4 (2 people, 360 m²) has 162 m² in N1 and 198 m² in N2.
    CHECK(number(by_id["N1"], "population") == Approx(4 + 3 + 2 * 162.0 / 360).epsilon(1e-9));
    CHECK(number(by_id["N2"], "population") == Approx(1 + 2 * 198.0 / 360 + 1).epsilon(1e-9));
    CHECK(by_id["N1"].at("name") == "West");
    // N1: all of its valid land is canopy; N2: none is.
    CHECK(number(by_id["N1"], "canopy_pct") == Approx(100.0).margin(1e-9));
    CHECK(number(by_id["N2"], "canopy_pct") == Approx(0.0).margin(1e-9));
    CHECK(number(by_id["N1"], "area_km2") == Approx(1600e-6).epsilon(1e-9));
    CHECK(number(by_id["N2"], "area_km2") == Approx(2400e-6).epsilon(1e-9));
    // Poverty of N2 is the population-weighted mean of U2 (1), U4's part (1.1), U5 (1).
    const double w4 = 2 * 198.0 / 360;
    const double pov = (1 * 0.50 + w4 * 0.20 + 1 * 0.40) / (1 + w4 + 1);
    const double pov_n1 = (4 * 0.10 + 3 * 0.30 + (2 - w4) * 0.20) / (4 + 3 + 2 - w4);
    // With two units, min–max maps the larger to 1 and the smaller to 0.
    CHECK(number(by_id["N2"], "p_poverty") == (pov > pov_n1 ? 1.0 : 0.0));
}

TEST_CASE("group-by ranks groups of units, units without a value are warned about", "[pipeline][allocate]") {
    TempDir dir;
    write_city_raster(dir.file("canopy.tif"));
    write_units(dir.file("blocks.gpkg"), 32618);
    write_join(dir.file("acs.csv"));
    RunConfig config = city_config(dir, dir.file("blocks.gpkg"));
    config.group_by = "tract";
    const RunResult result = run_pipeline(config);
    const auto priority = test::read_csv(dir.file("out/priority.csv"));
    std::map<std::string, std::map<std::string, std::string>> by_id;
    for (const auto& row : priority.rows) by_id[row.at("id")] = row;
    REQUIRE(by_id.count("T1"));
    REQUIRE(by_id.count("T2"));
    CHECK(number(by_id["T1"], "population") == 5);
    CHECK(number(by_id["T1"], "canopy_pct") == Approx(100.0 * 800 / 1400).epsilon(1e-12));
    CHECK(number(by_id["T2"], "canopy_pct") == Approx(100.0 * (500 + 162) / (500 + 360)).epsilon(1e-12));
    CHECK(number(by_id["T2"], "area_km2") == Approx(960e-6).epsilon(1e-9));
    CHECK(result.ranking_unit_count == 2);
    // U5 has a null tract: it joins no group and the run says so.
    const bool warned = std::any_of(result.diagnostics.warnings().begin(), result.diagnostics.warnings().end(),
                                    [](const Warning& w) { return w.code == "group-null"; });
    CHECK(warned);
}

TEST_CASE("bad input stops the run with one message naming the file, and leaves no output", "[pipeline][errors]") {
    TempDir dir;
    write_city_raster(dir.file("canopy.tif"));
    write_units(dir.file("blocks.gpkg"), 32618);
    write_join(dir.file("acs.csv"));
    RunConfig config = city_config(dir, dir.file("blocks.gpkg"));
    // These cases stop at other inputs; the units' missing model variables are beside the point.
    config.allow_missing_variables = true;

    SECTION("unknown id field lists the fields") {
        config.unit_id = "GEOID10";
        try {
            run_pipeline(config);
            FAIL("no error");
        } catch (const InputError& e) {
            CHECK(e.subject() == config.units);
            CHECK_THAT(e.message(), Catch::Contains("'GEOID10' not found") && Catch::Contains("GEOID"));
        }
    }
    SECTION("a --field naming a missing column") {
        config.fields["population"] = "POP";
        CHECK_THROWS_AS(run_pipeline(config), InputError);
    }
    SECTION("a --field for a variable the model does not have") {
        config.fields["shade"] = "x";
        CHECK_THROWS_AS(run_pipeline(config), UsageError);
    }
    SECTION("units far from the raster (a wrong CRS) are an error, not zeros") {
        std::vector<test::TestFeature> far = {{box(100, 100, 200, 200), {{"GEOID", "X"}}, {{"population", 1}}}};
        test::write_layer(dir.file("far.gpkg"), "GPKG", "far", 32618, far);
        config.units = dir.file("far.gpkg");
        config.join.clear();
        config.join_key.clear();
        CHECK_THROWS_AS(run_pipeline(config), CrsError);
    }
    SECTION("a layer without a CRS") {
        std::vector<test::TestFeature> plain = {{box(x0, 4000000, x0 + 10, 4000010), {{"GEOID", "X"}}, {{"population", 1}}}};
        test::write_layer(dir.file("nocrs.geojson"), "GeoJSON", "nocrs", 0, plain);
        config.units = dir.file("nocrs.geojson");
        config.join.clear();
        config.join_key.clear();
        // GeoJSON without "crs" is WGS 84 by definition; a Shapefile without .prj has none.
        test::write_layer(dir.file("nocrs.shp"), "ESRI Shapefile", "nocrs", 0, plain);
        config.units = dir.file("nocrs.shp");
        CHECK_THROWS_AS(run_pipeline(config), CrsError);
    }
    SECTION("duplicate ids") {
        std::vector<test::TestFeature> twice = {
            {box(x0, 4000000, x0 + 10, 4000010), {{"GEOID", "A"}}, {{"population", 1}}},
            {box(x0 + 10, 4000000, x0 + 20, 4000010), {{"GEOID", "A"}}, {{"population", 1}}}};
        test::write_layer(dir.file("dup.gpkg"), "GPKG", "dup", 32618, twice);
        config.units = dir.file("dup.gpkg");
        config.join.clear();
        config.join_key.clear();
        try {
            run_pipeline(config);
            FAIL("no error");
        } catch (const InputError& e) {
            CHECK_THAT(e.message(), Catch::Contains("duplicate id 'A'"));
        }
    }
    SECTION("a non-numeric value in the join CSV") {
        std::ofstream(dir.file("acs.csv")) << "GEOID,health,temp_diff\nU1,high,1\n";
        config.allow_unmatched = true;  // the CSV has U1 only
        try {
            run_pipeline(config);
            FAIL("no error");
        } catch (const InputError& e) {
            CHECK(e.subject() == dir.file("acs.csv"));
            CHECK_THAT(e.message(), Catch::Contains("'high' is not a number"));
        }
    }
    SECTION("existing outputs need overwrite") {
        run_pipeline(config);
        const auto before = test::read_text(dir.file("out/priority.csv"));
        try {
            run_pipeline(config);
            FAIL("no error");
        } catch (const OutputError& e) {
            CHECK_THAT(e.message(), Catch::Contains("already holds"));
            CHECK_THAT(e.hint(), Catch::Contains("`overwrite = true`"));
        }
        CHECK(test::read_text(dir.file("out/priority.csv")) == before);
        config.overwrite = true;
        CHECK_NOTHROW(run_pipeline(config));
    }
    // Whatever failed, the output folder holds no partial or temporary file.
    if (std::filesystem::exists(dir.file("out"))) {
        for (const auto& entry : std::filesystem::directory_iterator(dir.file("out"))) {
            const auto name = entry.path().filename().string();
            CHECK(name.rfind(".shadegap-tmp", 0) != 0);
        }
    }
}

TEST_CASE("a geographic raster: areas are ellipsoidal, checked by numeric integration", "[pipeline][crs]") {
    TempDir dir;
    // 20 × 20 cells of 0.001°, all canopy, from 76.30° W, 36.92° N down to 36.90° N.
    const double lon0 = -76.30, lat_top = 36.92, step = 0.001;
    shadegap::test::write_raster(dir.file("canopy.tif"), 20, 20, lon0, lat_top, step,
                                 std::vector<double>(400, 1.0), 4326);
    // A unit on cell boundaries: columns 2–11, rows 3–14.
    const double xa = lon0 + 2 * step, xb = lon0 + 12 * step;
    const double ya = lat_top - 15 * step, yb = lat_top - 3 * step;
    std::vector<test::TestFeature> f = {{box(xa, ya, xb, yb), {{"GEOID", "G"}}, {{"population", 100}}}};
    test::write_layer(dir.file("units.gpkg"), "GPKG", "units", 4326, f);
    RunConfig config;
    config.canopy = dir.file("canopy.tif");
    config.canopy_kind = CanopyKind::parse("binary");
    config.units = dir.file("units.gpkg");
    config.unit_id = "GEOID";
    config.model = "canopy-gap";
    config.out = dir.file("out");
    run_pipeline(config);

    // Area of the lat/lon rectangle on WGS 84: Δλ ∫ M(φ) N(φ) cos φ dφ, by Simpson's rule.
    const double a = 6378137.0, f_inv = 298.257223563;
    const double e2 = (2 - 1 / f_inv) / f_inv;
    const double pi = std::acos(-1.0);
    const auto integrand = [&](double phi) {
        const double w = 1 - e2 * std::sin(phi) * std::sin(phi);
        return a * (1 - e2) / std::pow(w, 1.5) * a / std::sqrt(w) * std::cos(phi);
    };
    const int n = 1000;
    const double p0 = ya * pi / 180, p1 = yb * pi / 180, h = (p1 - p0) / n;
    double simpson = integrand(p0) + integrand(p1);
    for (int i = 1; i < n; ++i) simpson += (i % 2 ? 4 : 2) * integrand(p0 + i * h);
    const double expected_m2 = (xb - xa) * pi / 180 * simpson * h / 3;

    const auto units = test::read_csv(dir.file("out/units.csv"));
    REQUIRE(units.rows.size() == 1);
    INFO("expected " << expected_m2 << " m²");
    CHECK(number(units.rows[0], "valid_m2") == Approx(expected_m2).epsilon(1e-9));
    CHECK(number(units.rows[0], "canopy_fraction") == Approx(1.0).epsilon(1e-12));
    // The polygon's own area is geodesic: its east–west edges are geodesics, not parallels,
    // which moves ~1e-7 of the area on a box a kilometre wide.
    CHECK(number(units.rows[0], "area_m2") == Approx(expected_m2).epsilon(1e-6));
}

TEST_CASE("a unit wholly outside the raster has a null canopy and score, never 0, and ranks last", "[pipeline]") {
    TempDir dir;
    write_city_raster(dir.file("canopy.tif"));
    std::vector<test::TestFeature> features = {
        {box(x0, 4000020, x0 + 40, y_top), {{"GEOID", "IN"}}, {{"population", 4}}},
        {box(x0 + 200, 4000000, x0 + 220, 4000020), {{"GEOID", "OUT"}}, {{"population", 9}}},
    };
    test::write_layer(dir.file("units.gpkg"), "GPKG", "units", 32618, features);
    RunConfig config;
    config.canopy = dir.file("canopy.tif");
    config.canopy_kind = CanopyKind::parse("classes=1");
    config.units = dir.file("units.gpkg");
    config.unit_id = "GEOID";
    config.model = "canopy-gap";
    config.out = dir.file("out");
    const RunResult result = run_pipeline(config);

    const auto units = test::read_csv(dir.file("out/units.csv"));
    REQUIRE(units.rows.size() == 2);
    CHECK(units.rows[1].at("unit_id") == "OUT");
    CHECK(units.rows[1].at("canopy_fraction").empty());
    CHECK(number(units.rows[1], "valid_m2") == 0.0);
    const auto priority = test::read_csv(dir.file("out/priority.csv"));
    REQUIRE(priority.rows.size() == 2);
    CHECK(priority.rows[1].at("id") == "OUT");
    CHECK(priority.rows[1].at("score").empty());
    CHECK(priority.rows[1].at("canopy_pct").empty());
    CHECK(priority.rows[1].at("gap_pct").empty());
    const std::string geojson = test::read_text(dir.file("out/priority.geojson"));
    // Unscored units come last in the files but have no rank.
    CHECK(priority.rows[1].at("rank").empty());
    CHECK_THAT(geojson, Catch::Contains("\"id\": \"OUT\", \"name\": \"OUT\", \"rank\": null, \"score\": null"));
    CHECK_THAT(geojson, !Catch::Contains("NaN"));
    // One warning counts the units off the raster, before the overlay; none repeats it.
    std::vector<Warning> outside;
    for (const Warning& w : result.diagnostics.warnings())
        if (w.code == "outside-raster" || w.code == "no-valid-cells" || w.code == "no-canopy") outside.push_back(w);
    REQUIRE(outside.size() == 1);
    CHECK(outside[0].code == "outside-raster");
    CHECK_THAT(outside[0].message, Catch::StartsWith("1 of 2 census units lie outside the raster") &&
                                       Catch::EndsWith("no canopy, no score, no rank ('OUT')"));
}
