// The overlay: exact zonal sums of canopy, valid, water, nodata and shade area per zone.
// SPDX-License-Identifier: MIT
#pragma once

#include "shadegap/config.hpp"
#include "shadegap/error.hpp"
#include "shadegap/geometry.hpp"
#include "shadegap/progress.hpp"
#include "shadegap/raster.hpp"

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

namespace shadegap {

/// Sums for one zone, m². With f_i the covered fraction and a_i the area of cell i:
/// valid_m2 = Σ f_i a_i over valid land cells (not nodata, not water),
/// canopy_m2 = Σ f_i a_i c_i over the same cells, water_m2 over water cells,
/// nodata_m2 over nodata cells. covered_m2 is the zone's area inside the raster.
/// With a shade raster (OverlayOptions::shade), s_i its shade fraction and m_i = 1 for the
/// cells of the shade mask: shade_mask_m2 = Σ f_i a_i m_i over valid land cells whose
/// shade value is not nodata, shade_m2 = Σ f_i a_i m_i s_i over the same cells.
/// With OverlayOptions::residential_classes, r_i = 1 for the valid land cells of those
/// classes: residential_m2 = Σ f_i a_i r_i (0 without the option).
struct ZoneSums {
    double valid_m2 = 0;
    double canopy_m2 = 0;
    double water_m2 = 0;
    double nodata_m2 = 0;
    double covered_m2 = 0;
    double shade_mask_m2 = 0;
    double shade_m2 = 0;
    double residential_m2 = 0;
    void merge(const ZoneSums& other) {
        valid_m2 += other.valid_m2;
        canopy_m2 += other.canopy_m2;
        water_m2 += other.water_m2;
        nodata_m2 += other.nodata_m2;
        covered_m2 += other.covered_m2;
        shade_mask_m2 += other.shade_mask_m2;
        shade_m2 += other.shade_m2;
        residential_m2 += other.residential_m2;
    }
};

/// Which valid land cells of the canopy raster a shade fraction is averaged over.
struct ShadeMask {
    /// Exclude: every valid land cell (not nodata, not water) whose value is not one of
    /// `classes` (the `land` mask, classes = buildings). Include: the valid land cells whose
    /// value is one of `classes` (the `walkable` mask: roads, sidewalks, open ground).
    enum class Type { Exclude, Include };
    Type type = Type::Exclude;
    std::vector<double> classes;
    bool contains(double value) const {
        const bool listed = std::find(classes.begin(), classes.end(), value) != classes.end();
        return type == Type::Include ? listed : !listed;
    }
};

/// A shade-fraction raster (0–1, e.g. from `shadegap shade`) summed beside the canopy.
struct ShadeOptions {
    std::string path;  ///< empty: no shade sums
    ShadeMask mask;
};

struct OverlayOptions {
    CanopyKind kind;
    std::vector<double> water_classes;  ///< cell values that are water (excluded from land)
    ShadeOptions shade;                 ///< a shade raster on the same grid, or none
    /// Land-cover values of the cells where people live (summed into residential_m2); empty: none.
    std::vector<double> residential_classes;
    int threads = all_cores;            ///< see resolve_threads(); below 0 is a UsageError
    int block_rows = 0;                 ///< 0: the raster's natural block (tests shrink it)
    int block_cols = 0;
};

/// Exact zonal sums of `zones` (already in the raster's CRS) over the raster at `path`.
/// Streams the raster block by block, one GDAL dataset per thread, and reads only the
/// blocks some zone meets; the result is identical for any thread count (each block's sums
/// are merged in block order). Memory does not grow with the raster's size: each thread
/// holds one block, and while the call runs GDAL's block cache is held to about one block
/// row of the raster per thread unless GDAL_CACHEMAX is set (tiled rasters read in whole
/// tiles bypass the cache). Progress is reported on the calling thread, between batches
/// of blocks, never from inside a parallel region. A cell value the canopy kind cannot hold
/// throws InputError naming the file, the value and the cell.
///
/// With options.shade.path, the shade raster is read block by block beside the canopy
/// raster and summed with the same coverage fractions (with a Byte canopy raster and a
/// Float32 shade raster, in the same sweep as the Byte counting; the shade sums have the
/// same bits either way). Without a block size in the options, blocks are grown to whole
/// natural blocks of both rasters where that stays within 2^20 cells. It must have the canopy raster's
/// grid (size, origin, cell size) and CRS: no resampling happens, and a different grid or
/// CRS throws InputError / CrsError naming the shade file (see require_same_grid). A shade
/// value outside 0–1 in a covered cell throws InputError naming the file, the value and the
/// cell; shade nodata (or NaN) leaves the cell out of both shade sums.
std::vector<ZoneSums> overlay_zones(const std::string& raster_path,
                                    const std::vector<MultiPolygon>& zones,
                                    const OverlayOptions& options,
                                    const ProgressFn& progress = {});

/// Area-weighted sums of a raster of plain values (a land-surface temperature in °C) over
/// one zone, m²: with f_i the covered fraction, a_i the area and v_i the value of cell i,
/// valid_m2 = Σ f_i a_i and value_m2 = Σ f_i a_i v_i over the cells with a value (not
/// nodata, not NaN; any finite value, negative too).
struct ZoneMean {
    double valid_m2 = 0;
    double value_m2 = 0;
    /// Σ f a v / Σ f a, nullopt when no covered cell has a value.
    std::optional<double> mean() const {
        if (!(valid_m2 > 0)) return std::nullopt;
        return value_m2 / valid_m2;
    }
};

/// Exact area-weighted sums of `zones` (already in the raster's CRS) over the raster of
/// values at `raster_path`, on the raster's own grid: the same coverage, streaming and
/// block-order merging as overlay_zones (identical bits for any thread count). Only
/// options.threads, block_rows and block_cols apply. A value that is not finite (±inf)
/// throws InputError naming the file, the value and the cell.
std::vector<ZoneMean> mean_zones(const std::string& raster_path, const std::vector<MultiPolygon>& zones,
                                 const OverlayOptions& options, const ProgressFn& progress = {});

}  // namespace shadegap
