// Exact coverage fractions against analytic areas, polygon clipping and supersampling.
// SPDX-License-Identifier: MIT
#include "shadegap/coverage.hpp"
#include "shadegap/error.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <iomanip>
#include <random>
#include <sstream>
#include <string>
#include <vector>

using namespace shadegap;

namespace {

constexpr double pi = 3.14159265358979323846;

/// A row-major matrix of expected fractions over a window.
using Matrix = std::vector<std::vector<double>>;

std::string dump(const Window& window, const std::vector<double>& expected, const std::vector<double>& actual) {
    std::ostringstream out;
    out << std::setprecision(15) << "cell (row, col): expected | actual | difference\n";
    for (std::int64_t r = 0; r < window.rows; ++r) {
        for (std::int64_t c = 0; c < window.cols; ++c) {
            const auto i = static_cast<std::size_t>(r * window.cols + c);
            const double difference = actual[i] - expected[i];
            out << "  (" << window.row0 + r << ", " << window.col0 + c << "): " << expected[i] << " | "
                << actual[i] << " | " << difference << (std::abs(difference) > 1e-12 ? "  <--" : "") << "\n";
        }
    }
    return out.str();
}

/// Requires every cell within `tolerance[i]` of `expected[i]`, printing both on failure.
void require_close(const CoverageMatrix& actual, const std::vector<double>& expected,
                   const std::vector<double>& tolerance) {
    REQUIRE(actual.fractions.size() == expected.size());
    bool ok = true;
    for (std::size_t i = 0; i < expected.size(); ++i) {
        if (!(std::abs(actual.fractions[i] - expected[i]) <= tolerance[i])) ok = false;
    }
    INFO(dump(actual.window, expected, actual.fractions));
    CHECK(ok);
}

void require_close(const CoverageMatrix& actual, const std::vector<double>& expected, double tolerance) {
    require_close(actual, expected, std::vector<double>(expected.size(), tolerance));
}

void require_close(const CoverageMatrix& actual, const Matrix& expected, double tolerance) {
    std::vector<double> flat;
    for (const auto& row : expected) flat.insert(flat.end(), row.begin(), row.end());
    require_close(actual, flat, tolerance);
}

Ring rectangle(double x0, double y0, double x1, double y1) { return {{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}, {x0, y0}}; }

Ring reversed(Ring ring) {
    std::reverse(ring.begin(), ring.end());
    return ring;
}

Ring regular_polygon(double cx, double cy, double radius, int sides, double rotation) {
    Ring ring;
    for (int i = 0; i < sides; ++i) {
        const double angle = rotation + 2 * pi * i / sides;
        ring.push_back({cx + radius * std::cos(angle), cy + radius * std::sin(angle)});
    }
    return ring;
}

/// Twice the signed area of a ring (positive counter-clockwise), relative to its first
/// vertex so coordinates far from 0 stay precise.
double twice_signed(const Ring& ring) {
    if (ring.empty()) return 0;
    const Point o = ring.front();
    double twice = 0;
    for (std::size_t i = 0; i < ring.size(); ++i) {
        const Point& a = ring[i];
        const Point& b = ring[(i + 1) % ring.size()];
        twice += (a.x - o.x) * (b.y - o.y) - (b.x - o.x) * (a.y - o.y);
    }
    return twice;
}

/// Area of a ring.
double shoelace(const Ring& ring) { return std::abs(twice_signed(ring)) / 2; }

/// Sutherland–Hodgman: the ring clipped to an axis-aligned box (a convex clip region,
/// so the area of the result is the area of the intersection even for concave rings).
Ring clip_to_box(const Ring& ring, double x0, double y0, double x1, double y1) {
    Ring output = ring;
    const auto clip = [&output](auto inside, auto intersect) {
        Ring input;
        input.swap(output);
        for (std::size_t i = 0; i < input.size(); ++i) {
            const Point& current = input[i];
            const Point& previous = input[(i + input.size() - 1) % input.size()];
            if (inside(current)) {
                if (!inside(previous)) output.push_back(intersect(previous, current));
                output.push_back(current);
            } else if (inside(previous)) {
                output.push_back(intersect(previous, current));
            }
        }
    };
    const auto at_x = [](double x) {
        return [x](const Point& a, const Point& b) { return Point{x, a.y + (x - a.x) * (b.y - a.y) / (b.x - a.x)}; };
    };
    const auto at_y = [](double y) {
        return [y](const Point& a, const Point& b) { return Point{a.x + (y - a.y) * (b.x - a.x) / (b.y - a.y), y}; };
    };
    clip([x0](const Point& p) { return p.x >= x0; }, at_x(x0));
    clip([x1](const Point& p) { return p.x <= x1; }, at_x(x1));
    clip([y0](const Point& p) { return p.y >= y0; }, at_y(y0));
    clip([y1](const Point& p) { return p.y <= y1; }, at_y(y1));
    return output;
}

/// The second algorithm: every cell's fraction from clipping each ring to the cell.
std::vector<double> clipping_oracle(const Grid& grid, const Window& window, const MultiPolygon& polygon) {
    std::vector<double> fractions;
    for (std::int64_t r = window.row0; r < window.row0 + window.rows; ++r) {
        for (std::int64_t c = window.col0; c < window.col0 + window.cols; ++c) {
            const double x0 = grid.x_min + static_cast<double>(c) * grid.cell_width;
            const double y1 = grid.y_max - static_cast<double>(r) * grid.cell_height;
            const double x1 = x0 + grid.cell_width, y0 = y1 - grid.cell_height;
            double area = 0;
            for (const Polygon& part : polygon) {
                area += shoelace(clip_to_box(part.shell, x0, y0, x1, y1));
                for (const Ring& hole : part.holes) area -= shoelace(clip_to_box(hole, x0, y0, x1, y1));
            }
            fractions.push_back(area / (grid.cell_width * grid.cell_height));
        }
    }
    return fractions;
}

bool inside_even_odd(const MultiPolygon& polygon, double x, double y) {
    bool inside = false;
    const auto visit = [&](const Ring& ring) {
        for (std::size_t i = 0; i < ring.size(); ++i) {
            const Point& a = ring[i];
            const Point& b = ring[(i + 1) % ring.size()];
            if ((a.y > y) != (b.y > y) && x < a.x + (y - a.y) * (b.x - a.x) / (b.y - a.y)) inside = !inside;
        }
    };
    for (const Polygon& part : polygon) {
        visit(part.shell);
        for (const Ring& hole : part.holes) visit(hole);
    }
    return inside;
}

/// Whether the segment a–b meets the closed box (Liang–Barsky).
bool segment_meets_box(const Point& a, const Point& b, double x0, double y0, double x1, double y1) {
    double t0 = 0, t1 = 1;
    const double dx = b.x - a.x, dy = b.y - a.y;
    const double p[4] = {-dx, dx, -dy, dy};
    const double q[4] = {a.x - x0, x1 - a.x, a.y - y0, y1 - a.y};
    for (int i = 0; i < 4; ++i) {
        if (p[i] == 0) {
            if (q[i] < 0) return false;
        } else {
            const double t = q[i] / p[i];
            if (p[i] < 0) t0 = std::max(t0, t);
            else t1 = std::min(t1, t);
        }
    }
    return t0 <= t1;
}

int edges_meeting_cell(const MultiPolygon& polygon, double x0, double y0, double x1, double y1) {
    int count = 0;
    const auto visit = [&](const Ring& ring) {
        for (std::size_t i = 0; i < ring.size(); ++i) {
            if (segment_meets_box(ring[i], ring[(i + 1) % ring.size()], x0, y0, x1, y1)) ++count;
        }
    };
    for (const Polygon& part : polygon) {
        visit(part.shell);
        for (const Ring& hole : part.holes) visit(hole);
    }
    return count;
}

/// A random star-shaped polygon around (cx, cy), sometimes with a hole, either orientation.
/// One vertex per equal sector, jittered within the first half of it, keeps every angular
/// gap below π, so the centre sees the whole boundary and the ring is simple.
Polygon random_star(std::mt19937_64& rng, double cx, double cy, double max_radius) {
    std::uniform_int_distribution<int> vertex_count(3, 24);
    std::uniform_real_distribution<double> unit(0.0, 1.0);
    const int n = vertex_count(rng);
    const double phase = 2 * pi * unit(rng);
    std::vector<double> angles(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i) angles[static_cast<std::size_t>(i)] = phase + (i + 0.5 * unit(rng)) * 2 * pi / n;
    Polygon polygon;
    double min_radius = max_radius;
    double max_gap = 2 * pi - (angles.back() - angles.front());
    for (std::size_t i = 0; i < angles.size(); ++i) {
        const double radius = max_radius * (0.05 + 0.95 * unit(rng));
        min_radius = std::min(min_radius, radius);
        if (i > 0) max_gap = std::max(max_gap, angles[i] - angles[i - 1]);
        polygon.shell.push_back({cx + radius * std::cos(angles[i]), cy + radius * std::sin(angles[i])});
    }
    if (unit(rng) < 0.5) polygon.shell = reversed(polygon.shell);
    // Every edge of the shell stays at least min_radius·cos(max_gap / 2) from the centre.
    if (max_gap < 0.9 * pi && unit(rng) < 0.4) {
        const double hole_radius = 0.8 * min_radius * std::cos(max_gap / 2);
        polygon.holes.push_back(regular_polygon(cx, cy, hole_radius, 3 + static_cast<int>(unit(rng) * 6), unit(rng)));
        if (unit(rng) < 0.5) polygon.holes.back() = reversed(polygon.holes.back());
    }
    return polygon;
}

double total_covered_area(const Grid& grid, const CoverageMatrix& coverage) {
    double sum = 0;
    for (double f : coverage.fractions) sum += f;
    return sum * grid.cell_width * grid.cell_height;
}

}  // namespace

TEST_CASE("a square from 0.5 to 2.5 on a 3x3 grid covers 1/4, 1/2 and 1", "[coverage]") {
    const Grid grid{0, 3, 1, 1, 3, 3};
    const MultiPolygon square{{rectangle(0.5, 0.5, 2.5, 2.5), {}}};
    const auto coverage = compute_coverage(grid, grid.full_window(), square);
    require_close(coverage, Matrix{{0.25, 0.5, 0.25}, {0.5, 1, 0.5}, {0.25, 0.5, 0.25}}, 1e-12);
}

TEST_CASE("axis-aligned rectangles cover the product of the overlaps", "[coverage]") {
    // Non-square cells away from the origin; expected fractions from interval overlaps.
    const Grid grid{1000, 5000, 2, 3, 5, 4};
    const auto overlap = [](double a0, double a1, double b0, double b1) {
        return std::max(0.0, std::min(a1, b1) - std::max(a0, b0));
    };
    const std::vector<Box> boxes{{1000.3, 4990.2, 1007.9, 4999.1},
                                 {1002, 4991, 1006, 4997},  // every edge on a cell line
                                 {1001.25, 4993.5, 1001.75, 4994.5},
                                 {995, 4985, 1020, 5010}};
    for (const Box& b : boxes) {
        const MultiPolygon polygon{{rectangle(b.x_min, b.y_min, b.x_max, b.y_max), {}}};
        std::vector<double> expected;
        for (std::int64_t r = 0; r < grid.rows; ++r) {
            for (std::int64_t c = 0; c < grid.cols; ++c) {
                const double x0 = grid.x_min + 2.0 * static_cast<double>(c);
                const double y1 = grid.y_max - 3.0 * static_cast<double>(r);
                expected.push_back(overlap(x0, x0 + 2, b.x_min, b.x_max) * overlap(y1 - 3, y1, b.y_min, b.y_max) / 6);
            }
        }
        INFO("rectangle " << b.x_min << " " << b.y_min << " " << b.x_max << " " << b.y_max);
        require_close(compute_coverage(grid, grid.full_window(), polygon), expected, 1e-12);
    }
}

TEST_CASE("edges on cell lines give exact zeros and ones", "[coverage]") {
    const Grid grid{0, 3, 1, 1, 4, 3};
    const MultiPolygon polygon{{rectangle(1, 0, 3, 2), {}}};
    const auto coverage = compute_coverage(grid, grid.full_window(), polygon);
    require_close(coverage, Matrix{{0, 0, 0, 0}, {0, 1, 1, 0}, {0, 1, 1, 0}}, 0.0);
}

TEST_CASE("rotated squares match their analytic area and polygon clipping", "[coverage]") {
    const double angle_degrees = GENERATE(45.0, 17.3, 73.9);
    const Grid grid{-2, 8, 1.5, 1, 8, 10};
    const double side = 5;
    const MultiPolygon square{{regular_polygon(4, 3, side / std::sqrt(2.0), 4, angle_degrees * pi / 180), {}}};
    const auto coverage = compute_coverage(grid, grid.full_window(), square);
    INFO("rotation " << angle_degrees << " degrees");
    CHECK(total_covered_area(grid, coverage) == Approx(side * side).epsilon(1e-13));
    require_close(coverage, clipping_oracle(grid, grid.full_window(), square), 1e-12);
}

TEST_CASE("a triangle halves the cells on its hypotenuse", "[coverage]") {
    const Grid grid{0, 3, 1, 1, 3, 3};
    const MultiPolygon triangle{{{{0, 0}, {3, 0}, {0, 3}}, {}}};  // x + y <= 3
    const auto coverage = compute_coverage(grid, grid.full_window(), triangle);
    require_close(coverage, Matrix{{0.5, 0, 0}, {1, 0.5, 0}, {1, 1, 0.5}}, 1e-12);

    const MultiPolygon skew{{{{0.2, 0.1}, {2.9, 1.3}, {1.1, 2.8}}, {}}};
    const auto skew_coverage = compute_coverage(grid, grid.full_window(), skew);
    const double area = 0.5 * std::abs((2.9 - 0.2) * (2.8 - 0.1) - (1.1 - 0.2) * (1.3 - 0.1));
    CHECK(total_covered_area(grid, skew_coverage) == Approx(area).epsilon(1e-13));
    require_close(skew_coverage, clipping_oracle(grid, grid.full_window(), skew), 1e-12);
}

TEST_CASE("a polygon inside one cell covers its area over the cell's area", "[coverage]") {
    const Grid grid{100, 200, 10, 10, 3, 2};
    const MultiPolygon small{{{{113, 191}, {117, 192}, {114, 196.5}}, {}}};
    const double area = 0.5 * std::abs(4 * 5.5 - 1 * 1);
    std::vector<double> expected(6, 0.0);
    expected[1] = area / 100;  // row 0 (y 190–200), column 1 (x 110–120)
    require_close(compute_coverage(grid, grid.full_window(), small), expected, 1e-14);
}

TEST_CASE("holes subtract whatever the orientation of shell and hole", "[coverage]") {
    const Grid grid{0, 4, 1, 1, 4, 4};
    const Ring shell = rectangle(0, 0, 4, 4);
    const Ring hole = rectangle(1.5, 1.5, 2.5, 2.5);
    const Matrix expected{{1, 1, 1, 1}, {1, 0.75, 0.75, 1}, {1, 0.75, 0.75, 1}, {1, 1, 1, 1}};
    for (const bool reverse_shell : {false, true}) {
        for (const bool reverse_hole : {false, true}) {
            const MultiPolygon polygon{
                {reverse_shell ? reversed(shell) : shell, {reverse_hole ? reversed(hole) : hole}}};
            INFO("shell reversed " << reverse_shell << ", hole reversed " << reverse_hole);
            require_close(compute_coverage(grid, grid.full_window(), polygon), expected, 1e-12);
        }
    }
}

TEST_CASE("a multipolygon covers the sum of its parts", "[coverage]") {
    const Grid grid{0, 3, 1, 1, 4, 3};
    const MultiPolygon parts{{rectangle(0.5, 2, 1, 3), {}}, {reversed(rectangle(2.25, 0, 3.75, 1.5)), {}}};
    const Matrix expected{{0.5, 0, 0, 0}, {0, 0, 0.375, 0.375}, {0, 0, 0.75, 0.75}};
    require_close(compute_coverage(grid, grid.full_window(), parts), expected, 1e-12);
}

TEST_CASE("only the part inside the window counts", "[coverage]") {
    const Grid grid{0, 4, 1, 1, 4, 4};
    SECTION("a polygon reaching beyond the grid") {
        const MultiPolygon polygon{{rectangle(-1.5, 2.5, 1.5, 5.5), {}}};
        const Matrix expected{{1, 0.5, 0, 0}, {0.5, 0.25, 0, 0}, {0, 0, 0, 0}, {0, 0, 0, 0}};
        require_close(compute_coverage(grid, grid.full_window(), polygon), expected, 1e-12);
    }
    SECTION("a sub-window sees the same cells as the full window") {
        const MultiPolygon polygon{{{{-3, 0.3}, {3.4, -2}, {5.5, 3.7}, {1.2, 6}}, {}}};
        const auto full = compute_coverage(grid, grid.full_window(), polygon);
        const Window window{1, 2, 2, 2};
        std::vector<double> expected;
        for (std::int64_t r = 1; r < 3; ++r) {
            for (std::int64_t c = 2; c < 4; ++c) expected.push_back(full.at(r, c));
        }
        const auto part = compute_coverage(grid, window, polygon);
        require_close(part, expected, 1e-12);
        require_close(part, clipping_oracle(grid, window, polygon), 1e-12);
        CHECK(part.at(2, 3) == Approx(full.at(2, 3)).margin(1e-12));
    }
    SECTION("far-away vertices are clamped to the window's sides") {
        const MultiPolygon wide{{rectangle(-1e12, 1.5, 1.5, 2.5), {}}, {rectangle(2.5, 0.5, 1e15, 1), {}}};
        const Matrix expected{{0, 0, 0, 0}, {0.5, 0.25, 0, 0}, {0.5, 0.25, 0, 0}, {0, 0, 0.25, 0.5}};
        require_close(compute_coverage(grid, grid.full_window(), wide), expected, 1e-12);
    }
}

TEST_CASE("an unclosed ring covers what the closed ring covers", "[coverage]") {
    const Grid grid{0, 3, 1, 1, 3, 3};
    const Ring closed{{0.2, 0.4}, {2.7, 0.9}, {1.6, 2.9}, {0.2, 0.4}};
    const Ring open(closed.begin(), closed.end() - 1);
    const auto a = compute_coverage(grid, grid.full_window(), {{closed, {}}});
    const auto b = compute_coverage(grid, grid.full_window(), {{open, {}}});
    require_close(b, a.fractions, 0.0);
    require_close(b, clipping_oracle(grid, grid.full_window(), {{closed, {}}}), 1e-12);
}

TEST_CASE("degenerate rings cover nothing", "[coverage]") {
    const Grid grid{0, 3, 1, 1, 3, 3};
    const std::vector<double> zeros(9, 0.0);
    require_close(compute_coverage(grid, grid.full_window(), {{{{1, 1}, {2, 2}}, {}}}), zeros, 0.0);
    require_close(compute_coverage(grid, grid.full_window(), {{{{1, 1}, {2, 2}, {1, 1}, {2, 2}}, {}}}), zeros, 0.0);
    require_close(compute_coverage(grid, grid.full_window(), {{{}, {}}}), zeros, 0.0);
    require_close(compute_coverage(grid, grid.full_window(), {}), zeros, 0.0);
    CHECK(compute_coverage(grid, Window{}, {{rectangle(0, 0, 3, 3), {}}}).fractions.empty());
}

TEST_CASE("huge coordinates keep their precision", "[coverage]") {
    // The same shape on a 0.5 m grid in UTM-like coordinates and at the origin.
    const double x0 = 712345.0, y0 = 4567890.0;
    const Grid far{x0, y0, 0.5, 0.5, 6, 6};
    const Grid near{0, 0, 0.5, 0.5, 6, 6};
    const Ring shape{{0.13, -2.71}, {2.9, -0.2}, {1.7, -0.05}, {0.3, -0.9}};
    Ring moved;
    for (const Point& p : shape) moved.push_back({p.x + x0, p.y + y0});
    const auto at_origin = compute_coverage(near, near.full_window(), {{shape, {}}});
    const auto far_away = compute_coverage(far, far.full_window(), {{moved, {}}});
    // Vertices far away carry about 1e-10 m of rounding: 2e-10 of a 0.5 m cell side.
    require_close(far_away, at_origin.fractions, 1e-9);
    require_close(at_origin, clipping_oracle(near, near.full_window(), {{shape, {}}}), 1e-12);
}

TEST_CASE("a non-finite vertex is a geometry error", "[coverage]") {
    const Grid grid{0, 3, 1, 1, 3, 3};
    const MultiPolygon polygon{{{{0, 0}, {std::nan(""), 1}, {1, 2}}, {}}};
    CHECK_THROWS_AS(compute_coverage(grid, grid.full_window(), polygon), GeometryError);
}

TEST_CASE("random star polygons match clipping and supersampling", "[coverage]") {
    // Non-square cells away from the origin; centres up to two cells beyond the grid so
    // that some polygons are cut by its sides.
    const Grid grid{-350.0, 1200.0, 2.5, 1.5, 10, 8};
    std::mt19937_64 rng(20240607);
    std::uniform_real_distribution<double> centre_x(grid.x_min - 5, grid.x_max() + 5);
    std::uniform_real_distribution<double> centre_y(grid.y_min() - 3, grid.y_max + 3);
    std::uniform_real_distribution<double> radius(1.0, 12.0);
    constexpr int samples = 64;
    int polygons_checked = 0;
    double largest_supersampling_error = 0;
    for (int i = 0; i < 220; ++i) {
        MultiPolygon polygon{random_star(rng, centre_x(rng), centre_y(rng), radius(rng))};
        if (i % 10 == 0) {
            // A second part, kept only when its box is disjoint (parts must not overlap).
            polygon.push_back(random_star(rng, centre_x(rng), centre_y(rng), 2.0));
            const Box a = bounding_box({polygon[0]}), b = bounding_box({polygon[1]});
            if (!(a.x_max < b.x_min || b.x_max < a.x_min || a.y_max < b.y_min || b.y_max < a.y_min)) polygon.pop_back();
        }
        const auto coverage = compute_coverage(grid, grid.full_window(), polygon);
        INFO("polygon " << i);

        require_close(coverage, clipping_oracle(grid, grid.full_window(), polygon), 1e-12);

        // Supersampling with n × n cell-centred points. Along one sample row, an edge that
        // crosses the cell moves the boundary by at most half a sample spacing (1/2n of the
        // cell); between sample rows the covered length is linear in y except where a vertex
        // sits or an edge enters or leaves the cell (at most two such places per edge), and
        // each costs the midpoint rule at most one band, 1/n of the cell. So a cell met by k
        // edges is within 2.5·k/n, and a cell met by none is exactly 0 or 1.
        std::vector<double> sampled;
        std::vector<double> tolerance;
        for (std::int64_t r = 0; r < grid.rows; ++r) {
            for (std::int64_t c = 0; c < grid.cols; ++c) {
                const double x0 = grid.x_min + static_cast<double>(c) * grid.cell_width;
                const double y1 = grid.y_max - static_cast<double>(r) * grid.cell_height;
                const int k = edges_meeting_cell(polygon, x0, y1 - grid.cell_height, x0 + grid.cell_width, y1);
                tolerance.push_back(2.5 * k / samples + 1e-12);
                const int n = k == 0 ? 1 : samples;
                int hits = 0;
                for (int sy = 0; sy < n; ++sy) {
                    for (int sx = 0; sx < n; ++sx) {
                        const double x = x0 + (sx + 0.5) / n * grid.cell_width;
                        const double y = y1 - (sy + 0.5) / n * grid.cell_height;
                        if (inside_even_odd(polygon, x, y)) ++hits;
                    }
                }
                sampled.push_back(static_cast<double>(hits) / (n * n));
                const std::size_t last = sampled.size() - 1;
                largest_supersampling_error =
                    std::max(largest_supersampling_error, std::abs(sampled[last] - coverage.fractions[last]));
            }
        }
        require_close(coverage, sampled, tolerance);
        ++polygons_checked;
    }
    CHECK(polygons_checked == 220);
    // The bound above is loose; in practice supersampling agrees to within one sample.
    INFO("largest supersampling difference " << largest_supersampling_error);
    CHECK(largest_supersampling_error < 1.0 / samples);
}

TEST_CASE("a vertical edge on a column line and a slanted edge in the same cell", "[coverage]") {
    // Row 1 (y 1–2), column 1 (x 1–2): the edge x = 1 runs from y 1 to 1.8, then the
    // slanted edge leaves the cell through its top at x = 1 + 0.2 / 0.7. Inside the cell,
    // the polygon is all of it but the triangle left of the slanted edge above y = 1.8.
    const Grid grid{0, 3, 1, 1, 4, 3};
    const MultiPolygon polygon{{{{1, 0.5}, {3, 0.5}, {3, 2.5}, {2, 2.5}, {1, 1.8}}, {}}};
    const auto coverage = compute_coverage(grid, grid.full_window(), polygon);
    CHECK(coverage.at(1, 1) == Approx(1 - 0.5 * 0.2 * (0.2 / 0.7)).epsilon(1e-14));
    require_close(coverage, clipping_oracle(grid, grid.full_window(), polygon), 1e-12);
}

TEST_CASE("random polygons with vertices on a quarter-cell lattice match clipping", "[coverage]") {
    // Edges on column and row lines, vertices on cell corners, horizontal edges inside a
    // row and vertical ones on a column line next to slanted edges in the same cell: the
    // cases where pieces of several edges meet in one cell.
    const Grid grid{0, 12, 1, 1, 12, 12};
    std::mt19937_64 rng(99);
    std::uniform_real_distribution<double> unit(0.0, 1.0);
    const auto on_lattice = [](double x) { return std::round(x * 4) / 4; };
    int checked = 0;
    for (int attempt = 0; checked < 300; ++attempt) {
        REQUIRE(attempt < 3000);
        const double cx = on_lattice(2 + 8 * unit(rng)), cy = on_lattice(2 + 8 * unit(rng));
        Polygon star = random_star(rng, cx, cy, 1.5 + 5 * unit(rng));
        star.holes.clear();
        // Snapped, the ring must stay star-shaped around the centre (angles strictly
        // increasing, each gap below π) to stay simple; otherwise it is drawn again.
        Ring ring;
        for (const Point& p : star.shell) {
            const Point q{on_lattice(p.x), on_lattice(p.y)};
            if (ring.empty() || q.x != ring.back().x || q.y != ring.back().y) ring.push_back(q);
        }
        if (ring.size() > 1 && ring.front().x == ring.back().x && ring.front().y == ring.back().y) ring.pop_back();
        if (ring.size() < 3) continue;
        const double turn = twice_signed(ring) > 0 ? 1.0 : -1.0;
        bool simple = true;
        for (std::size_t i = 0; i < ring.size() && simple; ++i) {
            const Point& a = ring[i];
            const Point& b = ring[(i + 1) % ring.size()];
            const double cross = (a.x - cx) * (b.y - cy) - (a.y - cy) * (b.x - cx);
            simple = cross * turn > 0;
        }
        if (!simple) continue;
        const MultiPolygon polygon{{ring, {}}};
        INFO("polygon " << checked);
        require_close(compute_coverage(grid, grid.full_window(), polygon),
                      clipping_oracle(grid, grid.full_window(), polygon), 1e-12);
        ++checked;
    }
}

TEST_CASE("long edges of any slope (nearly flat and nearly upright too) match clipping", "[coverage]") {
    // An edge is walked cell by cell, with where it meets each column line worked out from
    // its top: over a few hundred cells, those crossings must still land in the right
    // cells. Quadrilaterals across a 300-cell grid, with edges of random slope, of slopes
    // a hair off the axes (1e-3 to 1e-12 cells per cell), and through cell corners.
    const Grid grid{0, 300, 1, 1, 300, 300};
    std::mt19937_64 rng(4242);
    std::uniform_real_distribution<double> coordinate(5.0, 295.0);
    std::uniform_int_distribution<int> exponent(3, 12);
    for (int i = 0; i < 24; ++i) {
        Ring ring;
        if (i % 3 == 0) {
            ring = {{coordinate(rng), coordinate(rng)}, {coordinate(rng), coordinate(rng)},
                    {coordinate(rng), coordinate(rng)}};
        } else {
            // A long thin quadrilateral whose long sides are off an axis by a hair.
            const double hair = std::pow(10.0, -exponent(rng));
            const double a = 10 + std::floor(coordinate(rng) / 3), b = a + 150 + (i % 2 == 0 ? 0.5 : 0.0);
            const double w = 2.0 + 0.25 * i;
            ring = i % 2 == 0 ? Ring{{a, 40}, {b, 40 + hair * (b - a)}, {b, 40 + w}, {a, 40 + w + hair * 3}}
                              : Ring{{40, a}, {40 + w, a + hair * 7}, {40 + w + hair * (b - a), b}, {40, b}};
        }
        if (i % 4 == 1) ring = {{20, 20}, {220, 220}, {200, 260}, {20, 40}};  // through cell corners
        const MultiPolygon polygon{{ring, {}}};
        INFO("polygon " << i);
        const Box box = bounding_box(polygon);
        const Window window = grid.window_of(box.x_min, box.y_min, box.x_max, box.y_max);
        const CoverageMatrix coverage = compute_coverage(grid, window, polygon);
        require_close(coverage, clipping_oracle(grid, window, polygon), 1e-12);
        CHECK(total_covered_area(grid, coverage) == Approx(planar_area(polygon)).epsilon(1e-12));
    }
}

TEST_CASE("random polygons inside the grid cover exactly their area", "[coverage]") {
    const Grid grid{10, 90, 1, 1, 80, 80};
    std::mt19937_64 rng(7);
    std::uniform_real_distribution<double> centre(35, 65);
    double worst = 0;
    for (int i = 0; i < 200; ++i) {
        const MultiPolygon polygon{random_star(rng, centre(rng), centre(rng), 20.0)};
        const double expected = planar_area(polygon);
        const Box box = bounding_box(polygon);
        const Window window = grid.window_of(box.x_min, box.y_min, box.x_max, box.y_max);
        const double actual = total_covered_area(grid, compute_coverage(grid, window, polygon));
        worst = std::max(worst, std::abs(actual - expected) / expected);
        INFO("polygon " << i << ": expected area " << expected << ", covered " << actual);
        REQUIRE(actual == Approx(expected).epsilon(1e-12));
    }
    INFO("worst relative difference " << worst);
    CHECK(worst < 1e-12);
}

// Found by fuzz/fuzz_coverage: a finite vertex (1e308, −1e308) on a grid of 1e-9 cells is
// an infinite cell coordinate; the edges then gave NaN and a NaN cast to an integer
// (undefined behaviour). Such a vertex is a GeometryError now; one 10^15 cells away
// still covers the window exactly.
TEST_CASE("a vertex too far from the grid is a GeometryError, not NaN", "[coverage]") {
    const Grid tiny{0, 0, 1e-9, 1e-9, 2, 4};
    const MultiPolygon far{{{{2.7e-312, -2.75e42}, {1e308, -1e308}, {0, 0}}, {}}};
    REQUIRE_THROWS_AS(compute_coverage(tiny, Window{0, -1, 4, 4}, far), GeometryError);

    const Grid unit{0, 2, 1, 1, 2, 2};
    const MultiPolygon huge{{{{-1e15, -1e15}, {1e15, -1e15}, {1e15, 1e15}, {-1e15, 1e15}}, {}}};
    const CoverageMatrix coverage = compute_coverage(unit, unit.full_window(), huge);
    CHECK(coverage.fractions == std::vector<double>(4, 1.0));
}
