// Lines over a raster against hand geometry, supersampling, the WGS 84 formulas, block sizes and thread counts.
// SPDX-License-Identifier: MIT
#include "shadegap/error.hpp"
#include "shadegap/lines.hpp"
#include "shadegap/raster.hpp"

#include "fixtures.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <cmath>
#include <cstring>
#include <limits>
#include <optional>
#include <random>
#include <string>
#include <vector>

using namespace shadegap;

namespace {

constexpr double pi = 3.14159265358979323846;
constexpr double not_a_number = std::numeric_limits<double>::quiet_NaN();

/// Writes a GeoTIFF in `dir` and describes it.
RasterInfo make_raster(const test::TempDir& dir, const std::string& name, int cols, int rows, double x_min,
                       double y_max, double cell, const std::vector<double>& values, int epsg,
                       GDALDataType type = GDT_Byte, std::optional<double> nodata = std::nullopt, int block = 0) {
    const std::string path = dir.file(name);
    test::write_raster(path, cols, rows, x_min, y_max, cell, values, epsg, type, nodata ? &*nodata : nullptr, block);
    return describe_raster(path);
}

LineShade measure_one(const RasterInfo& info, const ShadeOf& shade_of, const Polyline& line, int threads = 1,
                      int block_size = 0) {
    const std::vector<LineShade> result = measure_lines(info, shade_of, {line}, threads, block_size);
    REQUIRE(result.size() == 1);
    return result[0];
}

/// Checks a line's three lengths, printing expected next to actual on failure.
void check(const LineShade& actual, double length_m, double shaded_m, double unknown_m, double epsilon = 1e-12) {
    INFO("expected length " << length_m << ", shaded " << shaded_m << ", unknown " << unknown_m);
    INFO("actual   length " << actual.length_m << ", shaded " << actual.shaded_m << ", unknown " << actual.unknown_m);
    CHECK(actual.length_m == Approx(length_m).epsilon(epsilon).margin(1e-12));
    CHECK(actual.shaded_m == Approx(shaded_m).epsilon(epsilon).margin(1e-12));
    CHECK(actual.unknown_m == Approx(unknown_m).epsilon(epsilon).margin(1e-12));
}

const ShadeOf half_per_unit = [](double value) -> std::optional<double> { return value / 2; };

}  // namespace

TEST_CASE("lines: horizontal and vertical lines over bands of shade 0, 0.5 and 1", "[lines]") {
    const test::TempDir dir;
    const int threads = GENERATE(1, 2);
    const int block = GENERATE(0, 1, 2);
    // Three columns of 10 m cells, x 0–30, y 0–30: values 0, 1, 2 from west to east.
    const RasterInfo columns = make_raster(dir, "columns.tif", 3, 3, 0, 30, 10, {0, 1, 2, 0, 1, 2, 0, 1, 2}, 32618);
    // The same cells with 0, 1, 2 from north to south.
    const RasterInfo rows = make_raster(dir, "rows.tif", 3, 3, 0, 30, 10, {0, 0, 0, 1, 1, 1, 2, 2, 2}, 32618);

    SECTION("across the whole raster: 10 m at each of 0, 0.5, 1") {
        check(measure_one(columns, half_per_unit, {{0, 15}, {30, 15}}, threads, block), 30, 15, 0);
        check(measure_one(columns, half_per_unit, {{30, 15}, {0, 15}}, threads, block), 30, 15, 0);
    }
    SECTION("from x 5 to 25: 5 m at 0, 10 m at 0.5, 5 m at 1") {
        check(measure_one(columns, half_per_unit, {{5, 15}, {25, 15}}, threads, block), 20, 10, 0);
        check(measure_one(columns, half_per_unit, {{25, 15}, {5, 15}}, threads, block), 20, 10, 0);
    }
    SECTION("a vertical line from y 28 to 2: 8 m at 0, 10 m at 0.5, 8 m at 1") {
        check(measure_one(rows, half_per_unit, {{12, 28}, {12, 2}}, threads, block), 26, 13, 0);
        check(measure_one(rows, half_per_unit, {{12, 2}, {12, 28}}, threads, block), 26, 13, 0);
    }
    SECTION("a polyline with a repeated point: the parts add up") {
        check(measure_one(columns, half_per_unit, {{5, 15}, {15, 15}, {15, 15}, {25, 15}}, threads, block), 20, 10,
              0);
    }
}

TEST_CASE("lines: lengths in a CRS measured in US survey feet", "[lines]") {
    const test::TempDir dir;
    // EPSG:2263 (New York Long Island, US survey feet): a foot is 1200/3937 m.
    const RasterInfo feet = make_raster(dir, "feet.tif", 3, 3, 1000000, 200030, 10, {0, 1, 2, 0, 1, 2, 0, 1, 2}, 2263);
    const double foot_m = 1200.0 / 3937.0;
    check(measure_one(feet, half_per_unit, {{1000000, 200015}, {1000030, 200015}}), 30 * foot_m, 15 * foot_m, 0,
          1e-9);
}

TEST_CASE("lines: a diagonal line of slope 1/2, cell by cell", "[lines]") {
    const test::TempDir dir;
    const int threads = GENERATE(1, 2);
    const int block = GENERATE(0, 1, 3);
    // 4 × 4 cells of 1 m, x 0–4, y 0–4. Row r spans y from 3 − r to 4 − r.
    const double piece = std::sqrt(1.25);  // the segment over one column: Δx 1, Δy 1/2

    SECTION("through two cell corners, over a checkerboard") {
        std::vector<double> board;
        for (int r = 0; r < 4; ++r)
            for (int c = 0; c < 4; ++c) board.push_back((r + c) % 2);
        const RasterInfo info = make_raster(dir, "board.tif", 4, 4, 0, 4, 1, board, 32618);
        const ShadeOf value = [](double v) -> std::optional<double> { return v; };
        // From (0, 0.5) to (4, 2.5): one whole column each in cells (3, 0) = 1, (2, 1) = 1,
        // (2, 2) = 0 and (1, 3) = 0, passing the corners (1, 1) and (3, 2).
        check(measure_one(info, value, {{0, 0.5}, {4, 2.5}}, threads, block), 4 * piece, 2 * piece, 0);
        // From (0, 0.25) to (4, 2.25): (3, 0) = 1 whole; (3, 1) = 0 and (2, 1) = 1 half each;
        // (2, 2) = 0 whole; (2, 3) = 1 and (1, 3) = 0 half each.
        check(measure_one(info, value, {{0, 0.25}, {4, 2.25}}, threads, block), 4 * piece, 2 * piece, 0);
        check(measure_one(info, value, {{4, 2.25}, {0, 0.25}}, threads, block), 4 * piece, 2 * piece, 0);
    }
    SECTION("over cells of distinct values") {
        std::vector<double> values;
        for (int r = 0; r < 4; ++r)
            for (int c = 0; c < 4; ++c) values.push_back(4 * r + c);
        const RasterInfo info = make_raster(dir, "distinct.tif", 4, 4, 0, 4, 1, values, 32618);
        const ShadeOf fifteenths = [](double v) -> std::optional<double> { return v / 15; };
        // From (0, 0.25) to (4, 2.25): whole pieces in cells 12 and 10, half pieces in 13, 9, 11, 7.
        const double shaded = piece * (12 + 10 + 0.5 * (13 + 9 + 11 + 7)) / 15;
        check(measure_one(info, fifteenths, {{0, 0.25}, {4, 2.25}}, threads, block), 4 * piece, shaded, 0);
        check(measure_one(info, fifteenths, {{4, 2.25}, {0, 0.25}}, threads, block), 4 * piece, shaded, 0);
    }
}

TEST_CASE("lines: a line on a cell boundary belongs to the cell east or south of it, once", "[lines]") {
    const test::TempDir dir;
    const int threads = GENERATE(1, 2);
    const int block = GENERATE(0, 1);
    // 2 × 2 cells of 1 m, x 0–2, y 0–2: values 0 1 / 2 3, shade value/3.
    const RasterInfo info = make_raster(dir, "quad.tif", 2, 2, 0, 2, 1, {0, 1, 2, 3}, 32618);
    const ShadeOf thirds = [](double v) -> std::optional<double> { return v / 3; };
    const auto both_ways = [&](LinePoint a, LinePoint b, double length, double shaded, double unknown) {
        check(measure_one(info, thirds, {a, b}, threads, block), length, shaded, unknown);
        check(measure_one(info, thirds, {b, a}, threads, block), length, shaded, unknown);
    };
    SECTION("the middle column line x = 1: the east column, values 1 and 3") { both_ways({1, 0}, {1, 2}, 2, 4.0 / 3, 0); }
    SECTION("the middle row line y = 1: the south row, values 2 and 3") { both_ways({0, 1}, {2, 1}, 2, 5.0 / 3, 0); }
    SECTION("the west edge x = 0: column 0, values 0 and 2") { both_ways({0, 0}, {0, 2}, 2, 2.0 / 3, 0); }
    SECTION("the north edge y = 2: row 0, values 0 and 1") { both_ways({0, 2}, {2, 2}, 2, 1.0 / 3, 0); }
    SECTION("the east edge x = 2: nothing east of it, off the raster") { both_ways({2, 0}, {2, 2}, 2, 0, 2); }
    SECTION("the south edge y = 0: nothing south of it, off the raster") { both_ways({0, 0}, {2, 0}, 2, 0, 2); }
    SECTION("half on the line x = 1, then into the west column") {
        // (1, 2) → (1, 1) on the line: cell value 1; then (1, 1) → (0, 0) through cell 2.
        const double diagonal = std::sqrt(2.0);
        check(measure_one(info, thirds, {{1, 2}, {1, 1}, {0, 0}}, threads, block), 1 + diagonal,
              1.0 / 3 + diagonal * 2 / 3, 0);
    }
}

TEST_CASE("lines: parts off the raster, over nodata, NaN or values without a shade are unknown", "[lines]") {
    const test::TempDir dir;
    const int threads = GENERATE(1, 2);
    // 3 × 3 cells of 1 m, x 0–3, y 0–3, nodata 255: the centre is nodata, the north-east cell 7.
    const RasterInfo info = make_raster(dir, "holes.tif", 3, 3, 0, 3, 1, {1, 1, 7, 1, 255, 1, 1, 1, 1}, 32618,
                                        GDT_Byte, 255.0);
    std::atomic<int> asked_about_nodata{0};
    const ShadeOf zero_or_one = [&](double v) -> std::optional<double> {
        if (v == 255 || std::isnan(v)) ++asked_about_nodata;
        if (v == 0 || v == 1) return v;
        return std::nullopt;
    };
    // y 1.5 (row 1) from x −2 to 2: 2 m off, 1 m over value 1, 1 m over nodata.
    check(measure_one(info, zero_or_one, {{-2, 1.5}, {2, 1.5}}, threads), 4, 1, 3);
    // y 2.5 (row 0) from x 0 to 5: 2 m over 1, 1 m over 7 (no shade), 2 m off.
    check(measure_one(info, zero_or_one, {{0, 2.5}, {5, 2.5}}, threads), 5, 2, 3);
    // Across the south row from x −1 to 4: 3 m over 1, 2 m off.
    check(measure_one(info, zero_or_one, {{-1, 0.5}, {4, 0.5}}, threads), 5, 3, 2);
    // Wholly off the raster: a 3-4-5 triangle.
    check(measure_one(info, zero_or_one, {{10, 10}, {13, 14}}, threads), 5, 0, 5);
    CHECK(asked_about_nodata == 0);

    SECTION("NaN cells of a float raster") {
        const RasterInfo floats = make_raster(dir, "nan.tif", 3, 1, 0, 1, 1, {1, not_a_number, 0}, 32618, GDT_Float32);
        check(measure_one(floats, zero_or_one, {{0, 0.5}, {3, 0.5}}, threads), 3, 1, 1);
        CHECK(asked_about_nodata == 0);
    }
    SECTION("lines of fewer than two points measure 0") {
        const std::vector<LineShade> result = measure_lines(info, zero_or_one, {{}, {{1, 1}}}, threads);
        REQUIRE(result.size() == 2);
        check(result[0], 0, 0, 0);
        check(result[1], 0, 0, 0);
    }
    SECTION("a coordinate that is not finite is an error") {
        CHECK_THROWS_AS(measure_lines(info, zero_or_one, {{{0, 0}, {not_a_number, 1}}}, threads), GeometryError);
    }
    SECTION("a negative thread count or block size is a usage error") {
        CHECK_THROWS_AS(measure_lines(info, zero_or_one, {{{0, 0}, {1, 1}}}, -1), UsageError);
        CHECK_THROWS_AS(measure_lines(info, zero_or_one, {{{0, 0}, {1, 1}}}, 1, -1), UsageError);
    }
}

namespace {

/// A random raster (with nodata and values without a shade) and random polylines partly off it.
struct RandomCase {
    static constexpr int cols = 23;
    static constexpr int rows = 17;
    static constexpr double x_min = 100;
    static constexpr double y_max = 500;
    static constexpr double cell = 2.5;
    static constexpr double nodata = -1;
    std::vector<double> values;
    std::vector<Polyline> lines;

    RandomCase() {
        std::mt19937_64 random(20261214);
        std::uniform_real_distribution<double> unit(0, 1);
        for (int i = 0; i < cols * rows; ++i) {
            const double kind = unit(random);
            // Float32 cells: the values are rounded to float here, as the file holds them.
            values.push_back(kind < 0.1 ? nodata : kind < 0.15 ? 2.0 : static_cast<double>(static_cast<float>(unit(random))));
        }
        std::uniform_real_distribution<double> x(x_min - 10, x_min + cols * cell + 10);
        std::uniform_real_distribution<double> y(y_max - rows * cell - 10, y_max + 10);
        std::uniform_int_distribution<int> points(2, 5);
        for (int l = 0; l < 40; ++l) {
            Polyline line;
            for (int p = points(random); p > 0; --p) line.push_back({x(random), y(random)});
            lines.push_back(line);
        }
        // Lines along cell lines, on a column line, on a row line and along the east edge.
        lines.push_back({{x_min + 4 * cell, y_max - 1}, {x_min + 4 * cell, y_max - rows * cell + 3}});
        lines.push_back({{x_min - 3, y_max - 5 * cell}, {x_min + 11 * cell, y_max - 5 * cell}});
        lines.push_back({{x_min + cols * cell, y_max}, {x_min + cols * cell, y_max - rows * cell}});
    }

    static std::optional<double> shade_of(double value) {
        if (value >= 0 && value <= 1) return value;
        return std::nullopt;
    }

    /// The oracle: each segment sampled at n midpoints, each standing for 1/n of its length.
    LineShade supersample(const Polyline& line, int n) const {
        LineShade sums;
        for (std::size_t p = 0; p + 1 < line.size(); ++p) {
            const double dx = line[p + 1].x - line[p].x, dy = line[p + 1].y - line[p].y;
            const double step = std::sqrt(dx * dx + dy * dy) / n;
            for (int i = 0; i < n; ++i) {
                const double t = (i + 0.5) / n;
                const double col = std::floor((line[p].x + t * dx - x_min) / cell);
                const double row = std::floor((y_max - (line[p].y + t * dy)) / cell);
                sums.length_m += step;
                std::optional<double> shade;
                if (col >= 0 && col < cols && row >= 0 && row < rows)
                    shade = shade_of(values[static_cast<std::size_t>(row * cols + col)]);
                if (shade) sums.shaded_m += step * *shade;
                else sums.unknown_m += step;
            }
        }
        return sums;
    }
};

}  // namespace

TEST_CASE("lines: random lines over a random raster agree with supersampling", "[lines]") {
    const test::TempDir dir;
    const RandomCase random;
    const RasterInfo info = make_raster(dir, "random.tif", RandomCase::cols, RandomCase::rows, RandomCase::x_min,
                                        RandomCase::y_max, RandomCase::cell, random.values, 32618, GDT_Float32,
                                        RandomCase::nodata);
    const std::vector<LineShade> result = measure_lines(info, RandomCase::shade_of, random.lines, 2);
    REQUIRE(result.size() == random.lines.size());
    // A segment crosses at most cols + rows + 2 = 42 cell lines; at each, a sample can stand
    // for at most half a sample's length of the wrong cell, so with 400,000 samples the
    // oracle is within 42 / 800,000 ≈ 5·10⁻⁵ of the segment's length: 10⁻⁴ of the line's.
    constexpr int samples = 400000;
    for (std::size_t l = 0; l < random.lines.size(); ++l) {
        const LineShade expected = random.supersample(random.lines[l], samples);
        INFO("line " << l << ": expected length " << expected.length_m << ", shaded " << expected.shaded_m
                     << ", unknown " << expected.unknown_m << "; actual " << result[l].length_m << ", "
                     << result[l].shaded_m << ", " << result[l].unknown_m);
        const double tolerance = 1e-4 * expected.length_m;
        // The length itself is exact: the sum of the segments' lengths.
        double length = 0;
        for (std::size_t p = 0; p + 1 < random.lines[l].size(); ++p)
            length += std::hypot(random.lines[l][p + 1].x - random.lines[l][p].x,
                                 random.lines[l][p + 1].y - random.lines[l][p].y);
        CHECK(result[l].length_m == Approx(length).epsilon(1e-12));
        CHECK(std::abs(result[l].shaded_m - expected.shaded_m) <= tolerance);
        CHECK(std::abs(result[l].unknown_m - expected.unknown_m) <= tolerance);
        CHECK(result[l].shaded_m <= result[l].length_m - result[l].unknown_m + 1e-9);
    }
}

TEST_CASE("lines: block sizes agree, and thread counts give the same bytes", "[lines]") {
    const test::TempDir dir;
    const RandomCase random;
    // Natural blocks of 16 × 16 cells: the default reads whole blocks of the file.
    const RasterInfo info = make_raster(dir, "tiled.tif", RandomCase::cols, RandomCase::rows, RandomCase::x_min,
                                        RandomCase::y_max, RandomCase::cell, random.values, 32618, GDT_Float32,
                                        RandomCase::nodata, 16);
    REQUIRE(info.block_cols == 16);
    const std::vector<LineShade> reference = measure_lines(info, RandomCase::shade_of, random.lines, 1, 0);
    for (const int block : {0, 1, 3, 7}) {
        const std::vector<LineShade> one = measure_lines(info, RandomCase::shade_of, random.lines, 1, block);
        const std::vector<LineShade> two = measure_lines(info, RandomCase::shade_of, random.lines, 2, block);
        REQUIRE(one.size() == reference.size());
        REQUIRE(two.size() == reference.size());
        INFO("block size " << block);
        CHECK(std::memcmp(one.data(), two.data(), one.size() * sizeof(LineShade)) == 0);
        for (std::size_t l = 0; l < reference.size(); ++l) {
            INFO("line " << l);
            // Cut at other t values, the pieces add up in another order: rounding only.
            const double margin = 1e-9 * std::max(1.0, reference[l].length_m);
            CHECK(one[l].length_m == Approx(reference[l].length_m).margin(margin));
            CHECK(one[l].shaded_m == Approx(reference[l].shaded_m).margin(margin));
            CHECK(one[l].unknown_m == Approx(reference[l].unknown_m).margin(margin));
        }
    }
}

namespace {

constexpr double wgs84_a = 6378137.0;
constexpr double wgs84_f = 1 / 298.257223563;

/// Metres per degree of longitude on the parallel at `lat_deg`: its radius a cos φ / √(1 − e² sin² φ).
double metres_per_degree_of_longitude(double lat_deg) {
    const double e2 = wgs84_f * (2 - wgs84_f);
    const double phi = lat_deg * pi / 180;
    return pi / 180 * wgs84_a * std::cos(phi) / std::sqrt(1 - e2 * std::sin(phi) * std::sin(phi));
}

/// The meridian arc from lat0 to lat1 (degrees): ∫ a (1 − e²) / (1 − e² sin² φ)^{3/2} dφ by Simpson's rule.
double meridian_arc_m(double lat0_deg, double lat1_deg) {
    const double e2 = wgs84_f * (2 - wgs84_f);
    const auto radius = [e2](double phi) {
        const double w = 1 - e2 * std::sin(phi) * std::sin(phi);
        return wgs84_a * (1 - e2) / (w * std::sqrt(w));
    };
    const int n = 1000;
    const double a = lat0_deg * pi / 180, h = (lat1_deg - lat0_deg) * pi / 180 / n;
    double sum = radius(a) + radius(a + n * h);
    for (int i = 1; i < n; ++i) sum += (i % 2 ? 4 : 2) * radius(a + i * h);
    return sum * h / 3;
}

}  // namespace

TEST_CASE("lines: lengths in metres on a geographic raster", "[lines]") {
    const test::TempDir dir;
    // 8 × 8 cells of 0.0005°: longitude 9.999–10.003, latitude 44.998–45.002, all shaded.
    const RasterInfo info =
        make_raster(dir, "wgs84.tif", 8, 8, 9.999, 45.002, 0.0005, std::vector<double>(64, 1.0), 4326);
    REQUIRE(info.geographic);
    const ShadeOf full = [](double) -> std::optional<double> { return 1.0; };

    SECTION("0.001° east-west at 45° N") {
        const double expected = 0.001 * metres_per_degree_of_longitude(45);
        CHECK(expected == Approx(78.8).margin(0.1));
        check(measure_one(info, full, {{10.0, 45.0}, {10.001, 45.0}}), expected, expected, 0, 1e-9);
    }
    SECTION("0.003° north-south: the meridian arc") {
        const double expected = meridian_arc_m(44.9985, 45.0015);
        check(measure_one(info, full, {{10.001, 44.9985}, {10.001, 45.0015}}), expected, expected, 0, 1e-9);
    }
    SECTION("0.05° east-west, mostly off the raster: measured all the way") {
        const double per_degree = metres_per_degree_of_longitude(45.0003);
        check(measure_one(info, full, {{10.0, 45.0003}, {10.05, 45.0003}}), 0.05 * per_degree, 0.003 * per_degree,
              0.047 * per_degree, 1e-9);
    }
}
