// `run --heat` (mean temperature per census unit on the heat raster's own grid and CRS) and
// `run --residential-classes` (people split among neighbourhood pieces by residential land),
// through the binary, against values worked out by hand.
// SPDX-License-Identifier: MIT
#include "csv_rows.hpp"
#include "fixtures.hpp"
#include "run_binary.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <map>
#include <string>
#include <vector>

namespace {

namespace test = shadegap::test;
using test::number;
using test::row_where;

constexpr double east0 = 500000;
constexpr double north0 = 4100000;

std::string rectangle(double xa, double ya, double xb, double yb) {
    const auto p = [](double x, double y) { return std::to_string(x) + " " + std::to_string(y); };
    return "POLYGON((" + p(xa, ya) + "," + p(xb, ya) + "," + p(xb, yb) + "," + p(xa, yb) + "," + p(xa, ya) + "))";
}



}  // namespace

// The canopy raster: 60 m × 60 m of 1 m cells in WGS 84 / UTM 18N. The heat raster: 30 m
// cells in NAD83 / UTM 18N (another CRS, on another grid: origin east0 − 10, north0 + 50), values
//   row 0 (north0+20..north0+50):  nodata  40  41
//   row 1 (north0−10..north0+20):  30      33  36      columns east0−10..east0+20, east0+20..east0+50, east0+50..east0+80
// U1 = east0..east0+40 × north0..north0+20 covers 20 m of column 0 and 20 m of column 1: (20·30 + 20·33)/40 = 31.5.
// U2 = east0+40..east0+60 × north0..north0+20: 10 m of column 1, 10 m of column 2: (33 + 36)/2 = 34.5.
// U3 = east0..east0+60 × north0+20..north0+40: column 0 is nodata (left out), 30 m of 40, 10 m of 41:
// (30·40 + 10·41)/40 = 40.25. U4 = east0..east0+15 × north0+40..north0+45 lies on nodata
// only (away from the cell edges, which the datum change may shift by a hair): null.
// Heat disparity = unit mean − mean of the run's units with a value (35.4166…): min–max
// normalised, p_heat = 0 for U1, 3/8.75 for U2, 1 for U3. Population 100, 200, 300, 400:
// everyone's heat = (100·31.5 + 200·34.5 + 300·40.25) / 600 (U4's people are left out).
TEST_CASE("run with --heat: exact area-weighted means on the heat raster's own grid and CRS", "[heat][cli]") {
    test::TempDir dir;
    const std::string canopy = dir.file("canopy.tif"), heat = dir.file("lst.tif"), units = dir.file("units.gpkg"),
                      out = dir.file("out");
    test::write_raster(canopy, 60, 60, east0, north0 + 60, 1.0, std::vector<double>(3600, 0.0), 32618);
    const double nodata = -9999;
    test::write_raster(heat, 3, 2, east0 - 10, north0 + 50, 30.0, {nodata, 40, 41, 30, 33, 36}, 26918, GDT_Float32, &nodata);
    const std::vector<test::TestFeature> features = {
        {rectangle(east0, north0, east0 + 40, north0 + 20), {{"GEOID", "U1"}}, {{"population", 100}, {"poc", 10}}},
        {rectangle(east0 + 40, north0, east0 + 60, north0 + 20), {{"GEOID", "U2"}}, {{"population", 200}, {"poc", 150}}},
        {rectangle(east0, north0 + 20, east0 + 60, north0 + 40), {{"GEOID", "U3"}}, {{"population", 300}, {"poc", 300}}},
        {rectangle(east0, north0 + 40, east0 + 15, north0 + 45), {{"GEOID", "U4"}}, {{"population", 400}, {"poc", 0}}},
    };
    test::write_layer(units, "GPKG", "units", 32618, features);
    const auto outcome = test::run_binary(
        SHADEGAP_BINARY, {"run", "--canopy", canopy, "--units", units, "--unit-id", "GEOID", "--heat", heat,
                          "--allow-missing-variables", "--equity-group", "poc=poc", "--out", out, "--threads", "2"});
    INFO(outcome.err);
    REQUIRE(outcome.status == 0);

    const auto unit_rows = test::read_csv(out + "/units.csv");
    // NAD83 and WGS 84 agree here to well below a millimetre (PROJ's ballpark transformation).
    CHECK(number(row_where(unit_rows, "unit_id", "U1"), "heat_c") == Approx(31.5).margin(1e-6));
    CHECK(number(row_where(unit_rows, "unit_id", "U2"), "heat_c") == Approx(34.5).margin(1e-6));
    CHECK(number(row_where(unit_rows, "unit_id", "U3"), "heat_c") == Approx(40.25).margin(1e-6));
    CHECK(row_where(unit_rows, "unit_id", "U4").at("heat_c").empty());

    const auto priority = test::read_csv(out + "/priority.csv");
    CHECK(number(row_where(priority, "id", "U2"), "heat_c") == Approx(34.5).margin(1e-6));
    CHECK(number(row_where(priority, "id", "U1"), "p_heat") == Approx(0).margin(1e-6));
    CHECK(number(row_where(priority, "id", "U2"), "p_heat") == Approx(3 / 8.75).margin(1e-6));
    CHECK(number(row_where(priority, "id", "U3"), "p_heat") == Approx(1).margin(1e-6));
    CHECK(row_where(priority, "id", "U4").at("heat_c").empty());
    const std::string geojson = test::read_text(out + "/priority.geojson");
    CHECK(geojson.find("\"heat_c\": null") != std::string::npos);

    const auto equity = test::read_csv(out + "/equity.csv");
    CHECK(number(row_where(equity, "group", "everyone"), "heat_c") ==
          Approx((100 * 31.5 + 200 * 34.5 + 300 * 40.25) / 600).margin(1e-6));
    CHECK(number(row_where(equity, "group", "poc"), "heat_c") ==
          Approx((10 * 31.5 + 150 * 34.5 + 300 * 40.25) / 460).margin(1e-6));

    const std::string run_json = test::read_text(out + "/run.json");
    CHECK(run_json.find("\"model_variable\": \"raster\"") != std::string::npos);
    CHECK(outcome.err.find("no-heat") == std::string::npos);  // warnings name no code on stderr
    CHECK(outcome.err.find("1 of 4 census units have no cell with a temperature") != std::string::npos);
}

// A land-cover raster of 1 m cells, 40 m × 20 m: class 2 (residential) at east0..east0+10, class 1
// (canopy) at east0+30..east0+40, class 0 elsewhere. U1 = east0..east0+20 (1000 people), U2 = east0+20..east0+40
// (500 people, no residential land). Neighbourhoods A = east0..east0+9.5, B = east0+9.5..east0+30,
// C = east0+30..east0+40. U1's residential land: 190 m² in A, 10 m² in B (the boundary halves a
// column of cells) → A 950, B 50. U2 has none: split by area, 10 m of 20 in B and in C →
// 250 each. So A 950, B 300, C 250, 1500 in all; by area A would get 475.
TEST_CASE("run with --residential-classes: people follow residential land, totals preserved", "[residential][cli]") {
    const GDALDataType type = GENERATE(GDT_Byte, GDT_Float32);
    test::TempDir dir;
    const std::string canopy = dir.file("cover.tif"), units = dir.file("units.gpkg"),
                      hoods = dir.file("hoods.gpkg"), out = dir.file("out");
    std::vector<double> values;
    for (int row = 0; row < 20; ++row)
        for (int col = 0; col < 40; ++col) values.push_back(col < 10 ? 2 : col >= 30 ? 1 : 0);
    test::write_raster(canopy, 40, 20, east0, north0 + 20, 1.0, values, 32618, type);
    test::write_layer(units, "GPKG", "units", 32618,
                      {{rectangle(east0, north0, east0 + 20, north0 + 20), {{"GEOID", "U1"}}, {{"population", 1000}}},
                       {rectangle(east0 + 20, north0, east0 + 40, north0 + 20), {{"GEOID", "U2"}}, {{"population", 500}}}});
    test::write_layer(hoods, "GPKG", "hoods", 32618,
                      {{rectangle(east0, north0, east0 + 9.5, north0 + 20), {{"hood", "A"}}, {}},
                       {rectangle(east0 + 9.5, north0, east0 + 30, north0 + 20), {{"hood", "B"}}, {}},
                       {rectangle(east0 + 30, north0, east0 + 40, north0 + 20), {{"hood", "C"}}, {}}});
    const auto outcome = test::run_binary(
        SHADEGAP_BINARY, {"run", "--canopy", canopy, "--canopy-kind", "classes=1", "--units", units, "--unit-id",
                          "GEOID", "--neighbourhoods", hoods, "--neighbourhood-id", "hood", "--residential-classes",
                          "2", "--model", "canopy-gap", "--out", out, "--threads", "2"});
    INFO(outcome.err);
    REQUIRE(outcome.status == 0);
    CHECK(outcome.err.find("1 census unit(s) have no residential land") != std::string::npos);
    CHECK(outcome.err.find("'U2'") != std::string::npos);

    const auto priority = test::read_csv(out + "/priority.csv");
    const double a = number(row_where(priority, "id", "A"), "population");
    const double b = number(row_where(priority, "id", "B"), "population");
    const double c = number(row_where(priority, "id", "C"), "population");
    CHECK(a == Approx(950).margin(1e-9));
    CHECK(b == Approx(300).margin(1e-9));
    CHECK(c == Approx(250).margin(1e-9));
    CHECK(std::abs(a + b + c - 1500) <= 1e-9);
    const auto unit_rows = test::read_csv(out + "/units.csv");
    CHECK(number(row_where(unit_rows, "unit_id", "U1"), "residential_m2") == Approx(200).margin(1e-9));
    CHECK(number(row_where(unit_rows, "unit_id", "U2"), "residential_m2") == 0);
}

// All of a unit's residential cells in one neighbourhood: that neighbourhood gets all of its
// people, however much of the unit's area lies in the others.
TEST_CASE("run with --residential-classes: residential land in one neighbourhood takes everyone", "[residential][cli]") {
    test::TempDir dir;
    const std::string canopy = dir.file("cover.tif"), units = dir.file("units.gpkg"),
                      hoods = dir.file("hoods.gpkg"), out = dir.file("out");
    std::vector<double> values;
    for (int row = 0; row < 20; ++row)
        for (int col = 0; col < 40; ++col) values.push_back(col >= 35 && row < 5 ? 7 : col < 5 ? 9 : 0);
    test::write_raster(canopy, 40, 20, east0, north0 + 20, 1.0, values, 32618);
    test::write_layer(units, "GPKG", "units", 32618,
                      {{rectangle(east0, north0, east0 + 40, north0 + 20), {{"GEOID", "U1"}}, {{"population", 1234.5}}}});
    test::write_layer(hoods, "GPKG", "hoods", 32618,
                      {{rectangle(east0, north0, east0 + 33.3, north0 + 20), {{"hood", "big"}}, {}},
                       {rectangle(east0 + 33.3, north0, east0 + 40, north0 + 20), {{"hood", "small"}}, {}}});
    const auto outcome = test::run_binary(
        SHADEGAP_BINARY, {"run", "--canopy", canopy, "--units", units, "--unit-id", "GEOID", "--neighbourhoods",
                          hoods, "--neighbourhood-id", "hood", "--residential-classes", "7,8", "--canopy-kind",
                          "classes=9", "--model", "canopy-gap", "--out", out});
    INFO(outcome.err);
    REQUIRE(outcome.status == 0);
    CHECK(outcome.err.find("no residential land") == std::string::npos);
    const auto priority = test::read_csv(out + "/priority.csv");
    CHECK(number(row_where(priority, "id", "small"), "population") == Approx(1234.5).margin(1e-9));
    CHECK(number(row_where(priority, "id", "big"), "population") == 0);
}
