// Fuzz target: compute_coverage on rings decoded from the input, against two oracles.
// SPDX-License-Identifier: MIT
//
// Input layout (bytes; missing bytes read as 0):
//   0      mode: bits 0-1 = 3 gives raw doubles, else lattice vertices; bits 2-4 pick the
//          vertex multiplier of lattice mode (1, 1, 1, 1, 1/64, 1000, 1e9, 2^40)
//   1, 2   grid columns and rows, 1 + b % 8
//   3      grid placement and cell size (kScales: unit, UTM-like, tiny, huge, 2^40 away, ...)
//   4-7    window: row0, col0 in [-1, grid size - 1], rows, cols in [1, grid size + 2]
//   8      ring count, 1 + b % 4
//   then per ring: a byte (bit 0: starts a new part, else a hole of the current part;
//          the first ring is always a shell; bits 1-7: vertex count 3 + b % 12), then the
//          vertices: lattice mode two signed bytes (u, v) = (4 + s/16, 4 + s/16) cells ×
//          multiplier; raw mode two 8-byte doubles (x, y) in CRS units, any bits.
//
// Every input checks that the result has one fraction per window cell, each finite and
// in [0, 1], and that GeometryError comes only for a vertex that is not finite or lies
// more than 2^52 cells from the grid's origin. Lattice inputs whose polygon is valid (simple rings, no two rings touching,
// holes inside their shell, parts disjoint; decided exactly in integers) are compared to
//   - the exact area: Sutherland–Hodgman clipping of every ring to each cell and to the
//     window gives area(P ∩ cell) and area(P ∩ window); these must match the fractions and
//     their sum up to rounding (kExactTolerance plus the coordinates' own rounding);
//   - supersampling: n × n points per cell (n = kSamples), inside by the even-odd rule.
//     The estimate differs from the exact fraction only in the sub-squares (side 1/n) that
//     the boundary meets; a boundary piece of length L in the cell meets at most
//     4(√2·L·n + 2) of them, each off by at most 1/n², so per cell
//     |f − estimate| ≤ Σ_pieces (4√2·L/n + 8/n²), the tolerance used.
// Invalid polygons (self-intersecting, overlapping parts) and raw inputs check only the
// invariants: there coverage is defined by signed areas the loader has repaired before.
#include "shadegap/coverage.hpp"
#include "shadegap/error.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <vector>

namespace {

using shadegap::Grid;
using shadegap::MultiPolygon;
using shadegap::Window;

constexpr int kSamples = 64;
constexpr double kExactTolerance = 1e-9;

struct Scale {
    double x_min;
    double y_max;
    double cell_width;
    double cell_height;
};

const Scale kScales[] = {
    {0, 0, 1, 1},
    {500000, 4500000, 0.5, 0.25},      // UTM metres, sub-metre cells
    {-1e6, 1e6, 30, 30},               // Landsat-like
    {0, 0, 1e-9, 1e-9},                // tiny cells
    {0, 0, 1e6, 1e6},                  // huge cells
    {1099511627776.0, -1099511627776.0, 1, 1},  // 2^40 from the origin, still exact
    {-180, 90, 1.0 / 1048576, 1.0 / 1048576},  // degrees, 2^-20 cells
    {0, 0, 3, 0.5},                    // non-square cells
};

const double kMultipliers[] = {1, 1, 1, 1, 1.0 / 64, 1000, 1e9, 1099511627776.0};

class Input {
public:
    Input(const std::uint8_t* data, std::size_t size) : m_data(data), m_size(size) {}
    std::uint8_t byte() { return m_at < m_size ? m_data[m_at++] : 0; }
    double raw_double() {
        std::uint8_t bytes[8] = {};
        for (auto& b : bytes) b = byte();
        double value = 0;
        std::memcpy(&value, bytes, sizeof value);
        return value;
    }
    bool done() const { return m_at >= m_size; }

private:
    const std::uint8_t* m_data;
    std::size_t m_size;
    std::size_t m_at = 0;
};

/// A point in cell units (u: columns, v: rows down), as exact as the lattice allows.
struct CellPoint {
    double u;
    double v;
};
using CellRing = std::vector<CellPoint>;

/// An integer lattice vertex, for exact validity predicates.
struct Lattice {
    std::int64_t x;
    std::int64_t y;
};
using LatticeRing = std::vector<Lattice>;

struct DecodedRing {
    bool new_part;
    LatticeRing lattice;
    CellRing cells;
    shadegap::Ring world;
};

[[noreturn]] void fail(const char* what, double expected, double actual, std::int64_t row, std::int64_t col) {
    std::fprintf(stderr, "fuzz_coverage: %s at cell (%lld, %lld): expected %.17g, got %.17g\n", what,
                 static_cast<long long>(row), static_cast<long long>(col), expected, actual);
    std::abort();
}

// ---- exact predicates on the integer lattice -------------------------------------------

std::int64_t orientation(const Lattice& a, const Lattice& b, const Lattice& c) {
    const std::int64_t value = (b.x - a.x) * (c.y - a.y) - (b.y - a.y) * (c.x - a.x);
    return (value > 0) - (value < 0);
}

bool on_segment(const Lattice& a, const Lattice& b, const Lattice& p) {
    return std::min(a.x, b.x) <= p.x && p.x <= std::max(a.x, b.x) && std::min(a.y, b.y) <= p.y &&
           p.y <= std::max(a.y, b.y);
}

/// Closed segments ab and cd share at least one point.
bool segments_meet(const Lattice& a, const Lattice& b, const Lattice& c, const Lattice& d) {
    const std::int64_t o1 = orientation(a, b, c), o2 = orientation(a, b, d);
    const std::int64_t o3 = orientation(c, d, a), o4 = orientation(c, d, b);
    if (o1 != o2 && o3 != o4) return true;
    return (o1 == 0 && on_segment(a, b, c)) || (o2 == 0 && on_segment(a, b, d)) ||
           (o3 == 0 && on_segment(c, d, a)) || (o4 == 0 && on_segment(c, d, b));
}

/// Drops a closing vertex equal to the first one.
LatticeRing open_ring(LatticeRing ring) {
    if (ring.size() > 1 && ring.front().x == ring.back().x && ring.front().y == ring.back().y) ring.pop_back();
    return ring;
}

/// A simple ring: ≥ 3 vertices, no repeated vertex, non-adjacent edges disjoint,
/// adjacent edges meeting only at their shared vertex, non-zero area.
bool is_simple(const LatticeRing& ring) {
    const std::size_t n = ring.size();
    if (n < 3) return false;
    for (std::size_t i = 0; i < n; ++i)
        for (std::size_t j = i + 1; j < n; ++j)
            if (ring[i].x == ring[j].x && ring[i].y == ring[j].y) return false;
    for (std::size_t i = 0; i < n; ++i) {
        const Lattice& a = ring[i];
        const Lattice& b = ring[(i + 1) % n];
        for (std::size_t j = i + 1; j < n; ++j) {
            const Lattice& c = ring[j];
            const Lattice& d = ring[(j + 1) % n];
            const bool adjacent = j == i + 1 || (i == 0 && j == n - 1);
            if (!adjacent) {
                if (segments_meet(a, b, c, d)) return false;
            } else {
                // Adjacent edges share one vertex; folding back onto each other is not simple.
                const Lattice& shared = j == i + 1 ? b : a;
                const Lattice& other_first = j == i + 1 ? a : b;
                const Lattice& other_second = j == i + 1 ? d : c;
                if (orientation(other_first, shared, other_second) == 0 &&
                    ((other_first.x - shared.x) * (other_second.x - shared.x) +
                     (other_first.y - shared.y) * (other_second.y - shared.y)) > 0)
                    return false;
            }
        }
    }
    std::int64_t twice_area = 0;
    for (std::size_t i = 0; i < n; ++i)
        twice_area += ring[i].x * ring[(i + 1) % n].y - ring[(i + 1) % n].x * ring[i].y;
    return twice_area != 0;
}

bool rings_meet(const LatticeRing& a, const LatticeRing& b) {
    for (std::size_t i = 0; i < a.size(); ++i)
        for (std::size_t j = 0; j < b.size(); ++j)
            if (segments_meet(a[i], a[(i + 1) % a.size()], b[j], b[(j + 1) % b.size()])) return true;
    return false;
}

/// p strictly inside a simple ring that p is not on (crossing number; exact).
bool strictly_inside(const LatticeRing& ring, const Lattice& p) {
    bool inside = false;
    for (std::size_t i = 0, j = ring.size() - 1; i < ring.size(); j = i++) {
        const Lattice& a = ring[i];
        const Lattice& b = ring[j];
        if ((a.y > p.y) != (b.y > p.y)) {
            // p.x < intersection x, compared without division.
            const std::int64_t lhs = (p.x - a.x) * (b.y - a.y);
            const std::int64_t rhs = (b.x - a.x) * (p.y - a.y);
            if ((b.y - a.y) > 0 ? lhs < rhs : lhs > rhs) inside = !inside;
        }
    }
    return inside;
}

/// Shells with their holes: valid when every ring is simple, no two rings meet, each
/// hole lies inside its shell and outside the other holes, and no part lies in another.
bool is_valid(const std::vector<DecodedRing>& rings) {
    std::vector<LatticeRing> open;
    for (const auto& ring : rings) {
        open.push_back(open_ring(ring.lattice));
        if (!is_simple(open.back())) return false;
    }
    for (std::size_t i = 0; i < open.size(); ++i)
        for (std::size_t j = i + 1; j < open.size(); ++j)
            if (rings_meet(open[i], open[j])) return false;
    // No ring meets another, so one vertex decides on which side of a ring a ring lies.
    std::size_t shell = 0;
    std::vector<std::size_t> shells;
    for (std::size_t i = 0; i < rings.size(); ++i) {
        if (i == 0 || rings[i].new_part) {
            shell = i;
            shells.push_back(i);
            continue;
        }
        if (!strictly_inside(open[shell], open[i].front())) return false;
        for (std::size_t k = shell + 1; k < i; ++k)
            if (strictly_inside(open[k], open[i].front()) || strictly_inside(open[i], open[k].front())) return false;
    }
    for (std::size_t a : shells)
        for (std::size_t b : shells)
            if (a != b && strictly_inside(open[a], open[b].front())) return false;
    return true;
}

// ---- oracles in cell units ------------------------------------------------------------

double signed_area(const CellRing& ring) {
    if (ring.size() < 3) return 0;
    const CellPoint o = ring.front();
    double sum = 0;
    for (std::size_t i = 1; i + 1 < ring.size(); ++i)
        sum += (ring[i].u - o.u) * (ring[i + 1].v - o.v) - (ring[i + 1].u - o.u) * (ring[i].v - o.v);
    return 0.5 * sum;
}

/// Sutherland–Hodgman against one side of a box; `axis` 0 is u, 1 is v; keeps the side
/// where sign·(coordinate − bound) ≥ 0.
CellRing clip_side(const CellRing& ring, int axis, double bound, double sign) {
    CellRing out;
    if (ring.empty()) return out;
    const auto coordinate = [axis](const CellPoint& p) { return axis == 0 ? p.u : p.v; };
    const auto inside = [&](const CellPoint& p) { return sign * (coordinate(p) - bound) >= 0; };
    const auto cut = [&](const CellPoint& p, const CellPoint& q) {
        const double t = (bound - coordinate(p)) / (coordinate(q) - coordinate(p));
        return axis == 0 ? CellPoint{bound, p.v + t * (q.v - p.v)} : CellPoint{p.u + t * (q.u - p.u), bound};
    };
    CellPoint previous = ring.back();
    for (const CellPoint& current : ring) {
        if (inside(current)) {
            if (!inside(previous)) out.push_back(cut(previous, current));
            out.push_back(current);
        } else if (inside(previous)) {
            out.push_back(cut(previous, current));
        }
        previous = current;
    }
    return out;
}

/// Signed area of ring ∩ box (the clipped ring keeps the ring's winding inside the box).
double clipped_area(const CellRing& ring, double u0, double v0, double u1, double v1) {
    CellRing r = clip_side(ring, 0, u0, 1);
    r = clip_side(r, 0, u1, -1);
    r = clip_side(r, 1, v0, 1);
    r = clip_side(r, 1, v1, -1);
    return signed_area(r);
}

/// area(P ∩ box) for a valid polygon: shells count positive, holes negative.
double polygon_area_in(const std::vector<DecodedRing>& rings, double u0, double v0, double u1, double v1) {
    double area = 0;
    for (std::size_t i = 0; i < rings.size(); ++i) {
        const bool shell = i == 0 || rings[i].new_part;
        const double orientation = signed_area(rings[i].cells) > 0 ? 1.0 : -1.0;
        const double part = orientation * clipped_area(rings[i].cells, u0, v0, u1, v1);
        area += shell ? part : -part;
    }
    return area;
}

/// Length of segment pq inside the closed box, 0 when it misses (Liang–Barsky); `pieces`
/// counts segments that meet the box.
double length_in_box(const CellPoint& p, const CellPoint& q, double u0, double v0, double u1, double v1, int& pieces) {
    double t0 = 0, t1 = 1;
    const double du = q.u - p.u, dv = q.v - p.v;
    const double ps[4] = {-du, du, -dv, dv};
    const double qs[4] = {p.u - u0, u1 - p.u, p.v - v0, v1 - p.v};
    for (int k = 0; k < 4; ++k) {
        if (ps[k] == 0) {
            if (qs[k] < 0) return 0;
            continue;
        }
        const double t = qs[k] / ps[k];
        if (ps[k] < 0) t0 = std::max(t0, t);
        else t1 = std::min(t1, t);
        if (t0 > t1) return 0;
    }
    ++pieces;
    return (t1 - t0) * std::hypot(du, dv);
}

/// Fraction of n × n sample points of every window cell inside the polygon (even-odd),
/// by sample row: the crossings of the row's line, sorted, bound the inside intervals.
std::vector<double> supersample(const std::vector<DecodedRing>& rings, const Window& window) {
    const std::int64_t n = kSamples;
    const std::int64_t samples_per_row = window.cols * n;
    std::vector<std::int64_t> counts(static_cast<std::size_t>(window.rows * window.cols), 0);
    std::vector<std::int64_t> difference(static_cast<std::size_t>(samples_per_row + 1));
    std::vector<double> crossings;
    for (std::int64_t sample_row = 0; sample_row < window.rows * n; ++sample_row) {
        const double v = static_cast<double>(window.row0) + (static_cast<double>(sample_row) + 0.5) / n;
        crossings.clear();
        for (const auto& ring : rings) {
            const CellRing& r = ring.cells;
            for (std::size_t i = 0, j = r.size() - 1; i < r.size(); j = i++) {
                const CellPoint& a = r[j];
                const CellPoint& b = r[i];
                if ((a.v <= v) != (b.v <= v)) crossings.push_back(a.u + (v - a.v) * (b.u - a.u) / (b.v - a.v));
            }
        }
        std::sort(crossings.begin(), crossings.end());
        std::fill(difference.begin(), difference.end(), 0);
        const double col0 = static_cast<double>(window.col0);
        const auto sample_index = [&](double u) {
            // First sample k with col0 + (k + 0.5)/n ≥ u.
            const double k = std::ceil((u - col0) * static_cast<double>(n) - 0.5);
            return static_cast<std::int64_t>(std::clamp(k, 0.0, static_cast<double>(samples_per_row)));
        };
        for (std::size_t i = 0; i + 1 < crossings.size(); i += 2) {
            const std::int64_t first = sample_index(crossings[i]);
            const std::int64_t end = sample_index(crossings[i + 1]);
            if (end <= first) continue;
            ++difference[static_cast<std::size_t>(first)];
            --difference[static_cast<std::size_t>(end)];
        }
        const std::int64_t row = sample_row / n;
        std::int64_t running = 0;
        for (std::int64_t k = 0; k < samples_per_row; ++k) {
            running += difference[static_cast<std::size_t>(k)];
            counts[static_cast<std::size_t>(row * window.cols + k / n)] += running;
        }
    }
    std::vector<double> fractions(counts.size());
    for (std::size_t i = 0; i < counts.size(); ++i)
        fractions[i] = static_cast<double>(counts[i]) / static_cast<double>(n * n);
    return fractions;
}

void check_against_oracles(const std::vector<DecodedRing>& rings, const Window& window,
                           const shadegap::CoverageMatrix& coverage, double noise) {
    const std::vector<double> sampled = supersample(rings, window);
    std::size_t vertex_count = 0;
    for (const auto& ring : rings) vertex_count += ring.cells.size();
    const double exact_tolerance = kExactTolerance + noise * static_cast<double>(vertex_count);
    double sum = 0;
    for (std::int64_t r = 0; r < window.rows; ++r) {
        for (std::int64_t c = 0; c < window.cols; ++c) {
            const double u0 = static_cast<double>(window.col0 + c), v0 = static_cast<double>(window.row0 + r);
            const double f = coverage.at(window.row0 + r, window.col0 + c);
            sum += f;
            const double exact = polygon_area_in(rings, u0, v0, u0 + 1, v0 + 1);
            if (std::abs(f - exact) > exact_tolerance) fail("coverage differs from the clipped area", exact, f, r, c);

            double length = 0;
            int pieces = 0;
            for (const auto& ring : rings) {
                const CellRing& cells = ring.cells;
                for (std::size_t i = 0, j = cells.size() - 1; i < cells.size(); j = i++)
                    length += length_in_box(cells[j], cells[i], u0, v0, u0 + 1, v0 + 1, pieces);
            }
            const double n = kSamples;
            const double tolerance = 4 * std::sqrt(2.0) * length / n + 8 * pieces / (n * n) + exact_tolerance;
            const double estimate = sampled[static_cast<std::size_t>(r * window.cols + c)];
            if (std::abs(f - estimate) > tolerance) fail("coverage differs from supersampling", estimate, f, r, c);
        }
    }
    const double u0 = static_cast<double>(window.col0), v0 = static_cast<double>(window.row0);
    const double in_window = polygon_area_in(rings, u0, v0, u0 + static_cast<double>(window.cols),
                                             v0 + static_cast<double>(window.rows));
    const double sum_tolerance = exact_tolerance * static_cast<double>(window.cell_count());
    if (std::abs(sum - in_window) > sum_tolerance)
        fail("sum of fractions differs from the area in the window", in_window, sum, -1, -1);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    Input in(data, size);
    const std::uint8_t mode = in.byte();
    const bool raw = (mode & 3) == 3;
    const double multiplier = kMultipliers[(mode >> 2) & 7];
    Grid grid;
    grid.cols = 1 + in.byte() % 8;
    grid.rows = 1 + in.byte() % 8;
    const Scale& scale = kScales[in.byte() % (sizeof kScales / sizeof kScales[0])];
    grid.x_min = scale.x_min;
    grid.y_max = scale.y_max;
    grid.cell_width = scale.cell_width;
    grid.cell_height = scale.cell_height;
    Window window;
    window.row0 = static_cast<std::int64_t>(in.byte() % (grid.rows + 1)) - 1;
    window.col0 = static_cast<std::int64_t>(in.byte() % (grid.cols + 1)) - 1;
    window.rows = 1 + in.byte() % (grid.rows + 2);
    window.cols = 1 + in.byte() % (grid.cols + 2);

    std::vector<DecodedRing> rings;
    const int ring_count = 1 + in.byte() % 4;
    double largest = 0;    // the largest vertex coordinate, in cells
    double displaced = 0;  // how far the CRS coordinates' rounding moves a vertex, in cells
    for (int k = 0; k < ring_count && !in.done(); ++k) {
        const std::uint8_t header = in.byte();
        DecodedRing ring;
        ring.new_part = k == 0 || (header & 1) != 0;
        const int vertices = 3 + (header >> 1) % 12;
        for (int i = 0; i < vertices; ++i) {
            if (raw) {
                const double x = in.raw_double(), y = in.raw_double();
                ring.world.push_back({x, y});
                continue;
            }
            const auto s = static_cast<std::int8_t>(in.byte());
            const auto t = static_cast<std::int8_t>(in.byte());
            // Lattice vertex (64 + s, 64 + t) sixteenths of a cell, times the multiplier.
            const Lattice lattice{64 + s, 64 + t};
            const CellPoint cell{static_cast<double>(lattice.x) / 16 * multiplier,
                                 static_cast<double>(lattice.y) / 16 * multiplier};
            largest = std::max({largest, std::abs(cell.u), std::abs(cell.v)});
            ring.lattice.push_back(lattice);
            ring.cells.push_back(cell);
            const shadegap::Point world{grid.x_min + cell.u * grid.cell_width, grid.y_max - cell.v * grid.cell_height};
            displaced = std::max({displaced, std::abs(grid.col_of(world.x) - cell.u), std::abs(grid.row_of(world.y) - cell.v)});
            ring.world.push_back(world);
        }
        rings.push_back(std::move(ring));
    }
    if (rings.empty()) return 0;

    MultiPolygon polygon;
    for (const auto& ring : rings) {
        if (ring.new_part) polygon.push_back({ring.world, {}});
        else polygon.back().holes.push_back(ring.world);
    }

    shadegap::CoverageMatrix coverage;
    try {
        coverage = shadegap::compute_coverage(grid, window, polygon);
    } catch (const shadegap::GeometryError&) {
        // Expected only for a vertex that is not finite or lies more than 2^52 cells from
        // the grid's origin (compute_coverage's contract).
        bool measurable = true;
        for (const auto& ring : rings) {
            for (const auto& p : ring.world) {
                const double u = grid.col_of(p.x), v = grid.row_of(p.y);
                measurable = measurable && std::isfinite(p.x) && std::isfinite(p.y) &&
                             std::abs(u) <= 4503599627370496.0 && std::abs(v) <= 4503599627370496.0;
            }
        }
        if (measurable) fail("GeometryError for measurable vertices", 0, 0, -1, -1);
        return 0;
    }
    if (coverage.fractions.size() != static_cast<std::size_t>(window.cell_count()))
        fail("wrong number of fractions", static_cast<double>(window.cell_count()),
             static_cast<double>(coverage.fractions.size()), -1, -1);
    for (std::size_t i = 0; i < coverage.fractions.size(); ++i) {
        const double f = coverage.fractions[i];
        if (!(f >= 0 && f <= 1))
            fail("fraction outside [0, 1]", 0.5, f, static_cast<std::int64_t>(i) / window.cols,
                 static_cast<std::int64_t>(i) % window.cols);
    }
    if (raw || !is_valid(rings)) return 0;
    // The CRS coordinates (x_min + u·width) and their conversion back to cells may round
    // (tiny cells); cutting edges at the window's sides rounds relative to their length.
    const double noise = 4 * displaced + 16 * std::numeric_limits<double>::epsilon() * largest;
    check_against_oracles(rings, window, coverage, noise);
    return 0;
}
