// Internal: the line sweep of shadow casting, shared by cast_shadows() and the `shade` run's tiles.
// SPDX-License-Identifier: MIT
#pragma once

#include "shadegap/grid.hpp"
#include "shadegap/shadow.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
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
    std::int64_t steps_begin = 0;  ///< steps[i] is the step of major index steps_begin + i
    std::vector<Step> steps;

    /// Without `with_steps`, only the direction and the reach (what shadow_window() needs).
    LineFamily(std::int64_t cols, std::int64_t rows, double cell_width_m, double cell_height_m,
               const SunDirection& sun, bool with_steps = true);

    /// With the steps of the major indices [major_begin, major_end) only (a window's), each the
    /// same as in the whole family.
    LineFamily(std::int64_t cols, std::int64_t rows, double cell_width_m, double cell_height_m,
               const SunDirection& sun, std::int64_t major_begin, std::int64_t major_end);

    const Step& step(std::int64_t major) const { return steps[static_cast<std::size_t>(major - steps_begin)]; }

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

/// The heights of a window laid out for the sweeps of one main axis: row `major - major0` holds
/// the window's cells at that major index, in minor order, between `pad` cells of 0 m on either
/// side (a cell of 0 m casts what no cell casts, so the sweep reads one or two cells past the
/// window's side without a test). The opaque layer is always there (0 m when the heights have
/// none); the canopy layer is empty when absent. For the column-major axis this is the window
/// transposed: the sweep then reads consecutive floats for consecutive lines along either axis.
struct SweepPlane {
    static constexpr std::int64_t pad = 2;
    bool columns_major = false;
    std::int64_t major0 = 0;
    std::int64_t majors = 0;
    std::int64_t minor0 = 0;
    std::int64_t minors = 0;
    std::int64_t stride = 0;  ///< minors + 2 · pad
    std::vector<float> opaque;
    std::vector<float> canopy;
};

/// `heights` laid out for the sweeps along columns (`columns_major`) or rows, built with
/// `threads` threads.
SweepPlane make_plane(const HeightWindow& heights, bool columns_major, int threads);

/// The same from layers held elsewhere (null: absent): cell (row, col) of the raster at
/// [(row − source_row0) · source_cols + col − source_col0], sanitised on the way; `window` is
/// the part laid out.
SweepPlane make_plane(const float* opaque, const float* canopy, std::int64_t source_cols, std::int64_t source_row0,
                      std::int64_t source_col0, const Window& window, bool columns_major, int threads);

/// The rows and columns a tile's shadows depend on for one direction: the tile, stretched
/// toward the sun by the longest shadow, with two cells of slack, clipped to the grid.
Window shadow_window(const LineFamily& family, const Window& tile, std::int64_t reach, std::int64_t cols,
                     std::int64_t rows);

/// The smallest window holding both (`a` may be empty).
Window union_of(const Window& a, const Window& b);

/// The largest number of lines one thread sweeps side by side (one chunk of work).
inline constexpr std::int64_t lines_per_chunk = 512;

/// The Shadow codes of the points of lines [l0, l1) at one major index, as doubles (0, 1, 2:
/// selects between doubles are what the compiler can run over several lines at once on any
/// x86-64): `op` and `cp` the plane's row there (indexed by minor index), `ro` and `rc` the
/// lines' reach so far (indexed by line). With `Ahead`, the cell the line enters past its
/// point (at z_cross) counts too.
template <bool Canopy, bool Ahead>
inline void classify_points(std::int64_t l0, std::int64_t l1, std::int64_t sample_off, std::int64_t out_off,
                            double z_sample, double z_cross, const float* op, const float* cp, const double* ro,
                            const double* rc, double* code) {
    for (std::int64_t l = l0; l < l1; ++l) {
        const double own = op[l + sample_off];
        const double looking = own - z_sample;
        double ahead_o = ro[l];
        if constexpr (Ahead) ahead_o = std::max(ahead_o, static_cast<double>(op[l + out_off]) - z_cross);
        double under_canopy = 0.0;
        if constexpr (Canopy) {
            double ahead_c = rc[l];
            if constexpr (Ahead) ahead_c = std::max(ahead_c, static_cast<double>(cp[l + out_off]) - z_cross);
            under_canopy = ahead_c > looking ? 1.0 : 0.0;
            under_canopy = static_cast<double>(cp[l + sample_off]) > own ? 1.0 : under_canopy;
        }
        code[l] = ahead_o > looking ? 2.0 : under_canopy;
    }
}

/// Carries the cells that lines [l0, l1) enter at one major index into their reach: the cell
/// entered at z_in and, when the line `crosses` into a second cell, that one at z_cross.
template <bool Crosses>
inline void carry_reach(std::int64_t l0, std::int64_t l1, std::int64_t in_off, std::int64_t out_off, double z_in,
                        double z_cross, const float* row, double* reach) {
    for (std::int64_t l = l0; l < l1; ++l) {
        double entered = static_cast<double>(row[l + in_off]) - z_in;
        if constexpr (Crosses) entered = std::max(entered, static_cast<double>(row[l + out_off]) - z_cross);
        reach[l] = std::max(reach[l], entered);
    }
}

/// Casts the shadows of one direction over the cells of `tile`, handing them to `emit` as they
/// are found: emit(major, minor, count, codes) for the `count` cells at major index `major`
/// and minor indices minor … minor + count − 1, `codes` (doubles: 0, 1, 2) their Shadow values.
/// Called from `threads` threads at once, for disjoint cells; every cell of the tile exactly once.
///
/// The lines that cross the tile are cut into chunks of consecutive lines, and each chunk is
/// swept from the far end of the halo toward the tile one major index at a time, all its
/// lines side by side: at each major index the lines read consecutive heights of one row of
/// the plane, and carry the highest reach (h − z) of the surfaces met so far. A line starts
/// at the tile's far edge plus `reach` steps, whatever its own run in the tile: a surface
/// further than `reach` steps lies below every ray, so it changes nothing, and the result is
/// the one of a sweep of each line from its own start (the ray march's, cell for cell).
template <class Emit>
void sweep_plane(const LineFamily& family, const SweepPlane& plane, const Window& tile, std::int64_t reach,
                 int threads, const Emit& emit) {
    constexpr double no_reach = -std::numeric_limits<double>::infinity();
    const bool cm = family.columns_major;
    const std::int64_t tile_major0 = cm ? tile.col0 : tile.row0;
    const std::int64_t tile_major1 = tile_major0 + (cm ? tile.cols : tile.rows);
    const std::int64_t tile_minor0 = cm ? tile.row0 : tile.col0;
    const std::int64_t tile_minor1 = tile_minor0 + (cm ? tile.rows : tile.cols);
    const std::int64_t off_first = family.step(tile_major0).sample_off;
    const std::int64_t off_last = family.step(tile_major1 - 1).sample_off;
    const std::int64_t line0 = tile_minor0 - std::max(off_first, off_last);
    const std::int64_t line1 = tile_minor1 - std::min(off_first, off_last);  // exclusive
    const std::int64_t span = std::min(reach, family.majors);
    const int sigma = family.sigma;
    const std::int64_t first = sigma > 0 ? std::min(tile_major1 - 1 + span, plane.major0 + plane.majors - 1)
                                         : std::max(tile_major0 - span, plane.major0);
    const std::int64_t last = sigma > 0 ? tile_major0 : tile_major1 - 1;
    // In-cells within a cell of the window: their out-cells lie in the padding at worst.
    const std::int64_t read_minor0 = plane.minor0 - 1;
    const std::int64_t read_minor1 = plane.minor0 + plane.minors + 1;
    const std::int64_t chunks = (line1 - line0 + lines_per_chunk - 1) / lines_per_chunk;
    const bool has_canopy = !plane.canopy.empty();

#pragma omp parallel num_threads(threads)
    {
        std::vector<double> reach_opaque(static_cast<std::size_t>(lines_per_chunk));
        std::vector<double> reach_canopy(static_cast<std::size_t>(lines_per_chunk));
        std::vector<double> codes(static_cast<std::size_t>(lines_per_chunk));
#pragma omp for schedule(dynamic, 1)
        for (std::int64_t chunk = 0; chunk < chunks; ++chunk) {
            const std::int64_t l0 = line0 + chunk * lines_per_chunk;
            const std::int64_t l1 = std::min(l0 + lines_per_chunk, line1);
            std::fill(reach_opaque.begin(), reach_opaque.end(), no_reach);
            std::fill(reach_canopy.begin(), reach_canopy.end(), no_reach);
            double* const ro = reach_opaque.data() - l0;  // indexed by line
            double* const rc = reach_canopy.data() - l0;
            for (std::int64_t a = first;; a -= sigma) {
                const Step& s = family.step(a);
                const std::int64_t row_at = (a - plane.major0) * plane.stride + SweepPlane::pad - plane.minor0;
                const float* const op = plane.opaque.data() + row_at;  // indexed by minor
                const float* const cp = has_canopy ? plane.canopy.data() + row_at : nullptr;
                const std::int64_t in_off = s.in_off;
                const std::int64_t out_off = s.out_off;
                const double z_in = s.z_in;
                const double z_cross = s.z_cross;
                if (a >= tile_major0 && a < tile_major1) {
                    // The lines whose point at this major index lies in the tile.
                    const std::int64_t so = s.sample_off;
                    const std::int64_t s0 = std::max(l0, tile_minor0 - so);
                    const std::int64_t s1 = std::min(l1, tile_minor1 - so);
                    const double z_sample = s.z_sample;
                    double* const code = codes.data() - s0;
                    const bool ahead = s.crosses && s.cross_ahead;
                    if (has_canopy) {
                        if (ahead) classify_points<true, true>(s0, s1, so, out_off, z_sample, z_cross, op, cp, ro, rc, code);
                        else classify_points<true, false>(s0, s1, so, out_off, z_sample, z_cross, op, cp, ro, rc, code);
                    } else {
                        if (ahead) classify_points<false, true>(s0, s1, so, out_off, z_sample, z_cross, op, cp, ro, rc, code);
                        else classify_points<false, false>(s0, s1, so, out_off, z_sample, z_cross, op, cp, ro, rc, code);
                    }
                    if (s0 < s1) emit(a, s0 + so, s1 - s0, codes.data());
                }
                if (a == last) break;
                // Carry the cells this step enters into the reach of the lines.
                const std::int64_t u0 = std::max(l0, read_minor0 - in_off);
                const std::int64_t u1 = std::min(l1, read_minor1 - in_off);
                if (s.crosses) {
                    carry_reach<true>(u0, u1, in_off, out_off, z_in, z_cross, op, ro);
                    if (has_canopy) carry_reach<true>(u0, u1, in_off, out_off, z_in, z_cross, cp, rc);
                } else {
                    carry_reach<false>(u0, u1, in_off, out_off, z_in, z_cross, op, ro);
                    if (has_canopy) carry_reach<false>(u0, u1, in_off, out_off, z_in, z_cross, cp, rc);
                }
            }
        }
    }
}

}  // namespace shadegap::detail
