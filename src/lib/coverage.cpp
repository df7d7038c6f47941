// Exact cell coverage by polygons: signed edge areas per cell, then a running sum along each row.
// SPDX-License-Identifier: MIT
#include "shadegap/coverage.hpp"

#include "coverage_runs.hpp"
#include "shadegap/error.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
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

using Edge = detail::CoverageRasteriser::Edge;

/// floor() of a value known to be ≥ 0: a conversion, not a call into libm.
std::int64_t floor_nonnegative(double x) { return static_cast<std::int64_t>(x); }

// Appending field by field: a braced temporary is built on the stack and copied with wide
// loads that cannot be forwarded from its narrower stores, a stall in the hottest loops.
void push_run(std::vector<detail::CoverageRun>& runs, std::int64_t col, std::int64_t count, double fraction) {
    detail::CoverageRun& run = runs.emplace_back();
    run.col = col;
    run.count = count;
    run.fraction = fraction;
}

/// Cuts a polygon's edges at the window's sides. Parts above or below the window add
/// nothing; parts right of it change no cell; parts left of it change the winding of
/// every cell of their rows, which is kept per row; the rest is kept as edges, top to bottom.
class EdgeCollector {
public:
    EdgeCollector(std::int64_t rows, std::int64_t cols, std::vector<Edge>& edges, std::vector<double>& left_of_window)
        : m_rows(rows), m_cols(cols), m_edges(edges), m_left_of_window(left_of_window) {}

    /// Adds the directed edge p → q.
    void add_edge(const CellPoint& p, const CellPoint& q) {
        if (p.v == q.v) {
            keep(p, q);
            return;
        }
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
            const CellPoint& from = points[i];
            const CellPoint& to = points[i + 1];
            if (from.u >= cols && to.u >= cols) continue;
            if (from.u <= 0 && to.u <= 0) {
                add_left_of_window(from.v, to.v);
            } else {
                keep({std::clamp(from.u, 0.0, cols), from.v}, {std::clamp(to.u, 0.0, cols), to.v});
            }
        }
    }

private:
    /// A piece left of the window adds its signed height, row by row, to every cell of the row.
    void add_left_of_window(double v_from, double v_to) {
        if (v_from == v_to) return;
        const double sign = v_to > v_from ? 1.0 : -1.0;
        const double top = std::min(v_from, v_to), bottom = std::max(v_from, v_to);
        for (std::int64_t r = std::min(floor_nonnegative(top), m_rows - 1); r < m_rows; ++r) {
            const double row_top = static_cast<double>(r);
            if (row_top >= bottom) break;
            const double dy = std::min(bottom, row_top + 1) - std::max(top, row_top);
            m_left_of_window[static_cast<std::size_t>(r)] += sign * dy;
        }
    }

    /// A piece with u in [0, cols]. A horizontal one adds no area, but inside a row (not
    /// on a row line) it crosses the cells it spans, whose coverage is then not an integer:
    /// it is kept with sign 0 to mark them.
    void keep(const CellPoint& p, const CellPoint& q) {
        Edge& e = m_edges.emplace_back();
        if (p.v == q.v) {
            const double low = std::max(0.0, std::min(p.u, q.u));
            const double high = std::min(static_cast<double>(m_cols), std::max(p.u, q.u));
            const bool inside_row = p.v > 0 && p.v < static_cast<double>(m_rows) && p.v != std::floor(p.v);
            if (!inside_row || !(low < high)) {
                m_edges.pop_back();
                return;
            }
            e.top_u = low;
            e.bottom_u = high;
            e.top_v = e.bottom_v = p.v;
            e.du_dv = 0;
            e.dv_du = 0;
            e.sign = 0;
            return;
        }
        const bool down = q.v > p.v;
        const CellPoint& top = down ? p : q;
        const CellPoint& bottom = down ? q : p;
        e.top_u = top.u;
        e.top_v = top.v;
        e.bottom_u = bottom.u;
        e.bottom_v = bottom.v;
        e.du_dv = (bottom.u - top.u) / (bottom.v - top.v);
        e.dv_du = bottom.u != top.u ? (bottom.v - top.v) / (bottom.u - top.u) : 0.0;
        e.sign = down ? 1.0 : -1.0;
    }

    std::int64_t m_rows;
    std::int64_t m_cols;
    std::vector<Edge>& m_edges;
    std::vector<double>& m_left_of_window;
};

using CellPiece = detail::CoverageRasteriser::CellPiece;

/// Cuts edges into pieces that each lie in one cell of one row, and files them by row. A
/// piece of signed height dy (+ going down) in cell c, at mean column u_mid, covers
/// (c + 1 − u_mid) · dy of the cell and raises the running sum of every cell to its right
/// by dy (the font rasterisers' signed-area method).
class PieceCollector {
public:
    PieceCollector(std::int64_t cols, std::vector<CellPiece>& pieces, std::uint64_t* row_head, CellPiece* slots,
                   std::uint32_t* count)
        : m_cols(cols), m_pieces(pieces), m_row_head(row_head), m_slots(slots), m_count(count) {}

    /// A non-horizontal edge, top to bottom, walked cell by cell: from each cell it leaves
    /// through the row line below or the column line ahead, whichever it meets first. Where
    /// it meets each column line is worked out once, so a row costs a compare, not a floor().
    void add_edge(const Edge& e, std::int64_t rows) {
        if (e.top_u == e.bottom_u) {
            add_vertical(e, rows);
            return;
        }
        const double u_low = std::min(e.top_u, e.bottom_u), u_high = std::max(e.top_u, e.bottom_u);
        const bool right = e.bottom_u > e.top_u;
        std::int64_t c = floor_nonnegative(e.top_u);
        if (!right && static_cast<double>(c) == e.top_u) --c;
        c = std::clamp<std::int64_t>(c, 0, m_cols - 1);
        // The column line ahead, and where the edge meets it (never, if the edge ends first).
        double line = static_cast<double>(right ? c + 1 : c);
        const auto v_at_line = [&e, right](double u) {
            return (right ? u < e.bottom_u : u > e.bottom_u)
                       ? std::clamp(e.top_v + (u - e.top_u) * e.dv_du, e.top_v, e.bottom_v)
                       : std::numeric_limits<double>::infinity();
        };
        double v_line = v_at_line(line);
        std::int64_t r = std::min(floor_nonnegative(e.top_v), rows - 1);
        double u0 = e.top_u, v0 = e.top_v;
        for (;;) {
            const double row_bottom = static_cast<double>(r + 1);
            const bool last = e.bottom_v <= row_bottom;
            const double v_end = last ? e.bottom_v : row_bottom;
            if (v_line < v_end) {
                // Out through the column line, into the next cell of this row.
                if (v_line > v0 || line != u0) deposit(r, c, {u0, v0}, {line, v_line}, e.sign);
                u0 = line;
                v0 = v_line;
                c += right ? 1 : -1;
                line += right ? 1.0 : -1.0;
                v_line = v_at_line(line);
                continue;
            }
            // Out through the row line (or the edge ends), in this cell.
            double u1 = last ? e.bottom_u : std::clamp(e.top_u + (v_end - e.top_v) * e.du_dv, u_low, u_high);
            u1 = right ? std::min(u1, line) : std::max(u1, line);
            if (v_end > v0) deposit(r, c, {u0, v0}, {u1, v_end}, e.sign);
            if (last) break;
            ++r;
            u0 = u1;
            v0 = v_end;
        }
    }

    /// A horizontal piece inside row r: the cells it spans are crossed.
    void cross(std::int64_t r, double u_low, double u_high) {
        const std::int64_t c0 = std::min(floor_nonnegative(u_low), m_cols - 1);
        const std::int64_t c1 = std::min(static_cast<std::int64_t>(std::ceil(u_high)) - 1, m_cols - 1);
        for (std::int64_t c = c0; c <= c1; ++c) push(r, c, 0, 0, true);
    }

private:
    /// A vertical edge, cut at row lines. On a column line it crosses no cell: the whole of
    /// the cell right of the line and every cell after it gain its height (past the window's
    /// right side it changes nothing).
    void add_vertical(const Edge& e, std::int64_t rows) {
        const double u = e.top_u;
        const std::int64_t cell = floor_nonnegative(u);
        const bool on_line = static_cast<double>(cell) == u;
        if (on_line && cell >= m_cols) return;
        std::int64_t r = std::min(floor_nonnegative(e.top_v), rows - 1);
        for (double v0 = e.top_v;; ++r) {
            const double row_bottom = static_cast<double>(r + 1);
            const bool last = e.bottom_v <= row_bottom;
            const double v1 = last ? e.bottom_v : row_bottom;
            if (v1 > v0) {
                const double dy = (v1 - v0) * e.sign;
                if (on_line) {
                    push(r, cell, dy, dy, false);
                } else {
                    push(r, cell, dy, dy * (static_cast<double>(cell) + 1 - u), true);
                }
            }
            if (last) break;
            v0 = v1;
        }
    }

    /// A piece crossing the interior of cell c (even one too flat to change the sum).
    void deposit(std::int64_t r, std::int64_t c, const CellPoint& p, const CellPoint& q, double sign) {
        const double dy = (q.v - p.v) * sign;
        push(r, c, dy, dy * (static_cast<double>(c) + 1 - 0.5 * (p.u + q.u)), true);
    }

    void push(std::int64_t r, std::int64_t c, double dy, double partial, bool crossed) {
        constexpr std::uint32_t capacity = detail::CoverageRasteriser::row_capacity;
        const auto key = static_cast<std::int64_t>(2 * c + crossed);
        std::uint32_t& count = m_count[r];
        if (count < capacity) {
            // In the row's slots (`next` is not used there).
            CellPiece* slots = m_slots + r * capacity;
            CellPiece& piece = slots[detail::CoverageRasteriser::make_room(slots, count, key)];
            piece.dy = dy;
            piece.partial = partial;
            piece.col_and_crossed = key;
        } else {
            if (count == capacity) m_row_head[r] = 0;
            CellPiece& piece = m_pieces.emplace_back();
            piece.dy = dy;
            piece.partial = partial;
            piece.col_and_crossed = key;
            piece.next = m_row_head[r];
            m_row_head[r] = static_cast<std::uint64_t>(m_pieces.size());
        }
        ++count;
    }

    std::int64_t m_cols;
    std::vector<CellPiece>& m_pieces;
    std::uint64_t* m_row_head;
    CellPiece* m_slots;
    std::uint32_t* m_count;
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

/// A vertex farther than this from the grid's origin, in cells, is no polygon on this
/// raster but a corrupt coordinate or a wrong CRS. Past it, the difference of two cell
/// coordinates may overflow (a finite vertex becomes an infinite cell coordinate when
/// the cells are small) and turn fractions into NaN.
constexpr double max_cells_from_grid = 4503599627370496.0;  // 2^52

/// A ring in grid cell coordinates, oriented so that its interior winds +1
/// (`counter_clockwise`: shells) or −1 (holes) whatever the stored orientation; walking it
/// from the last vertex to the first and on gives the edges. Rings need not repeat their
/// first vertex; one with fewer than three distinct points adds nothing.
void add_cell_ring(const Grid& grid, const Ring& ring, bool counter_clockwise, detail::CellPolygon& out) {
    if (!has_three_distinct_points(ring)) return;
    check_finite(ring);
    const bool reverse = (twice_signed_area(ring) > 0) != counter_clockwise;
    std::vector<detail::CellPolygon::Vertex>& cells = out.rings.emplace_back();
    cells.reserve(ring.size());
    for (const Point& p : ring) {
        const double u = grid.col_of(p.x), v = grid.row_of(p.y);
        if (!(std::abs(u) <= max_cells_from_grid && std::abs(v) <= max_cells_from_grid)) {
            std::ostringstream text;
            text << "vertex (" << p.x << ", " << p.y << ") lies more than 2^52 cells from the raster's grid "
                 << "(cells of " << grid.cell_width << " × " << grid.cell_height << "); it cannot be measured";
            throw GeometryError("polygon", text.str());
        }
        cells.push_back({u, v});
    }
    if (reverse) std::reverse(cells.begin(), cells.end());
}

/// Stores what CoverageRasteriser::stream hands on.
struct RunsSink {
    detail::CoverageRuns& out;
    void row(std::int64_t r) { out.row_start[static_cast<std::size_t>(r)] = out.runs.size(); }
    void span(std::int64_t col, std::int64_t count, double fraction) { push_run(out.runs, col, count, fraction); }
    void cell(std::int64_t col, double fraction) { push_run(out.runs, col, 1, fraction); }
};

}  // namespace

namespace detail {

CellPolygon to_cell_polygon(const Grid& grid, const MultiPolygon& polygon) {
    CellPolygon out;
    for (const Polygon& part : polygon) {
        add_cell_ring(grid, part.shell, true, out);
        for (const Ring& hole : part.holes) add_cell_ring(grid, hole, false, out);
    }
    return out;
}

void CoverageRasteriser::compute(const Grid& grid, const Window& window, const MultiPolygon& polygon,
                                 CoverageRuns& out) {
    compute(to_cell_polygon(grid, polygon), window, out);
}

void CoverageRasteriser::compute(const CellPolygon& polygon, const Window& window, CoverageRuns& out) {
    const std::int64_t rows = std::max<std::int64_t>(0, window.rows);
    out.window = window;
    out.runs.clear();
    out.row_start.assign(static_cast<std::size_t>(rows + 1), 0);
    RunsSink sink{out};
    stream(polygon, window, sink);
    out.row_start[static_cast<std::size_t>(rows)] = out.runs.size();
}

void CoverageRasteriser::cut(const CellPolygon& polygon, const Window& window) {
    const std::int64_t rows = window.rows;
    const std::int64_t cols = window.cols;
    m_edges.clear();
    m_left_of_window.assign(static_cast<std::size_t>(rows), 0.0);
    EdgeCollector collector(rows, cols, m_edges, m_left_of_window);
    const double col0 = static_cast<double>(window.col0);
    const double row0 = static_cast<double>(window.row0);
    for (const auto& ring : polygon.rings) {
        CellPoint previous{ring.back().u - col0, ring.back().v - row0};
        for (const CellPolygon::Vertex& vertex : ring) {
            const CellPoint current{vertex.u - col0, vertex.v - row0};
            collector.add_edge(previous, current);
            previous = current;
        }
    }

    m_pieces.clear();
    if (m_row_head.size() < static_cast<std::size_t>(rows)) m_row_head.resize(static_cast<std::size_t>(rows));
    if (m_row_slots.size() < static_cast<std::size_t>(rows) * row_capacity)
        m_row_slots.resize(static_cast<std::size_t>(rows) * row_capacity);
    m_row_count.assign(static_cast<std::size_t>(rows), 0);
    PieceCollector pieces(cols, m_pieces, m_row_head.data(), m_row_slots.data(), m_row_count.data());
    for (const Edge& e : m_edges) {
        if (e.sign == 0) {
            pieces.cross(std::min(floor_nonnegative(e.top_v), rows - 1), e.top_u, e.bottom_u);
        } else {
            pieces.add_edge(e, rows);
        }
    }
}

}  // namespace detail

CoverageMatrix compute_coverage(const Grid& grid, const Window& window, const MultiPolygon& polygon) {
    CoverageMatrix result;
    result.window = window;
    if (window.empty()) return result;
    detail::CoverageRasteriser rasteriser;
    detail::CoverageRuns runs;
    rasteriser.compute(grid, window, polygon, runs);
    result.fractions.assign(static_cast<std::size_t>(window.rows * window.cols), 0.0);
    for (std::int64_t r = 0; r < window.rows; ++r) {
        double* row = &result.fractions[static_cast<std::size_t>(r * window.cols)];
        for (std::size_t i = runs.row_start[static_cast<std::size_t>(r)];
             i < runs.row_start[static_cast<std::size_t>(r + 1)]; ++i) {
            const detail::CoverageRun& run = runs.runs[i];
            std::fill(row + run.col, row + run.col + run.count, run.fraction);
        }
    }
    return result;
}

}  // namespace shadegap
