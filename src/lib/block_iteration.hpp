// Internal: the division of a raster into rectangular blocks, numbered row-major.
// SPDX-License-Identifier: MIT
#pragma once

#include "shadegap/grid.hpp"

#include <algorithm>
#include <cstdint>

namespace shadegap::detail {

/// Blocks of block_rows × block_cols cells covering `rows` × `cols` cells; the last
/// block of a row or column of blocks is cut at the raster's edge.
class BlockLayout {
public:
    BlockLayout(std::int64_t rows, std::int64_t cols, std::int64_t block_rows, std::int64_t block_cols)
        : m_rows(rows),
          m_cols(cols),
          m_block_rows(std::max<std::int64_t>(1, block_rows)),
          m_block_cols(std::max<std::int64_t>(1, block_cols)),
          m_blocks_down(rows > 0 ? (rows + m_block_rows - 1) / m_block_rows : 0),
          m_blocks_across(cols > 0 ? (cols + m_block_cols - 1) / m_block_cols : 0) {}

    std::int64_t count() const { return m_blocks_down * m_blocks_across; }
    std::int64_t block_rows() const { return m_block_rows; }
    std::int64_t block_cols() const { return m_block_cols; }

    /// The window of block `index` (0 ≤ index < count()), row-major.
    Window window(std::int64_t index) const {
        const std::int64_t block_row = index / m_blocks_across;
        const std::int64_t block_col = index % m_blocks_across;
        Window w;
        w.row0 = block_row * m_block_rows;
        w.col0 = block_col * m_block_cols;
        w.rows = std::min(m_block_rows, m_rows - w.row0);
        w.cols = std::min(m_block_cols, m_cols - w.col0);
        return w;
    }

private:
    std::int64_t m_rows;
    std::int64_t m_cols;
    std::int64_t m_block_rows;
    std::int64_t m_block_cols;
    std::int64_t m_blocks_down;
    std::int64_t m_blocks_across;
};

/// The cells that two windows share (empty when they are disjoint).
inline Window intersect(const Window& a, const Window& b) {
    const std::int64_t row0 = std::max(a.row0, b.row0);
    const std::int64_t col0 = std::max(a.col0, b.col0);
    const std::int64_t row1 = std::min(a.row0 + a.rows, b.row0 + b.rows);
    const std::int64_t col1 = std::min(a.col0 + a.cols, b.col0 + b.cols);
    if (row1 <= row0 || col1 <= col0) return {};
    return {row0, col0, row1 - row0, col1 - col0};
}

}  // namespace shadegap::detail
