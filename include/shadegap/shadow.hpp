// Shadows cast by building and canopy heights on a grid for one sun direction.
// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <vector>

namespace shadegap {

/// The sun's direction over a raster: azimuth in degrees clockwise from the grid's north
/// (the raster's +y axis; see RasterPlace::grid_convergence_deg for the step from true north)
/// and apparent elevation in degrees above the horizon.
struct SunDirection {
    double azimuth_deg = 180;
    double elevation_deg = 45;
};

/// Heights above ground, in metres, on a north-up grid (row-major, top row first, cols × rows
/// values per layer). A layer is absent when empty. NaN and negative values are read as 0 m
/// (no surface). Cell sizes are in metres.
struct HeightModel {
    std::int64_t cols = 0;
    std::int64_t rows = 0;
    double cell_width_m = 1;
    double cell_height_m = 1;
    std::vector<float> opaque;  ///< buildings, or a whole surface (--surface): no light passes
    std::vector<float> canopy;  ///< tree canopy: a share `transmissivity` of the light passes
};

/// What keeps the sun off a cell at one instant (the values of cast_shadows()).
enum class Shadow : std::uint8_t {
    none = 0,    ///< in the sun
    canopy = 1,  ///< behind or under canopy only
    opaque = 2,  ///< behind a building or an opaque surface
};

struct CastOptions {
    std::int64_t tile_size = 1024;  ///< edge of the square output tiles, cells (≥ 1)
    int threads = 0;                ///< 0: all cores
};

/// The shadow of every cell of `heights` with the sun in `sun` (Shadow values, row-major).
///
/// The light model (docs/shade.md): each cell is a vertical prism as tall as its height; canopy
/// prisms stand from the ground to the canopy height. A cell is looked at from the top of its
/// opaque height (the ground, a roof); it is in shadow when the ray from there toward the sun
/// enters a prism below the prism's top. The ray starts on the cell's own centre line across
/// the sun's main axis (within the cell), and follows the straight line toward the sun through
/// every cell it crosses, entering each at the exact crossing point. A cell whose canopy rises
/// above its opaque height is under its own crown, so in canopy shadow. An opaque shadow wins
/// over a canopy one. Cells outside the grid cast nothing.
///
/// The work is a sweep along lines parallel to the sun's direction, one pass per line, in
/// tiles with a halo as long as the longest shadow: O(cells) per sun position, parallel over
/// lines with OpenMP, with the same result for any tile size and thread count. Reentrant: it
/// keeps no state between calls. Throws UsageError (subject "elevation") when the sun is not above the horizon
/// (elevation ≤ 0) and InputError when a layer's size does not match cols × rows.
std::vector<std::uint8_t> cast_shadows(const HeightModel& heights, const SunDirection& sun,
                                       const CastOptions& options = {});

/// The same shadows by a straightforward ray march from every cell: O(shadow length) per cell,
/// serial, no tiles. The reference that cast_shadows() must equal cell for cell (tests,
/// bench/shade). It walks the same lines and crossings, so what it checks is the sweep's
/// bookkeeping (carried maxima, halos, tiles, threads); the tests check the lines and
/// crossings themselves against analytic box shadows. Same errors as cast_shadows().
std::vector<std::uint8_t> cast_shadows_by_ray_march(const HeightModel& heights, const SunDirection& sun);

/// Default share of direct sunlight that canopy lets through (--transmissivity); docs/shade.md
/// gives the sources.
constexpr double default_transmissivity = 0.03;

}  // namespace shadegap
