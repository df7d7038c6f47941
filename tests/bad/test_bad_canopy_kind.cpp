// The bad-input suite, canopy kind: a declared --canopy-kind that the raster's values do
// not fit stops `run` and `check` alike with one line naming the kind the values look like
// (docs/bad-input.md, "Canopy kind").
// SPDX-License-Identifier: MIT
#include "fixtures.hpp"
#include "bad_case.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <map>
#include <sstream>
#include <string>
#include <vector>

using Catch::Matchers::StartsWith;

namespace {

namespace fs = std::filesystem;
namespace test = shadegap::test;

using namespace test::bad;



// ---------------------------------------------------------------------------------------
// Fixtures: 10 × 10 rasters of 1 m cells in UTM 18N, x 500000–500010, y 4100000–4100010,
// each column holding one value (row-major values repeat the 10 column values).

constexpr double origin_x = 500000;
constexpr double origin_y = 4100000;
constexpr int utm18n = 32618;

std::vector<double> by_column(const std::vector<double>& columns) {
    std::vector<double> values;
    for (int r = 0; r < 10; ++r) values.insert(values.end(), columns.begin(), columns.end());
    return values;
}

/// Binary: columns 0–4 canopy (1), 5–9 not (0) — the fixture of test_bad_input.cpp.
const std::vector<double> binary_columns = {1, 1, 1, 1, 1, 0, 0, 0, 0, 0};
/// Percent: columns 0–4 full canopy (100), then 0, 20, 40, 60, 80.
const std::vector<double> percent_columns = {100, 100, 100, 100, 100, 0, 20, 40, 60, 80};
/// Fraction: the same canopy as the percent raster, as shares 0–1.
const std::vector<double> fraction_columns = {1, 1, 1, 1, 1, 0, 0.2, 0.4, 0.6, 0.8};

std::string box(double xa, double ya, double xb, double yb) {
    std::ostringstream wkt;
    wkt.precision(17);
    const double x0 = origin_x + xa, y0 = origin_y + ya, x1 = origin_x + xb, y1 = origin_y + yb;
    wkt << "POLYGON((" << x0 << " " << y0 << "," << x1 << " " << y0 << "," << x1 << " " << y1 << "," << x0 << " "
        << y1 << "," << x0 << " " << y0 << "))";
    return wkt.str();
}

test::TestFeature unit(const std::string& id, const std::string& wkt) {
    return {wkt, {{"GEOID", id}}, {{"population", 100}}};
}

/// A temporary folder with a raster, units A (x 0–5) and B (x 5–10) over the whole height,
/// and the arguments of `run` or `check` on them with the canopy-gap model.
struct Case {
    test::TempDir dir;
    std::string raster = dir.file("canopy.tif");
    std::string units = dir.file("units.gpkg");
    std::string out = dir.file("out");

    explicit Case(const std::vector<double>& columns, GDALDataType type = GDT_Byte) {
        test::write_raster(raster, 10, 10, origin_x, origin_y + 10, 1.0, by_column(columns), utm18n, type);
        test::write_layer(units, "GPKG", "units", utm18n, {unit("A", box(0, 0, 5, 10)), unit("B", box(5, 0, 10, 10))});
    }

    std::vector<std::string> args(const std::string& command, const std::vector<std::string>& extra) const {
        std::vector<std::string> a = {command, "--canopy", raster, "--units", units,   "--unit-id", "GEOID",
                                      "--model", "canopy-gap", "--out", out, "--threads", "1"};
        a.insert(a.end(), extra.begin(), extra.end());
        return a;
    }
};

/// `run` and `check` on the same inputs both stop with exit 1 and exactly `line`.
void require_run_and_check_error(const Case& c, const std::vector<std::string>& extra, const std::string& line) {
    {
        INFO("shadegap run");
        require_error(run_binary(c.args("run", extra)), 1, line, c.out);
    }
    {
        INFO("shadegap check");
        require_error(run_binary(c.args("check", extra)), 1, line, c.out);
    }
}

double canopy_m2(const std::string& out, const std::string& id) {
    for (const auto& row : test::read_csv(out + "/units.csv").rows)
        if (row.at("unit_id") == id) return std::stod(row.at("canopy_m2"));
    FAIL("no row for unit '" << id << "' in " << out << "/units.csv");
    return 0;
}

}  // namespace

// A 0–1 raster declared percent used to run with canopy 100× too small, exit 0.
TEST_CASE("a fraction raster declared percent", "[bad][canopy-kind]") {
    Case c(fraction_columns, GDT_Float64);
    require_run_and_check_error(c, {"--canopy-kind", "percent"},
                                "shadegap: error: " + c.raster + ": the values look like canopy fractions (0 to 1), "
                                "not percent values: all 100 valid cells lie between 0 and 1 (hint: use "
                                "--canopy-kind fraction)");
}

// A binary 0/1 raster declared percent: 1 % canopy where there is full canopy.
TEST_CASE("a binary raster declared percent", "[bad][canopy-kind]") {
    Case c(binary_columns);
    require_run_and_check_error(c, {"--canopy-kind", "percent"},
                                "shadegap: error: " + c.raster + ": the values look like binary canopy (0 and 1), not "
                                "percent values: all 100 valid cells hold 0 or 1 (hint: use --canopy-kind binary)");
}

// A 0–100 raster with the default kind used to get the hint to declare 100 as nodata,
// which would drop every full-canopy cell.
TEST_CASE("a percent raster with the default kind (binary)", "[bad][canopy-kind]") {
    Case c(percent_columns);
    const std::string line = "shadegap: error: " + c.raster + ": the values look like canopy percentages (0 to "
                             "100), not binary values: all 100 valid cells lie between 0 and 100 (hint: use "
                             "--canopy-kind percent)";
    require_run_and_check_error(c, {}, line);
    require_run_and_check_error(c, {"--canopy-kind", "binary"}, line);
}

TEST_CASE("a percent raster declared fraction", "[bad][canopy-kind]") {
    Case c(percent_columns);
    require_run_and_check_error(c, {"--canopy-kind", "fraction"},
                                "shadegap: error: " + c.raster + ": the values look like canopy percentages (0 to "
                                "100), not fraction values: all 100 valid cells lie between 0 and 100 (hint: use "
                                "--canopy-kind percent)");
}

TEST_CASE("a fraction raster declared binary", "[bad][canopy-kind]") {
    Case c(fraction_columns, GDT_Float64);
    require_run_and_check_error(c, {"--canopy-kind", "binary"},
                                "shadegap: error: " + c.raster + ": the values look like canopy fractions (0 to 1), "
                                "not binary values: all 100 valid cells lie between 0 and 1 (hint: use --canopy-kind "
                                "fraction)");
}

// A land-cover raster of classes 1–6 declared percent (or left binary) used to run with 1–6 %
// canopy in every cell, exit 0 (binary: the overlay's hint to declare 2 as nodata).
TEST_CASE("a land-cover raster declared a share kind", "[bad][canopy-kind]") {
    Case c({1, 2, 3, 4, 5, 6, 1, 2, 3, 4});
    const auto line = [&](const std::string& kind) {
        return "shadegap: error: " + c.raster + ": the values look like land-cover classes, not " + kind +
               " values: all 100 valid cells lie between 1 and 6 (hint: name the canopy classes among the values 1, "
               "2, 3, 4, 5, 6: --canopy-kind classes=C1,C2,...)";
    };
    require_run_and_check_error(c, {"--canopy-kind", "percent"}, line("percent"));
    require_run_and_check_error(c, {}, line("binary"));
}

// classes= naming no value of a raster read whole: no cell could ever be canopy.
TEST_CASE("canopy classes that the raster does not hold", "[bad][canopy-kind]") {
    Case c({1, 2, 3, 1, 2, 3, 1, 2, 3, 4});
    require_run_and_check_error(c, {"--canopy-kind", "classes=5,6"},
                                "shadegap: error: " + c.raster + ": no cell is canopy under classes=5,6: its valid "
                                "cells hold values 1, 2, 3, 4 (hint: list the canopy classes among those values)");
}

// min= above every value of a raster read whole (a 0/1 raster given a height threshold).
TEST_CASE("a min= threshold above every value", "[bad][canopy-kind]") {
    Case c(binary_columns);
    require_run_and_check_error(c, {"--canopy-kind", "min=2"},
                                "shadegap: error: " + c.raster + ": no cell is canopy under min=2: its valid cells "
                                "hold values from 0 to 1 (hint: choose a threshold within those values)");
}

// The right kinds run, and give the canopy worked out by hand: A (columns 0–4) 50 cells of
// 100 % = 50 m²; B (columns 5–9) 10 rows × (0 + 0.2 + 0.4 + 0.6 + 0.8) m² = 20 m².
TEST_CASE("the right canopy kind runs and measures the canopy", "[bad][canopy-kind]") {
    for (const auto& [columns, type, kind] :
         {std::tuple<std::vector<double>, GDALDataType, std::string>{percent_columns, GDT_Byte, "percent"},
          {fraction_columns, GDT_Float64, "fraction"}}) {
        INFO("--canopy-kind " << kind);
        Case c(columns, type);
        const Outcome checked = run_binary(c.args("check", {"--canopy-kind", kind}));
        CHECK(checked.status == 0);
        CHECK(lines_of(checked.err).size() == 1);
        CHECK_THAT(checked.err, StartsWith("options: ok — canopy " + c.raster + " (" + kind + ")"));
        const Outcome ran = run_binary(c.args("run", {"--canopy-kind", kind}));
        INFO("stderr: " << ran.err);
        REQUIRE(ran.status == 0);
        CHECK(lines_of(ran.err).size() == 1);
        // Sums of 1 m² cells times shares of at most two decimal digits: 1e-9 covers the last digit.
        CHECK(canopy_m2(c.out, "A") == Approx(50).margin(1e-9));
        CHECK(canopy_m2(c.out, "B") == Approx(20).margin(1e-9));
    }
    Case c(binary_columns);
    const Outcome ran = run_binary(c.args("run", {"--canopy-kind", "classes=1"}));
    REQUIRE(ran.status == 0);
    CHECK(canopy_m2(c.out, "A") == Approx(50).margin(1e-9));
    CHECK(canopy_m2(c.out, "B") == Approx(0).margin(1e-9));
}

// A raster larger than the sample (1100 × 1100 cells: 16 windows of 256 × 256 are read)
// whose only canopy class sits between the windows: the sample cannot tell, so it is a
// warning, and the overlay measures the canopy it finds. Cells of rows 260–269, columns
// 260–269 are class 5; the unit (x 255–275, y 825–845 from the lower-left corner) holds them.
TEST_CASE("canopy classes outside the sample of a large raster", "[bad][canopy-kind]") {
    test::TempDir dir;
    const std::string raster = dir.file("landcover.tif");
    const std::string units = dir.file("units.gpkg");
    const std::string out = dir.file("out");
    std::vector<double> values(1100 * 1100, 0);
    for (int r = 260; r < 270; ++r)
        for (int col = 260; col < 270; ++col) values[static_cast<std::size_t>(r * 1100 + col)] = 5;
    test::write_raster(raster, 1100, 1100, origin_x, origin_y + 1100, 1.0, values, utm18n);
    test::write_layer(units, "GPKG", "units", utm18n, {unit("A", box(255, 825, 275, 845))});
    const std::string warning = "shadegap: warning: " + raster + ": no cell of a sample of 1048576 cells is canopy "
                                "under classes=5 (sampled values 0); the run may measure no canopy at all";
    const std::vector<std::string> args = {"--canopy", raster, "--canopy-kind", "classes=5", "--units", units,
                                           "--unit-id", "GEOID", "--model", "canopy-gap", "--out", out};
    std::vector<std::string> check_args = {"check"};
    check_args.insert(check_args.end(), args.begin(), args.end());
    const Outcome checked = run_binary(check_args);
    INFO("check stderr: " << checked.err);
    CHECK(checked.status == 0);
    REQUIRE(lines_of(checked.err).size() == 2);
    CHECK(lines_of(checked.err)[0] == warning);

    std::vector<std::string> run_args = {"run"};
    run_args.insert(run_args.end(), args.begin(), args.end());
    const Outcome ran = run_binary(run_args);
    INFO("run stderr: " << ran.err);
    REQUIRE(ran.status == 0);
    REQUIRE(lines_of(ran.err).size() == 2);
    CHECK(lines_of(ran.err)[0] == warning);
    CHECK_THAT(lines_of(ran.err)[1], StartsWith("ranked "));
    CHECK(canopy_m2(out, "A") == Approx(100).margin(1e-9));
}
