// Exact cell coverage by polygons: signed edge areas per cell, then a prefix sum along each row.
// SPDX-License-Identifier: MIT
#include "shadegap/coverage.hpp"

#include "shadegap/error.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <sstream>

namespace shadegap {

namespace {

/// A vertex in window cell coordinates: u grows with columns, v with rows (downwards).
struct CellPoint {
    double u;
    double v;
};

/// Linear interpolation of the coordinate `get_b` at `a_target` along the segment p → q,
/// measured from the endpoint nearer to the target so long edges keep their precision.
template <typename GetA, typename GetB>
double interpolate(const CellPoint& p, const CellPoint& q, double a_target, GetA get_a, GetB get_b) {
    const double pa = get_a(p), qa = get_a(q);
    const double pb = get_b(p), qb = get_b(q);
    const double t_from_p = (a_target - pa) / (qa - pa);
    const double value = std::abs(a_target - pa) <= std::abs(a_target - qa)
                             ? pb + t_from_p * (qb - pb)
                             : qb + ((a_target - qa) / (pa - qa)) * (pb - qb);
    return std::clamp(value, std::min(pb, qb), std::max(pb, qb));
}

double u_at_v(const CellPoint& p, const CellPoint& q, double v) {
    return interpolate(p, q, v, [](const CellPoint& c) { return c.v; }, [](const CellPoint& c) { return c.u; });
}

double v_at_u(const CellPoint& p, const CellPoint& q, double u) {
    return interpolate(p, q, u, [](const CellPoint& c) { return c.u; }, [](const CellPoint& c) { return c.v; });
}

/// Signed-area accumulator over a window of rows × cols cells. Each row has cols + 1
/// slots; the last one receives the share of pieces on the window's right edge and is
/// not part of any cell.
class EdgeAccumulator {
public:
    EdgeAccumulator(std::int64_t rows, std::int64_t cols)
        : m_rows(rows), m_cols(cols), m_stride(cols + 1),
          m_acc(static_cast<std::size_t>(rows * (cols + 1)), 0.0) {}

    /// Adds the directed edge p → q. Parts above or below the window add nothing; parts
    /// left of it act as a vertical edge on its left side (they change the winding of
    /// every cell of their rows), parts right of it act on the right side (they change
    /// no cell).
    void add_edge(const CellPoint& p, const CellPoint& q) {
        if (p.v == q.v) return;
        const double rows = static_cast<double>(m_rows);
        if ((p.v <= 0 && q.v <= 0) || (p.v >= rows && q.v >= rows)) return;

        CellPoint a = p;
        CellPoint b = q;
        if (a.v < 0 || a.v > rows) {
            const double edge_v = a.v < 0 ? 0.0 : rows;
            a = {u_at_v(p, q, edge_v), edge_v};
        }
        if (b.v < 0 || b.v > rows) {
            const double edge_v = b.v < 0 ? 0.0 : rows;
            b = {u_at_v(p, q, edge_v), edge_v};
        }
        if (a.v == b.v) return;

        const double cols = static_cast<double>(m_cols);
        CellPoint points[4];
        int count = 0;
        points[count++] = a;
        const auto add_crossing = [&](double u) { points[count++] = {u, v_at_u(a, b, u)}; };
        if (a.u < b.u) {
            if (a.u < 0 && b.u > 0) add_crossing(0);
            if (a.u < cols && b.u > cols) add_crossing(cols);
        } else {
            if (a.u > cols && b.u < cols) add_crossing(cols);
            if (a.u > 0 && b.u < 0) add_crossing(0);
        }
        points[count++] = b;
        for (int i = 0; i + 1 < count; ++i) {
            const CellPoint from{std::clamp(points[i].u, 0.0, cols), points[i].v};
            const CellPoint to{std::clamp(points[i + 1].u, 0.0, cols), points[i + 1].v};
            add_inside(from, to);
        }
    }

    /// Turns the accumulated areas into coverage fractions, row-major, rows × cols.
    void write_fractions(std::vector<double>& fractions) const {
        fractions.assign(static_cast<std::size_t>(m_rows * m_cols), 0.0);
        for (std::int64_t r = 0; r < m_rows; ++r) {
            const double* acc = &m_acc[static_cast<std::size_t>(r * m_stride)];
            double* out = &fractions[static_cast<std::size_t>(r * m_cols)];
            double winding_area = 0;
            for (std::int64_t c = 0; c < m_cols; ++c) {
                winding_area += acc[c];
                out[c] = std::min(1.0, std::abs(winding_area));
            }
        }
    }

private:
    /// An edge piece with u in [0, cols] and v in [0, rows]: split at row lines.
    void add_inside(const CellPoint& p, const CellPoint& q) {
        if (p.v == q.v) return;
        const double sign = q.v > p.v ? 1.0 : -1.0;
        const CellPoint& top = sign > 0 ? p : q;
        const CellPoint& bottom = sign > 0 ? q : p;
        const std::int64_t first_row =
            std::clamp<std::int64_t>(static_cast<std::int64_t>(std::floor(top.v)), 0, m_rows - 1);
        const std::int64_t last_row =
            std::clamp<std::int64_t>(static_cast<std::int64_t>(std::ceil(bottom.v)) - 1, 0, m_rows - 1);
        for (std::int64_t r = first_row; r <= last_row; ++r) {
            const double v0 = std::max(top.v, static_cast<double>(r));
            const double v1 = std::min(bottom.v, static_cast<double>(r + 1));
            if (v1 <= v0) continue;
            const double u0 = v0 == top.v ? top.u : u_at_v(top, bottom, v0);
            const double u1 = v1 == bottom.v ? bottom.u : u_at_v(top, bottom, v1);
            add_in_row(r, {u0, v0}, {u1, v1}, sign);
        }
    }

    /// A piece inside row r going down from p to q: split at column lines.
    void add_in_row(std::int64_t r, const CellPoint& p, const CellPoint& q, double sign) {
        double* acc = &m_acc[static_cast<std::size_t>(r * m_stride)];
        CellPoint from = p;
        if (q.u > p.u) {
            for (double line = std::floor(p.u) + 1; line < q.u; line += 1) {
                const CellPoint to{line, v_at_u(p, q, line)};
                deposit(acc, from, to, sign);
                from = to;
            }
        } else if (q.u < p.u) {
            for (double line = std::ceil(p.u) - 1; line > q.u; line -= 1) {
                const CellPoint to{line, v_at_u(p, q, line)};
                deposit(acc, from, to, sign);
                from = to;
            }
        }
        deposit(acc, from, q, sign);
    }

    /// A piece inside one cell of a row: its signed height times the part of the cell to
    /// the right of it goes to that cell, the rest to the next one, so that the prefix sum
    /// carries the full height to every cell further right.
    void deposit(double* acc, const CellPoint& p, const CellPoint& q, double sign) const {
        const double dy = (q.v - p.v) * sign;
        if (dy == 0) return;
        const double u_mid = 0.5 * (p.u + q.u);
        const std::int64_t c =
            std::clamp<std::int64_t>(static_cast<std::int64_t>(std::floor(std::min(p.u, q.u))), 0, m_cols - 1);
        const double left = static_cast<double>(c);
        acc[c] += dy * (left + 1 - u_mid);
        acc[c + 1] += dy * (u_mid - left);
    }

    std::int64_t m_rows;
    std::int64_t m_cols;
    std::int64_t m_stride;
    std::vector<double> m_acc;
};

bool has_three_distinct_points(const Ring& ring) {
    if (ring.size() < 3) return false;
    const Point first = ring.front();
    const auto same = [](const Point& a, const Point& b) { return a.x == b.x && a.y == b.y; };
    const Point* second = nullptr;
    for (const Point& p : ring) {
        if (same(p, first)) continue;
        if (!second) {
            second = &p;
        } else if (!same(p, *second)) {
            return true;
        }
    }
    return false;
}

/// Twice the signed area in CRS coordinates (positive counter-clockwise), relative to the
/// first vertex so large coordinates keep their precision.
double twice_signed_area(const Ring& ring) {
    const Point o = ring.front();
    const std::size_t n = ring.size();
    double sum = 0;
    for (std::size_t i = 1; i + 1 < n; ++i) {
        const double ax = ring[i].x - o.x, ay = ring[i].y - o.y;
        const double bx = ring[i + 1].x - o.x, by = ring[i + 1].y - o.y;
        sum += ax * by - bx * ay;
    }
    return sum;
}

void check_finite(const Ring& ring) {
    for (const Point& p : ring) {
        if (!std::isfinite(p.x) || !std::isfinite(p.y)) {
            std::ostringstream text;
            text << "vertex (" << p.x << ", " << p.y << ") is not a finite coordinate";
            throw GeometryError("polygon", text.str());
        }
    }
}

/// Adds a ring's edges so that its interior winds +1 (`counter_clockwise`, shells) or
/// −1 (holes) whatever the stored orientation. Rings need not repeat their first vertex.
void add_ring(EdgeAccumulator& acc, const Grid& grid, const Window& window, const Ring& ring,
              bool counter_clockwise) {
    if (!has_three_distinct_points(ring)) return;
    check_finite(ring);
    const bool reverse = (twice_signed_area(ring) > 0) != counter_clockwise;
    const double col0 = static_cast<double>(window.col0);
    const double row0 = static_cast<double>(window.row0);
    const auto to_cell = [&](const Point& p) { return CellPoint{grid.col_of(p.x) - col0, grid.row_of(p.y) - row0}; };
    const std::size_t n = ring.size();
    CellPoint previous = to_cell(ring[n - 1]);
    for (std::size_t i = 0; i < n; ++i) {
        const CellPoint current = to_cell(ring[i]);
        if (reverse) {
            acc.add_edge(current, previous);
        } else {
            acc.add_edge(previous, current);
        }
        previous = current;
    }
}

}  // namespace

CoverageMatrix compute_coverage(const Grid& grid, const Window& window, const MultiPolygon& polygon) {
    CoverageMatrix result;
    result.window = window;
    if (window.empty()) return result;
    EdgeAccumulator acc(window.rows, window.cols);
    for (const Polygon& part : polygon) {
        add_ring(acc, grid, window, part.shell, true);
        for (const Ring& hole : part.holes) add_ring(acc, grid, window, hole, false);
    }
    acc.write_fractions(result.fractions);
    return result;
}

}  // namespace shadegap
