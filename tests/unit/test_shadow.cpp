// Shadow casting: analytic box shadows, flat ground, canopy, tiling, threads and the ray-march oracle.
// SPDX-License-Identifier: MIT
#include "shadegap/error.hpp"
#include "shadegap/shadow.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <random>
#include <sstream>
#include <string>
#include <vector>

using namespace shadegap;

namespace {

constexpr double pi = 3.14159265358979323846;

struct Point {
    double x, y;
};

double cross(const Point& o, const Point& a, const Point& b) { return (a.x - o.x) * (b.y - o.y) - (a.y - o.y) * (b.x - o.x); }

/// Counter-clockwise convex hull (Andrew's monotone chain).
std::vector<Point> convex_hull(std::vector<Point> points) {
    std::sort(points.begin(), points.end(), [](const Point& a, const Point& b) { return a.x < b.x || (a.x == b.x && a.y < b.y); });
    std::vector<Point> hull(2 * points.size());
    std::size_t k = 0;
    for (const Point& p : points) {
        while (k >= 2 && cross(hull[k - 2], hull[k - 1], p) <= 0) --k;
        hull[k++] = p;
    }
    for (std::size_t i = points.size() - 1, lower = k + 1; i-- > 0;) {
        const Point& p = points[i];
        while (k >= lower && cross(hull[k - 2], hull[k - 1], p) <= 0) --k;
        hull[k++] = p;
    }
    hull.resize(k - 1);
    return hull;
}

/// Signed distance-like test: > eps strictly inside, < -eps strictly outside (convex, CCW).
int side_of(const std::vector<Point>& polygon, const Point& p, double eps) {
    bool on_edge = false;
    for (std::size_t i = 0; i < polygon.size(); ++i) {
        const Point& a = polygon[i];
        const Point& b = polygon[(i + 1) % polygon.size()];
        const double length = std::hypot(b.x - a.x, b.y - a.y);
        const double distance = cross(a, b, p) / length;
        if (distance < -eps) return -1;
        if (distance <= eps) on_edge = true;
    }
    return on_edge ? 0 : 1;
}

/// Whether a convex polygon's boundary touches the square cell [x0, x1] × [y0, y1]: the cell is
/// neither wholly inside nor wholly outside (separating axes) the polygon.
bool boundary_touches(const std::vector<Point>& polygon, double x0, double y0, double x1, double y1) {
    const std::array<Point, 4> corners = {{{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}}};
    bool all_inside = true;
    for (const Point& c : corners) all_inside = all_inside && side_of(polygon, c, 1e-9) == 1;
    if (all_inside) return false;
    // Separated along x, y or an edge normal of the polygon: wholly outside.
    double px0 = 1e300, px1 = -1e300, py0 = 1e300, py1 = -1e300;
    for (const Point& p : polygon) {
        px0 = std::min(px0, p.x);
        px1 = std::max(px1, p.x);
        py0 = std::min(py0, p.y);
        py1 = std::max(py1, p.y);
    }
    if (px1 < x0 - 1e-9 || px0 > x1 + 1e-9 || py1 < y0 - 1e-9 || py0 > y1 + 1e-9) return false;
    for (std::size_t i = 0; i < polygon.size(); ++i) {
        const Point& a = polygon[i];
        const Point& b = polygon[(i + 1) % polygon.size()];
        bool all_out = true;
        for (const Point& c : corners) all_out = all_out && cross(a, b, c) / std::hypot(b.x - a.x, b.y - a.y) < -1e-9;
        if (all_out) return false;
    }
    return true;
}

HeightModel flat_model(std::int64_t cols, std::int64_t rows, double width, double height) {
    HeightModel model;
    model.cols = cols;
    model.rows = rows;
    model.cell_width_m = width;
    model.cell_height_m = height;
    model.opaque.assign(static_cast<std::size_t>(cols * rows), 0.0F);
    return model;
}

std::string picture(const std::vector<std::uint8_t>& mask, std::int64_t cols, std::int64_t rows) {
    std::ostringstream text;
    for (std::int64_t r = 0; r < rows; ++r) {
        for (std::int64_t c = 0; c < cols; ++c) text << ".:#"[mask[static_cast<std::size_t>(r * cols + c)]];
        text << '\n';
    }
    return text.str();
}

HeightModel random_model(std::mt19937& rng, bool with_canopy) {
    std::uniform_real_distribution<double> unit(0, 1);
    HeightModel model = flat_model(10 + static_cast<std::int64_t>(rng() % 50), 10 + static_cast<std::int64_t>(rng() % 50),
                                   0.4 + 1.6 * unit(rng), 0.4 + 1.6 * unit(rng));
    for (float& h : model.opaque) h = unit(rng) < 0.8 ? 0.0F : static_cast<float>(25 * unit(rng));
    if (with_canopy) {
        model.canopy.resize(model.opaque.size());
        for (float& h : model.canopy) h = unit(rng) < 0.6 ? 0.0F : static_cast<float>(18 * unit(rng));
    }
    return model;
}

}  // namespace

TEST_CASE("a box of height h casts a shadow h / tan(elevation) long, away from the sun", "[shade]") {
    const auto cell = GENERATE(std::pair<double, double>{1.0, 1.0}, std::pair<double, double>{0.8, 1.25});
    const double width = cell.first;
    const double height = cell.second;
    const std::int64_t cols = 150;
    const std::int64_t rows = 120;
    HeightModel model = flat_model(cols, rows, width, height);
    const std::int64_t r1 = 57, r2 = 60, c1 = 72, c2 = 77;  // a 6 × 4-cell box
    const double box_height = 12;
    for (std::int64_t r = r1; r <= r2; ++r)
        for (std::int64_t c = c1; c <= c2; ++c) model.opaque[static_cast<std::size_t>(r * cols + c)] = static_cast<float>(box_height);

    for (const double azimuth : {0.0, 30.0, 45.0, 90.0, 123.4, 180.0, 215.0, 270.0, 301.7, 350.0}) {
        for (const double elevation : {25.0, 45.0, 63.0}) {
            const std::vector<std::uint8_t> mask = cast_shadows(model, {azimuth, elevation});
            const double length = box_height / std::tan(elevation * pi / 180);
            const Point away{-std::sin(azimuth * pi / 180) * length, -std::cos(azimuth * pi / 180) * length};
            // x east from the grid's left edge, y north from its top edge (so y ≤ 0).
            const double bx0 = static_cast<double>(c1) * width, bx1 = static_cast<double>(c2 + 1) * width;
            const double by0 = -static_cast<double>(r2 + 1) * height, by1 = -static_cast<double>(r1) * height;
            std::vector<Point> corners = {{bx0, by0}, {bx1, by0}, {bx1, by1}, {bx0, by1}};
            for (int i = 0; i < 4; ++i) corners.push_back({corners[static_cast<std::size_t>(i)].x + away.x, corners[static_cast<std::size_t>(i)].y + away.y});
            const std::vector<Point> shadow = convex_hull(corners);

            int wrong = 0;
            int edge_cells = 0;
            int shaded = 0;
            double farthest = 0;
            for (std::int64_t r = 0; r < rows; ++r) {
                for (std::int64_t c = 0; c < cols; ++c) {
                    const std::uint8_t got = mask[static_cast<std::size_t>(r * cols + c)];
                    const bool in_box = r >= r1 && r <= r2 && c >= c1 && c <= c2;
                    if (in_box) {
                        wrong += got != 0;  // a roof is not shaded by itself
                        continue;
                    }
                    const double x0 = static_cast<double>(c) * width, x1 = x0 + width;
                    const double y1 = -static_cast<double>(r) * height, y0 = y1 - height;
                    if (got) {
                        ++shaded;
                        const Point centre{0.5 * (x0 + x1), 0.5 * (y0 + y1)};
                        const double along = -(centre.x - 0.5 * (bx0 + bx1)) * std::sin(azimuth * pi / 180) -
                                             (centre.y - 0.5 * (by0 + by1)) * std::cos(azimuth * pi / 180);
                        farthest = std::max(farthest, along);
                    }
                    if (boundary_touches(shadow, x0, y0, x1, y1)) {
                        ++edge_cells;
                        continue;  // the shadow's edge crosses the cell: either answer is right
                    }
                    const bool inside = side_of(shadow, {0.5 * (x0 + x1), 0.5 * (y0 + y1)}, 0) > 0;
                    const std::uint8_t expected = inside ? static_cast<std::uint8_t>(Shadow::opaque) : 0;
                    wrong += got != expected;
                }
            }
            INFO("azimuth " << azimuth << "°, elevation " << elevation << "°, cells " << width << " × " << height
                            << " m: " << wrong << " cells off the analytic shadow (" << edge_cells
                            << " edge cells allowed either way)\n"
                            << picture(mask, cols, rows));
            CHECK(wrong == 0);
            CHECK(shaded > 0);
            // The shadow reaches h / tan(elevation) past the box's far side, to within a cell.
            double box_reach = 0;
            for (std::size_t i = 0; i < 4; ++i)
                box_reach = std::max(box_reach, -(corners[i].x - 0.5 * (bx0 + bx1)) * std::sin(azimuth * pi / 180) -
                                                    (corners[i].y - 0.5 * (by0 + by1)) * std::cos(azimuth * pi / 180));
            CHECK(std::abs(farthest - (box_reach + length)) < std::hypot(width, height));
        }
    }
}

TEST_CASE("flat ground casts no shadow, at any sun position", "[shade]") {
    HeightModel flat = flat_model(40, 30, 1, 1);
    HeightModel plateau = flat;
    std::fill(plateau.opaque.begin(), plateau.opaque.end(), 7.5F);
    HeightModel nodata = flat;
    std::fill(nodata.opaque.begin(), nodata.opaque.end(), std::numeric_limits<float>::quiet_NaN());
    for (const double azimuth : {0.0, 45.0, 100.0, 200.0, 333.0})
        for (const double elevation : {0.5, 10.0, 60.0, 90.0})
            for (const HeightModel* model : {&flat, &plateau, &nodata}) {
                const std::vector<std::uint8_t> mask = cast_shadows(*model, {azimuth, elevation});
                CHECK(std::count(mask.begin(), mask.end(), 0) == static_cast<long>(mask.size()));
            }
}

TEST_CASE("the sun at or below the horizon is refused: such instants are skipped", "[shade]") {
    const HeightModel model = flat_model(5, 5, 1, 1);
    for (const double elevation : {0.0, -0.01, -30.0}) {
        CHECK_THROWS_AS(cast_shadows(model, {180, elevation}), UsageError);
        CHECK_THROWS_AS(cast_shadows_by_ray_march(model, {180, elevation}), UsageError);
    }
}

TEST_CASE("canopy shades by transmission, under itself, and gives way to buildings", "[shade]") {
    HeightModel model = flat_model(21, 21, 1, 1);
    model.canopy.assign(model.opaque.size(), 0.0F);
    const auto at = [&](std::int64_t r, std::int64_t c) { return static_cast<std::size_t>(r * 21 + c); };
    model.canopy[at(10, 10)] = 5;  // a tree, sun due south at 45°: shadow 5 m northward
    const std::vector<std::uint8_t> mask = cast_shadows(model, {180, 45});
    INFO(picture(mask, 21, 21));
    CHECK(mask[at(10, 10)] == static_cast<std::uint8_t>(Shadow::canopy));  // under its own crown
    for (int r = 6; r <= 9; ++r) CHECK(mask[at(r, 10)] == static_cast<std::uint8_t>(Shadow::canopy));
    CHECK(mask[at(4, 10)] == 0);
    CHECK(mask[at(11, 10)] == 0);

    model.opaque[at(12, 10)] = 20;  // a tower south of the tree shades it and beyond
    const std::vector<std::uint8_t> both = cast_shadows(model, {180, 45});
    INFO(picture(both, 21, 21));
    CHECK(both[at(10, 10)] == static_cast<std::uint8_t>(Shadow::opaque));
    CHECK(both[at(8, 10)] == static_cast<std::uint8_t>(Shadow::opaque));
    CHECK(both[at(12, 10)] == 0);  // the tower's roof is in the sun
    CHECK(both == cast_shadows_by_ray_march(model, {180, 45}));
}

TEST_CASE("a lower roof lies in a taller building's shadow, the taller roof does not", "[shade]") {
    HeightModel model = flat_model(30, 5, 1, 1);
    for (int c = 10; c < 14; ++c) model.opaque[static_cast<std::size_t>(2 * 30 + c)] = 20;  // tower
    for (int c = 4; c < 8; ++c) model.opaque[static_cast<std::size_t>(2 * 30 + c)] = 10;    // lower block west of it
    const std::vector<std::uint8_t> mask = cast_shadows(model, {90, 45});  // sun in the east
    INFO(picture(mask, 30, 5));
    for (int c = 4; c < 8; ++c) CHECK(mask[static_cast<std::size_t>(2 * 30 + c)] == 2);  // 10 m below, within 6–9 m
    for (int c = 10; c < 14; ++c) CHECK(mask[static_cast<std::size_t>(2 * 30 + c)] == 0);
}

TEST_CASE("tile size and thread count do not change a single cell", "[shade]") {
    const int threads = GENERATE(1, 2, 4);
    std::mt19937 rng(20240715);
    for (int trial = 0; trial < 12; ++trial) {
        const HeightModel model = random_model(rng, trial % 2 == 0);
        std::uniform_real_distribution<double> unit(0, 1);
        const SunDirection sun{360 * unit(rng), 3 + 70 * unit(rng)};
        const std::vector<std::uint8_t> whole = cast_shadows(model, sun, {100000, 1});
        for (const std::int64_t tile : {1, 3, 7, 16, 33}) {
            INFO("trial " << trial << ", tile " << tile << ", threads " << threads << ", sun " << sun.azimuth_deg
                          << "° / " << sun.elevation_deg << "°");
            CHECK(cast_shadows(model, sun, {tile, threads}) == whole);
        }
    }
}

TEST_CASE("the sweep equals the ray-march reference cell for cell on random heights", "[shade]") {
    std::mt19937 rng(17);
    std::uniform_real_distribution<double> unit(0, 1);
    int compared = 0;
    for (int trial = 0; trial < 150; ++trial) {
        const HeightModel model = random_model(rng, trial % 3 != 0);
        SunDirection sun{360 * unit(rng), 1 + 85 * unit(rng)};
        if (trial % 10 == 0) sun.azimuth_deg = 45.0 * static_cast<double>(rng() % 8);  // along axes and diagonals
        const std::vector<std::uint8_t> sweep = cast_shadows(model, sun, {1 + static_cast<std::int64_t>(rng() % 20), 2});
        const std::vector<std::uint8_t> march = cast_shadows_by_ray_march(model, sun);
        std::size_t differing = 0;
        for (std::size_t i = 0; i < sweep.size(); ++i) differing += sweep[i] != march[i];
        INFO("trial " << trial << ": " << model.cols << " × " << model.rows << " cells of " << model.cell_width_m
                      << " × " << model.cell_height_m << " m, sun " << sun.azimuth_deg << "° / " << sun.elevation_deg
                      << "°\nsweep\n" << picture(sweep, model.cols, model.rows) << "ray march\n"
                      << picture(march, model.cols, model.rows));
        CHECK(differing == 0);
        compared += static_cast<int>(sweep.size());
    }
    CHECK(compared > 100000);
}

TEST_CASE("height layers of the wrong size are input errors", "[shade]") {
    HeightModel model = flat_model(4, 4, 1, 1);
    model.canopy.assign(3, 1.0F);
    CHECK_THROWS_AS(cast_shadows(model, {180, 30}), InputError);
}
