// Internal: exact coverage as runs of cells per row, so interiors cost no per-cell geometry.
// SPDX-License-Identifier: MIT
#pragma once

#include "shadegap/geometry.hpp"
#include "shadegap/grid.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
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

/// The value of cells between edge cells: an integer in exact arithmetic (see
/// CoverageRasteriser), snapped to it unless rounding could not explain the difference.
inline double span_fraction(double running_sum) {
    const double magnitude = std::abs(running_sum);
    if (magnitude >= 1) return 1.0;
    const double whole = magnitude < 0.5 ? 0.0 : 1.0;
    return std::abs(magnitude - whole) <= 1e-6 ? whole : magnitude;
}

/// Computes CoverageRuns with buffers that it keeps from one call to the next. One instance
/// per thread; the result depends only on the arguments, never on earlier calls.
///
/// The method: every edge is walked cell by cell and cut at row and column lines into
/// pieces that each lie in one cell. A piece of signed height dy (+ going down) at mean
/// column u_mid in cell c covers (c + 1 − u_mid) · dy of that cell and adds dy to the
/// running sum of every cell to its right (the font rasterisers' signed-area method). Each
/// row keeps its first pieces in place, sorted by column as they are cut (a row usually
/// holds two), the rest chained; then the rows are swept left to right: the running sum is
/// constant between the cells that pieces lie in, so nothing is read or written per cell. A
/// cell no edge passes through is wholly inside or outside, so its running sum is an integer
/// up to rounding and is snapped to it: interiors come out as exact ones.
class CoverageRasteriser {
public:
    /// Throws GeometryError for a non-finite vertex, or one more than 2^52 cells from the grid.
    void compute(const Grid& grid, const Window& window, const MultiPolygon& polygon, CoverageRuns& out);
    /// The same for a polygon prepared with to_cell_polygon on the window's grid.
    void compute(const CellPolygon& polygon, const Window& window, CoverageRuns& out);

    /// The same coverage handed to `sink` instead of stored, so that a caller can count the
    /// cells as they come. For each row r of the window, top to bottom: sink.row(r), then,
    /// left to right, sink.span(col, count, f) for cells between edge cells (f in (0, 1],
    /// exactly 1 inside) and sink.cell(col, f) for each cell that an edge crosses (f in
    /// (0, 1]). Columns are relative to the window; cells of fraction 0 are left out.
    template <typename Sink>
    void stream(const CellPolygon& polygon, const Window& window, Sink& sink) {
        if (window.empty()) return;
        cut(polygon, window);
        sweep(window, sink);
    }

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

    /// A piece of an edge inside one cell of a row: the change of the running sum past the
    /// cell (dy), the part of it inside the cell (partial), and whether the piece crosses the
    /// cell's interior (odd `col_and_crossed`); past a row's capacity, chained to the row's
    /// previous piece.
    struct CellPiece {
        double dy;
        double partial;
        std::int64_t col_and_crossed;
        std::uint64_t next;  ///< 1 + the index of the row's previous piece, 0 for none
    };

    /// Pieces a row keeps in place, sorted by column as they come; the rest are chained and
    /// sorted in when the row is swept.
    static constexpr std::uint32_t row_capacity = 4;

    /// Makes room for a piece of `col_and_crossed` = key among pieces[0, n), sorted by it
    /// (a row holds a few: an insertion sort; equal keys keep their order, the new one
    /// last): moves the greater ones up by one and returns the free index. pieces[n] must exist.
    static std::size_t make_room(CellPiece* pieces, std::size_t n, std::int64_t key) {
        std::size_t j = n;
        for (; j > 0 && key < pieces[j - 1].col_and_crossed; --j) pieces[j] = pieces[j - 1];
        return j;
    }

private:
    /// Cuts the polygon's edges inside a window (not empty) into cell pieces, by row.
    void cut(const CellPolygon& polygon, const Window& window);
    template <typename Sink>
    void sweep(const Window& window, Sink& sink);

    std::vector<Edge> m_edges;               ///< the window's edge pieces, as walked
    std::vector<double> m_left_of_window;    ///< per row: the signed height of edges left of the window
    std::vector<CellPiece> m_pieces;         ///< rows' pieces past capacity, chained per row
    std::vector<std::uint64_t> m_row_head;   ///< per row past capacity: its last chained piece, or none
    std::vector<CellPiece> m_row_slots;      ///< per row: its first pieces, sorted by column
    std::vector<std::uint32_t> m_row_count;  ///< per row: its pieces
    std::vector<CellPiece> m_row_pieces;     ///< the current row's pieces, sorted by column
};

template <typename Sink>
void CoverageRasteriser::sweep(const Window& window, Sink& sink) {
    const auto emit_span = [&sink](std::int64_t begin, std::int64_t end, double running_sum) {
        if (end <= begin) return;
        const double f = span_fraction(running_sum);
        if (f > 0) sink.span(begin, end - begin, f);
    };
    for (std::int64_t r = 0; r < window.rows; ++r) {
        sink.row(r);
        const std::uint32_t count = m_row_count[static_cast<std::size_t>(r)];
        const CellPiece* row_pieces = &m_row_slots[static_cast<std::size_t>(r) * row_capacity];
        std::size_t n = count;
        if (count > row_capacity) {
            m_row_pieces.assign(row_pieces, row_pieces + row_capacity);
            for (std::uint64_t i = m_row_head[static_cast<std::size_t>(r)]; i != 0; i = m_pieces[i - 1].next) {
                const CellPiece& moving = m_pieces[i - 1];
                m_row_pieces.emplace_back();
                m_row_pieces[make_room(m_row_pieces.data(), m_row_pieces.size() - 1, moving.col_and_crossed)] = moving;
            }
            row_pieces = m_row_pieces.data();
            n = m_row_pieces.size();
        }
        // The running sum along the row: constant between the cells that pieces lie in.
        double running_sum = m_left_of_window[static_cast<std::size_t>(r)];
        std::int64_t next_col = 0;  // the first cell not yet handed on
        for (std::size_t i = 0; i < n;) {
            const std::int64_t c = row_pieces[i].col_and_crossed >> 1;
            double dy = 0, partial = 0;
            bool crossed = false;
            for (; i < n && (row_pieces[i].col_and_crossed >> 1) == c; ++i) {
                dy += row_pieces[i].dy;
                partial += row_pieces[i].partial;
                crossed = crossed || (row_pieces[i].col_and_crossed & 1) != 0;
            }
            if (crossed) {
                emit_span(next_col, c, running_sum);
                const double f = std::min(1.0, std::abs(running_sum + partial));
                if (f > 0) sink.cell(c, f);
                running_sum += dy;
                next_col = c + 1;
            } else if (dy != 0) {
                // Pieces on the cell's left line: the sum changes from this cell on.
                emit_span(next_col, c, running_sum);
                running_sum += dy;
                next_col = c;
            }
        }
        emit_span(next_col, window.cols, running_sum);
    }
}

}  // namespace shadegap::detail
