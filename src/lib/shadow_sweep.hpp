// Internal: the line sweep of shadow casting, shared by cast_shadows() and the `shade` run's tiles.
// SPDX-License-Identifier: MIT
#pragma once

#include "shadegap/grid.hpp"
#include "shadegap/shadow.hpp"

#include <cmath>
#include <cstdint>
#include <vector>

namespace shadegap::detail {

/// A height as the casting reads it: NaN and negative values are no surface.
inline float sanitize_height(double value) {
    return std::isfinite(value) && value > 0 ? static_cast<float>(value) : 0.0F;
}

/// What a line meets in one step along the sun's main axis. Lines run parallel to the sun's
/// direction; in index coordinates (cell centres on integers) line ℓ is minor = ℓ + slope·major.
/// Over the step at major index a (major from a − ½ to a + ½) it crosses the cell ℓ + in_off,
/// entered where the step begins on the side away from the sun, and, when `crosses`, the cell
/// ℓ + out_off, entered where the line crosses the boundary between the two. The line's point
/// at major a lies in cell ℓ + sample_off: the cell this line looks from. The z values are the
/// rise of a ray toward the sun at each point, in metres, up to a per-direction constant: a
/// surface of height h entered at z shades the point at z_sample of a cell looking from height
/// h0 when h − z > h0 − z_sample.
struct Step {
    std::int64_t in_off = 0;
    std::int64_t out_off = 0;
    std::int64_t sample_off = 0;
    double z_in = 0;
    double z_cross = 0;
    double z_sample = 0;
    bool crosses = false;
    bool cross_ahead = false;  ///< the second cell is entered at or past the sample point
};

/// The family of lines of one sun direction over a grid: which axis the sun mostly lies along,
/// and the steps of every major index. Shared by the sweep and the ray march, so both see the
/// same cells at the same heights of the ray.
struct LineFamily {
    bool columns_major = true;  ///< major axis = columns (the sun lies more east–west)
    int sigma = 1;              ///< +1 when the sun lies toward increasing major index
    double slope = 0;           ///< minor index change per major index step, |slope| ≤ 1
    double metres_per_step = 1; ///< ray length in metres over one major step
    double tan_elevation = 1;
    std::int64_t majors = 0;
    std::int64_t minors = 0;
    std::vector<Step> steps;

    /// Without `with_steps`, only the direction and the reach (what shadow_window() needs).
    LineFamily(std::int64_t cols, std::int64_t rows, double cell_width_m, double cell_height_m,
               const SunDirection& sun, bool with_steps = true);

    /// Major steps a ray climbs before it rises `height_m` above where it started, plus slack
    /// for the cell a step begins in.
    std::int64_t reach_steps(double height_m) const;
};

/// Heights of a window of the raster, sanitised, row-major; a layer is empty when absent.
struct HeightWindow {
    Window window;
    std::vector<float> opaque;
    std::vector<float> canopy;
};

/// The rows and columns a tile's shadows depend on for one direction: the tile, stretched
/// toward the sun by the longest shadow, with two cells of slack, clipped to the grid.
Window shadow_window(const LineFamily& family, const Window& tile, std::int64_t reach, std::int64_t cols,
                     std::int64_t rows);

/// The smallest window holding both (`a` may be empty).
Window union_of(const Window& a, const Window& b);

/// Casts the shadows of one direction into the cells of `tile` (row-major, tile.rows × tile.cols),
/// sweeping each line that crosses the tile from the far end of its halo toward the tile, and
/// carrying the highest reach of the surfaces met so far.
void sweep_tile(const LineFamily& family, const HeightWindow& heights, const Window& tile, std::int64_t reach,
                int threads, std::uint8_t* out);

}  // namespace shadegap::detail
