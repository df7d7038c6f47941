// Grid arithmetic.
// SPDX-License-Identifier: MIT
#include "shadegap/grid.hpp"

#include <algorithm>
#include <cmath>

namespace shadegap {

Window Grid::window_of(double bx_min, double by_min, double bx_max, double by_max) const {
    if (!(bx_min <= bx_max && by_min <= by_max)) return {};
    const double c0 = std::floor(col_of(bx_min));
    const double c1 = std::ceil(col_of(bx_max));
    const double r0 = std::floor(row_of(by_max));
    const double r1 = std::ceil(row_of(by_min));
    const auto clamp_col = [&](double v) {
        return static_cast<std::int64_t>(std::clamp(v, 0.0, static_cast<double>(cols)));
    };
    const auto clamp_row = [&](double v) {
        return static_cast<std::int64_t>(std::clamp(v, 0.0, static_cast<double>(rows)));
    };
    Window w;
    w.col0 = clamp_col(c0);
    w.row0 = clamp_row(r0);
    w.cols = std::max<std::int64_t>(0, clamp_col(c1) - w.col0);
    w.rows = std::max<std::int64_t>(0, clamp_row(r1) - w.row0);
    if (w.empty()) return {};
    return w;
}

}  // namespace shadegap
