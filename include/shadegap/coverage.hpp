// Exact coverage fractions of grid cells by a polygon.
// SPDX-License-Identifier: MIT
#pragma once

#include "shadegap/geometry.hpp"
#include "shadegap/grid.hpp"

#include <vector>

namespace shadegap {

/// Fractions f in [0, 1] of each cell of `window` covered by a polygon, row-major.
struct CoverageMatrix {
    Window window;
    std::vector<double> fractions;
    double at(std::int64_t row, std::int64_t col) const {
        return fractions[static_cast<std::size_t>((row - window.row0) * window.cols + (col - window.col0))];
    }
};

/// Exact coverage: f = area(P ∩ cell) / area(cell), computed from signed edge areas
/// accumulated per cell and a prefix sum along each row, so O(edge crossings + cells in
/// the window). Cells no edge passes through come out exactly 0 or 1. Parts of the polygon outside the window do not count; holes and
/// multipolygons are handled by signed areas (parts must not overlap). Thread-safe.
/// Throws GeometryError for a vertex that is not finite, or that lies more than 2^52 cells
/// from the grid's origin (a corrupt coordinate or a wrong CRS: cell arithmetic would overflow).
CoverageMatrix compute_coverage(const Grid& grid, const Window& window, const MultiPolygon& polygon);

}  // namespace shadegap
