// The sample of a raster's values, the canopy-kind guess and the check of a declared kind.
// SPDX-License-Identifier: MIT
#include "shadegap/error.hpp"
#include "shadegap/sample.hpp"

#include "fixtures.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using namespace shadegap;

namespace {

ValueSample sample_of(const std::vector<double>& values, bool whole_raster = true) {
    ValueSample sample;
    for (const double v : values) sample.add(v);
    sample.cells_read = static_cast<std::int64_t>(values.size());
    sample.whole_raster = whole_raster;
    return sample;
}

std::vector<double> range(int first, int last, double step = 1) {
    std::vector<double> values;
    for (int i = first; i <= last; ++i) values.push_back(i * step);
    return values;
}

/// The message of the InputError the check throws, or "" when it passes.
std::string check_message(const std::vector<double>& values, const std::string& kind, Diagnostics* warnings = nullptr) {
    Diagnostics diagnostics;
    try {
        check_canopy_kind(sample_of(values), CanopyKind::parse(kind), "r.tif", warnings ? *warnings : diagnostics);
    } catch (const InputError& error) {
        CHECK(error.subject() == "r.tif");
        return error.message() + " | " + error.hint();
    }
    return "";
}

}  // namespace

TEST_CASE("the guess follows the documented rules, first match wins", "[sample]") {
    CHECK_FALSE(guess_canopy_kind(sample_of({})).type);
    CHECK(guess_canopy_kind(sample_of({0, 1, 1})).text == "binary");
    CHECK(guess_canopy_kind(sample_of({1})).text == "binary");
    // Whole values from 0 to 100, however few: percent, not classes.
    CHECK(guess_canopy_kind(sample_of({0, 100})).text == "percent");
    CHECK(guess_canopy_kind(sample_of({0, 1, 100})).text == "percent");
    CHECK(guess_canopy_kind(sample_of({1, 2, 3, 4})).text == "classes=…");
    CHECK(guess_canopy_kind(sample_of({0, 20, 40, 60, 80})).text == "classes=…");
    CHECK(guess_canopy_kind(sample_of({0, 0.25, 1})).text == "fraction");
    CHECK(guess_canopy_kind(sample_of(range(0, 24, 4))).text == "percent");
    CHECK(guess_canopy_kind(sample_of({0.5, 55.5})).text == "percent");
    CHECK(guess_canopy_kind(sample_of({0.5, 130.75})).text == "min=…");
    CHECK(guess_canopy_kind(sample_of({-0.2, 0.8})).text == "min=…");
}

TEST_CASE("a sample keeps the smallest 256 distinct values and exact extremes", "[sample]") {
    const ValueSample sample = sample_of(range(0, 999));
    CHECK(sample.distinct.size() == max_sample_distinct);
    CHECK(*sample.distinct.rbegin() == 255);
    CHECK(sample.more_values);
    CHECK(sample.min == 0);
    CHECK(sample.max == 999);
    CHECK(sample.valid_count == 1000);
    CHECK(sample.all_integer);
}

TEST_CASE("a declared kind that the values do not fit names the kind they look like", "[sample]") {
    CHECK(check_message({0, 0.25, 0.5}, "percent") ==
          "the values look like canopy fractions (0 to 1), not percent values: all 3 valid cells lie between 0 and "
          "0.5 | use `canopy_kind = fraction`");
    CHECK(check_message({0, 1}, "percent") ==
          "the values look like binary canopy (0 and 1), not percent values: all 2 valid cells hold 0 or 1 | use "
          "`canopy_kind = binary`");
    CHECK(check_message({1}, "percent") != "");
    CHECK(check_message({0, 50, 100}, "binary") ==
          "the values look like canopy percentages (0 to 100), not binary values: all 3 valid cells lie between 0 "
          "and 100 | use `canopy_kind = percent`");
    CHECK(check_message({0, 0.5}, "binary") != "");
    CHECK(check_message(range(0, 99), "fraction") ==
          "the values look like canopy percentages (0 to 100), not fraction values: all 100 valid cells lie between "
          "0 and 99 | use `canopy_kind = percent`");
}

TEST_CASE("values that fit, or that only the overlay can judge, pass the check", "[sample]") {
    CHECK(check_message({0, 1}, "binary") == "");
    CHECK(check_message({0, 1}, "fraction") == "");  // a 0/1 fraction is a binary raster read right
    CHECK(check_message({0}, "percent") == "");      // no canopy in any kind
    CHECK(check_message({0, 0.3, 1}, "fraction") == "");
    CHECK(check_message(range(0, 100), "percent") == "");
    CHECK(check_message({0, 20, 40}, "percent") == "");
    // A marker among 0/1 (undeclared nodata) is the overlay's to report, with its nodata hint.
    CHECK(check_message({0, 1, 255}, "binary") == "");
    CHECK(check_message({0, 1, 255}, "percent") == "");
    CHECK(check_message({0.5, 2, 30}, "min=2") == "");
    CHECK(check_message({1, 2, 3}, "classes=3") == "");
}

// Land cover of classes 1–6 declared as a share kind: read as percent it gave 1–6 % canopy
// in every cell, exit 0. Classes up to 20 are taken for class codes; {0, 20, 40} above may
// be a coarse percent raster and passes.
TEST_CASE("land-cover classes declared as a share kind", "[sample]") {
    // The library names the configuration key (the CLI shows it as --canopy-kind classes=C1,C2,...).
    const std::string hint = " | name the canopy classes among the values 1, 2, 3, 4, 5, 6: `canopy_kind = "
                             "classes=C1,C2,...`";
    CHECK(check_message({1, 2, 3, 4, 5, 6}, "percent") ==
          "the values look like land-cover classes, not percent values: all 6 valid cells lie between 1 and 6" + hint);
    CHECK(check_message({1, 2, 3, 4, 5, 6}, "binary") ==
          "the values look like land-cover classes, not binary values: all 6 valid cells lie between 1 and 6" + hint);
    CHECK(check_message({1, 2, 3, 4, 5, 6}, "fraction") ==
          "the values look like land-cover classes, not fraction values: all 6 valid cells lie between 1 and 6" +
              hint);
    CHECK(check_message({1, 2, 3, 4, 5, 6}, "classes=1") == "");
}

TEST_CASE("classes= and min= with no canopy in the sample", "[sample]") {
    CHECK(check_message({1, 2, 3, 4}, "classes=5") ==
          "no cell is canopy under classes=5: its valid cells hold values 1, 2, 3, 4 | list the canopy classes among "
          "those values");
    CHECK(check_message({0, 1}, "min=2") ==
          "no cell is canopy under min=2: its valid cells hold values from 0 to 1 | choose a threshold within those "
          "values");

    // A partial sample can miss the canopy: a warning, not an error.
    Diagnostics warnings;
    check_canopy_kind(sample_of({1, 2}, false), CanopyKind::parse("classes=5"), "r.tif", warnings);
    REQUIRE(warnings.warnings().size() == 1);
    CHECK(warnings.warnings()[0].code == "canopy-kind-sample");
    CHECK(warnings.warnings()[0].message ==
          "no cell of a sample of 2 cells is canopy under classes=5 (sampled values 1, 2); the run may measure no "
          "canopy at all");

    // A class above the 256 smallest distinct values kept may be in the sample.
    CHECK(check_message(range(0, 999), "classes=700") == "");
}

TEST_CASE("the sample of a large raster is 16 windows of 256 × 256 cells on its blocks", "[sample]") {
    RasterInfo raster;
    raster.grid = {0, 100000, 1, 1, 100000, 100000};
    raster.block_cols = 128;
    raster.block_rows = 128;
    const std::vector<Window> windows = sample_windows(raster);
    REQUIRE(windows.size() == 16);
    std::int64_t cells = 0;
    for (const Window& w : windows) {
        cells += w.cell_count();
        CHECK(w.rows == 256);
        CHECK(w.cols == 256);
        CHECK(w.row0 % 128 == 0);
        CHECK(w.col0 % 128 == 0);
        CHECK(w.row0 + w.rows <= raster.grid.rows);
        CHECK(w.col0 + w.cols <= raster.grid.cols);
    }
    CHECK(cells == max_sample_cells);
    CHECK(windows.front().row0 == 0);
    CHECK(windows.back().col0 == 99712);  // 100000 - 256 = 99744, moved back onto its block

    raster.grid = {0, 1000, 1, 1, 1000, 1000};
    REQUIRE(sample_windows(raster).size() == 1);
    CHECK(sample_windows(raster).front().cell_count() == 1000000);
}

TEST_CASE("a raster read whole excludes nodata, NaN and water classes", "[sample]") {
    test::TempDir dir;
    const std::string path = dir.file("r.tif");
    const double nodata = 255;
    test::write_raster(path, 3, 2, 500000, 4100000, 1, {0, 1, 255, 4, 1, 1}, 32618, GDT_Byte, &nodata);
    const ValueSample sample = sample_raster(describe_raster(path), {4});
    CHECK(sample.whole_raster);
    CHECK(sample.cells_read == 6);
    CHECK(sample.valid_count == 4);
    CHECK(sample.distinct == std::set<double>{0, 1});
    CHECK(sample.max == 1);
}
