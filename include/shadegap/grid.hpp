// Grid: the arithmetic of a north-up raster's cells. No I/O.
// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>

namespace shadegap {

/// A rectangular range of cells: rows [row0, row0 + rows), cols [col0, col0 + cols).
struct Window {
    std::int64_t row0 = 0;
    std::int64_t col0 = 0;
    std::int64_t rows = 0;
    std::int64_t cols = 0;
    std::int64_t cell_count() const { return rows * cols; }
    bool empty() const { return rows <= 0 || cols <= 0; }
};

/// A north-up grid: row 0 is the top (largest y), columns grow with x.
/// Cell (r, c) spans x in [x_min + c·cell_width, x_min + (c+1)·cell_width] and
/// y in [y_max − (r+1)·cell_height, y_max − r·cell_height]. Sizes are positive.
struct Grid {
    double x_min = 0;
    double y_max = 0;
    double cell_width = 1;
    double cell_height = 1;
    std::int64_t cols = 0;
    std::int64_t rows = 0;

    double x_max() const { return x_min + static_cast<double>(cols) * cell_width; }
    double y_min() const { return y_max - static_cast<double>(rows) * cell_height; }
    /// Continuous column coordinate of x (0 at the left edge, cols at the right edge).
    double col_of(double x) const { return (x - x_min) / cell_width; }
    /// Continuous row coordinate of y (0 at the top edge, rows at the bottom edge).
    double row_of(double y) const { return (y_max - y) / cell_height; }
    Window full_window() const { return {0, 0, rows, cols}; }
    /// The cells that a box touches, clipped to the grid (empty when disjoint).
    Window window_of(double x_min_box, double y_min_box, double x_max_box, double y_max_box) const;
};

}  // namespace shadegap
