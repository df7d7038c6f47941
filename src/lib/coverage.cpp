// Exact cell coverage by polygons: signed edge areas per cell, then a running sum along each row.
// SPDX-License-Identifier: MIT
#include "shadegap/coverage.hpp"

#include "coverage_runs.hpp"
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

/// One row of signed areas: every edge piece in the row deposits into the cells it passes
/// through, and records the columns it touched, so that only those are read back.
class RowAccumulator {
public:
    RowAccumulator(std::int64_t cols, double* area, std::uint8_t* crossed,
                   std::vector<std::pair<std::int64_t, std::int64_t>>& touched)
        : m_cols(cols), m_area(area), m_crossed(crossed), m_touched(touched) {}

    /// A piece inside the row going down from p to q (sign +1) or up (−1, given top to
    /// bottom): split at column lines.
    void add_piece(const CellPoint& p, const CellPoint& q, double sign, double dv_du) {
        // Most pieces stay in one cell (a steep edge in a row is short): one test, made
        // without branches, sends them past the cutting at column lines.
        const double u_low = std::min(p.u, q.u), u_high = std::max(p.u, q.u);
        const std::int64_t low_cell = floor_nonnegative(u_low);
        const std::int64_t high_line = floor_nonnegative(u_high);
        const std::int64_t high_cell = high_line - (static_cast<double>(high_line) == u_high && u_high > u_low);
        if (high_cell <= low_cell) {
            // One cell; or a vertical piece on a column line, which crosses no cell.
            const std::int64_t cell = std::min(low_cell, m_cols - 1);
            deposit(cell, p, q, sign, u_low == u_high && static_cast<double>(low_cell) == u_low);
            touch(cell, cell + 1);
            return;
        }
        const auto v_at = [&](double u) { return std::clamp(p.v + (u - p.u) * dv_du, p.v, q.v); };
        CellPoint from = p;
        if (q.u > p.u) {
            std::int64_t c = floor_nonnegative(p.u);
            const std::int64_t first = c;
            for (double line = static_cast<double>(c + 1); line < q.u; line += 1, ++c) {
                const CellPoint to{line, v_at(line)};
                deposit(c, from, to, sign, false);
                from = to;
            }
            deposit(c, from, q, sign, false);
            touch(first, c + 1);
        } else {
            std::int64_t c = floor_nonnegative(p.u);
            if (static_cast<double>(c) == p.u) --c;
            c = std::min(c, m_cols - 1);
            const std::int64_t last = c;
            for (double line = static_cast<double>(c); line > q.u; line -= 1, --c) {
                const CellPoint to{line, v_at(line)};
                deposit(c, from, to, sign, false);
                from = to;
            }
            deposit(c, from, q, sign, false);
            touch(c, last + 1);
        }
    }

    /// A horizontal piece inside the row: the cells it spans are crossed.
    void cross(double u_low, double u_high) {
        const std::int64_t c0 = std::min(floor_nonnegative(u_low), m_cols - 1);
        const std::int64_t c1 = std::min(static_cast<std::int64_t>(std::ceil(u_high)) - 1, m_cols - 1);
        for (std::int64_t c = c0; c <= c1; ++c) m_crossed[c] = 1;
        touch(c0, c1);
    }

private:
    /// A piece inside cell c: its signed height times the part of the cell to the right of
    /// it goes to the cell, the rest to the next one (the slot past the last column is
    /// scratch), so that the running sum carries the full height to every cell further
    /// right. A piece on a column line crosses no cell's interior; any other piece crosses
    /// its cell's, even one too flat to change the sum.
    void deposit(std::int64_t c, const CellPoint& p, const CellPoint& q, double sign, bool on_line) {
        const double dy = (q.v - p.v) * sign;
        const double left = static_cast<double>(c);
        const double u_mid = 0.5 * (p.u + q.u);
        m_area[c] += dy * (left + 1 - u_mid);
        m_area[c + 1] += dy * (u_mid - left);
        if (!on_line) m_crossed[c] = 1;
    }

    void touch(std::int64_t first, std::int64_t last) {
        m_touched.emplace_back(first, std::min(last, m_cols - 1));
    }

    std::int64_t m_cols;
    double* m_area;
    std::uint8_t* m_crossed;
    std::vector<std::pair<std::int64_t, std::int64_t>>& m_touched;
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

/// The value of cells between events: an integer in exact arithmetic (see CoverageRasteriser),
/// snapped to it unless rounding could not explain the difference.
double span_fraction(double running_sum) {
    const double magnitude = std::abs(running_sum);
    if (magnitude >= 1) return 1.0;
    const double whole = magnitude < 0.5 ? 0.0 : 1.0;
    return std::abs(magnitude - whole) <= 1e-6 ? whole : magnitude;
}

/// Sorts a row's touched column ranges and merges those that overlap or meet.
void merge_ranges(std::vector<std::pair<std::int64_t, std::int64_t>>& ranges) {
    if (ranges.size() < 2) return;
    // A row is crossed by a few edges: an insertion sort beats std::sort's set-up.
    for (std::size_t i = 1; i < ranges.size(); ++i) {
        const auto moving = ranges[i];
        std::size_t j = i;
        for (; j > 0 && moving.first < ranges[j - 1].first; --j) ranges[j] = ranges[j - 1];
        ranges[j] = moving;
    }
    std::size_t out = 0;
    for (std::size_t i = 1; i < ranges.size(); ++i) {
        if (ranges[i].first <= ranges[out].second + 1) {
            ranges[out].second = std::max(ranges[out].second, ranges[i].second);
        } else {
            ranges[++out] = ranges[i];
        }
    }
    ranges.resize(out + 1);
}

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
    if (window.empty()) return;
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

    // Edges by the row they start in (a counting sort, so equal rows keep the walk's order).
    const auto first_row = [rows](const Edge& e) {
        return static_cast<std::size_t>(std::min(floor_nonnegative(e.top_v), rows - 1));
    };
    m_row_start.assign(static_cast<std::size_t>(rows + 1), 0);
    for (const Edge& e : m_edges) ++m_row_start[first_row(e) + 1];
    for (std::size_t r = 1; r < m_row_start.size(); ++r) m_row_start[r] += m_row_start[r - 1];
    m_by_row.resize(m_edges.size());
    m_next.assign(m_row_start.begin(), m_row_start.end() - 1);
    for (const Edge& e : m_edges) m_by_row[m_next[first_row(e)]++] = e;

    // One row of areas and crossed flags, zero between rows (the sweep clears what it reads).
    if (m_area.size() < static_cast<std::size_t>(cols + 1)) m_area.resize(static_cast<std::size_t>(cols + 1), 0.0);
    if (m_crossed.size() < static_cast<std::size_t>(cols)) m_crossed.resize(static_cast<std::size_t>(cols), 0);
    m_active.clear();
    const auto emit_span = [&out](std::int64_t begin, std::int64_t end, double running_sum) {
        if (end <= begin) return;
        const double f = span_fraction(running_sum);
        if (f > 0) push_run(out.runs, begin, end - begin, f);
    };
    RowAccumulator row(cols, m_area.data(), m_crossed.data(), m_touched);
    for (std::int64_t r = 0; r < rows; ++r) {
        out.row_start[static_cast<std::size_t>(r)] = out.runs.size();
        m_active.insert(m_active.end(), m_by_row.begin() + static_cast<std::ptrdiff_t>(m_row_start[static_cast<std::size_t>(r)]),
                        m_by_row.begin() + static_cast<std::ptrdiff_t>(m_row_start[static_cast<std::size_t>(r + 1)]));
        m_touched.clear();
        const double row_top = static_cast<double>(r), row_bottom = row_top + 1;
        bool some_end = false;
        for (const Edge& e : m_active) {
            if (e.sign == 0) {
                row.cross(e.top_u, e.bottom_u);  // a horizontal piece lies in one row
                some_end = true;
                continue;
            }
            const double v0 = std::max(e.top_v, row_top);
            const double v1 = std::min(e.bottom_v, row_bottom);
            if (v1 > v0) {
                const double u_low = std::min(e.top_u, e.bottom_u), u_high = std::max(e.top_u, e.bottom_u);
                const double u0 = v0 == e.top_v ? e.top_u : std::clamp(e.top_u + (v0 - e.top_v) * e.du_dv, u_low, u_high);
                const double u1 =
                    v1 == e.bottom_v ? e.bottom_u : std::clamp(e.top_u + (v1 - e.top_v) * e.du_dv, u_low, u_high);
                row.add_piece({u0, v0}, {u1, v1}, e.sign, e.dv_du);
            }
            some_end = some_end || e.bottom_v <= row_bottom;
        }
        if (some_end) {
            m_active.erase(std::remove_if(m_active.begin(), m_active.end(),
                                          [row_bottom](const Edge& e) { return e.sign == 0 || e.bottom_v <= row_bottom; }),
                           m_active.end());
        }

        // The running sum along the row: constant between touched cells, so untouched
        // stretches become runs without being read.
        merge_ranges(m_touched);
        double running_sum = m_left_of_window[static_cast<std::size_t>(r)];
        std::int64_t next_col = 0;  // the first cell not yet in a run
        for (const auto& [first, last] : m_touched) {
            for (std::int64_t c = first; c <= last; ++c) {
                const double area = m_area[static_cast<std::size_t>(c)];
                m_area[static_cast<std::size_t>(c)] = 0;
                if (m_crossed[static_cast<std::size_t>(c)]) {
                    m_crossed[static_cast<std::size_t>(c)] = 0;
                    emit_span(next_col, c, running_sum);
                    running_sum += area;
                    const double f = std::min(1.0, std::abs(running_sum));
                    if (f > 0) push_run(out.runs, c, 1, f);
                    next_col = c + 1;
                } else if (area != 0) {
                    emit_span(next_col, c, running_sum);
                    running_sum += area;
                    next_col = c;
                }
            }
        }
        m_area[static_cast<std::size_t>(cols)] = 0;
        emit_span(next_col, cols, running_sum);
    }
    out.row_start[static_cast<std::size_t>(rows)] = out.runs.size();
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
