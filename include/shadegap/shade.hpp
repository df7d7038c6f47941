// `shadegap shade`: shade fractions over many sun positions, from building and canopy heights.
// SPDX-License-Identifier: MIT
#pragma once

#include "shadegap/calendar.hpp"
#include "shadegap/error.hpp"
#include "shadegap/place.hpp"
#include "shadegap/progress.hpp"
#include "shadegap/shadow.hpp"
#include "shadegap/sun.hpp"
#include "shadegap/timezone.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace shadegap {

/// Default of `--sun-tolerance`, in degrees: instants whose sun positions fall in one cell of
/// this size (grid azimuth × elevation) share one shadow computation. Chosen and measured in
/// docs/shade.md ("Sun positions computed once").
inline constexpr double default_sun_tolerance_deg = 1.0;

/// The options of `shadegap shade`.
struct ShadeConfig {
    std::string surface;        ///< --surface: opaque heights (DSM − DEM)
    std::string buildings;      ///< --buildings: opaque building heights
    std::string canopy_height;  ///< --canopy-height: canopy heights
    double transmissivity = default_transmissivity;
    DateRange dates;
    ClockWindow window;
    int step_minutes = 15;
    /// --sun-tolerance: the edge in degrees of the (grid azimuth, elevation) cells whose instants
    /// share one shadow; 0 casts every instant at its own position.
    double sun_tolerance_deg = default_sun_tolerance_deg;
    TimeZone zone;
    bool force_tz = false;  ///< --force-tz: skip check_zone_fits_place() (sun.hpp)
    std::string out;        ///< Float32 COG of shade fractions
    std::string masks_dir;  ///< empty: no masks
    bool overwrite = false;
    int threads = 0;
    std::int64_t tile_size = 1024;  ///< library only: tile edge in cells (best a multiple of 512, see docs/library.md)
};

/// One sampled instant of a shade run, as the manifest lists it.
struct ShadeInstant {
    SunSample sample;
    double grid_azimuth_deg = 0;  ///< the sun's azimuth on the grid (true azimuth + convergence)
    bool used = false;            ///< false: the sun is below the horizon, the instant is skipped
    std::string mask;             ///< mask file name when --masks was given and the instant was used
};

/// What a shade run did. It holds no list of the instants (the manifest has them): its size
/// does not grow with their number.
struct ShadeResult {
    RasterPlace place;
    std::size_t sampled_count = 0;       ///< instants sampled (local times that exist in the zone)
    std::vector<LocalDateTime> missing;  ///< local times skipped by a daylight-saving change
    std::size_t used_count = 0;          ///< instants with the sun above the horizon
    std::size_t position_count = 0;      ///< sun positions whose shadows were cast (≤ used_count)
    std::vector<std::string> outputs;  ///< final paths written
    std::string manifest;              ///< path of OUT.json
    double seconds = 0;
    Diagnostics diagnostics;
};

/// The path of the manifest beside `out`: its extension replaced by ".json" (shade.tif →
/// shade.json).
std::string shade_manifest_path(const std::string& out);

/// Runs `shadegap shade`: reads the heights, samples the sun, casts shadows tile by tile and
/// writes the shade fraction (Float32 COG, nodata −9999 where every input is nodata), the masks
/// (Byte COGs, 1 = shadow, nodata 255) and the manifest, each through a temporary name. Throws
/// UsageError for contradictory options or when the sun is below the horizon at every
/// instant, InputError/CrsError for unusable rasters, OutputError for outputs that exist
/// without `overwrite` or cannot be written.
///
/// Memory is bounded by the raster (the tiles' height windows, one tile's sums), not by the
/// number of instants: the instants are made again from the sun's equations at each pass
/// (counting, windows, each tile, masks, manifest) and the manifest is written one instant at
/// a time. With masks, each mask adds its file name to the transaction (tens of bytes).
///
/// With `sun_tolerance_deg` > 0 the instants with the sun up are grouped by the cell of
/// `sun_tolerance_deg` × `sun_tolerance_deg` degrees of (grid azimuth, elevation) they fall in;
/// each group's shadow is cast once, at the mean position of its instants, and counts once for
/// each of them. The groups (a position and the numbers of its instants, 8 bytes per instant)
/// are the only list kept; with 0 there are none and every instant is cast as it is made.
ShadeResult run_shade(const ShadeConfig& config, const ProgressFn& progress = {});

}  // namespace shadegap
