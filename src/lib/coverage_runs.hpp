// Internal: exact coverage as runs of cells per row, so interiors cost no per-cell geometry.
// SPDX-License-Identifier: MIT
#pragma once

#include "shadegap/geometry.hpp"
#include "shadegap/grid.hpp"

#include <cstdint>
#include <utility>
#include <vector>

namespace shadegap::detail {

/// Cells [col, col + count) of one row of a window (columns relative to the window) that
/// a polygon covers with the same fraction f in (0, 1]. A cell that the polygon's boundary
/// crosses is a run of its own; the cells between two such cells share one run, whose
/// fraction is exactly 1 when they are inside (they are never partly covered).
struct CoverageRun {
    std::int64_t col;
    std::int64_t count;
    double fraction;
};

/// The runs of every row of a window: row r's runs are runs[row_start[r] .. row_start[r + 1]),
/// left to right, cells of fraction 0 left out.
struct CoverageRuns {
    Window window;
    std::vector<CoverageRun> runs;
    std::vector<std::size_t> row_start;
};

/// A polygon in a grid's cell coordinates (u: continuous column, v: continuous row), each
/// ring oriented so that the inside winds +1: prepared once, then rasterised over as many
/// windows (blocks) as it meets.
struct CellPolygon {
    struct Vertex {
        double u;
        double v;
    };
    std::vector<std::vector<Vertex>> rings;  ///< edges run from each vertex to the next, the last to the first
};

/// Throws GeometryError for a non-finite vertex, or one more than 2^52 cells from the grid's
/// origin (where cell arithmetic would overflow). Rings with fewer than three distinct
/// points are left out.
CellPolygon to_cell_polygon(const Grid& grid, const MultiPolygon& polygon);

/// Computes CoverageRuns with buffers that it keeps from one call to the next. One instance
/// per thread; the result depends only on the arguments, never on earlier calls.
///
/// The method: every edge piece inside a cell deposits its signed height, split between
/// that cell and the next by where it lies (the font rasterisers' signed-area method), and a
/// running sum along each row turns deposits into coverage. Rows are swept one at a time
/// with the edges that cross them (a scanline), and only the cells that an edge touched
/// are read back: the sum is constant between them. A cell no edge passes through is
/// wholly inside or outside, so its running sum is an integer up to rounding and is
/// snapped to it: interiors come out as exact ones.
class CoverageRasteriser {
public:
    /// Throws GeometryError for a non-finite vertex, or one more than 2^52 cells from the grid.
    void compute(const Grid& grid, const Window& window, const MultiPolygon& polygon, CoverageRuns& out);
    /// The same for a polygon prepared with to_cell_polygon on the window's grid.
    void compute(const CellPolygon& polygon, const Window& window, CoverageRuns& out);

    /// A piece of a polygon edge inside the window's columns, in window cell coordinates,
    /// from its top (smaller v) to its bottom. sign is +1 for an edge going down, −1 for
    /// one going up, 0 for a horizontal piece (which only marks the cells it crosses).
    struct Edge {
        double top_u;
        double top_v;
        double bottom_u;
        double bottom_v;
        double du_dv;
        double dv_du;  ///< 0 for a vertical edge
        double sign;
    };

private:
    std::vector<Edge> m_edges;                 ///< as walked
    std::vector<Edge> m_by_row;                ///< by the row they start in
    std::vector<std::size_t> m_row_start;      ///< where each row's edges start in m_by_row
    std::vector<std::size_t> m_next;           ///< the counting sort's next slot per row
    std::vector<Edge> m_active;                ///< the edges crossing the current row
    std::vector<double> m_left_of_window;      ///< per row: the signed height of edges left of the window
    std::vector<double> m_area;                ///< the current row's deposits, one slot past the last column
    std::vector<std::uint8_t> m_crossed;       ///< the current row's cells that an edge passes through
    std::vector<std::pair<std::int64_t, std::int64_t>> m_touched;  ///< column ranges touched in the row
};

}  // namespace shadegap::detail
