// Sites: candidate cells for new trees inside each zone, ordered for planting and spaced apart.
// SPDX-License-Identifier: MIT
#pragma once

#include "shadegap/geometry.hpp"
#include "shadegap/raster.hpp"

#include <cstdint>
#include <optional>
#include <vector>

namespace shadegap {

struct SiteOptions {
    std::vector<double> plantable_classes;  ///< land-cover values a tree may go on (grass, bare soil)
    std::vector<double> walkable_classes;   ///< land-cover values people walk on; a site whose crown covers more of them comes first
    CanopyKind canopy_kind;                 ///< which land-cover values are existing canopy (canopy_of(value) >= 0.5)
    double spacing_m = 5;                   ///< least distance between two sites
    double crown_m2 = 55.74;                ///< crown area at maturity; radius r = sqrt(crown_m2 / pi)
    int threads = 1;
    /// A canopy raster on the land cover's grid (same CRS, origin, cell size and size) whose
    /// values canopy_kind reads as existing canopy; none: the land cover's own values are.
    std::optional<RasterInfo> canopy;                        ///< see resolve_threads(); 0 is all cores, below 0 a UsageError
};

struct Site {
    double x = 0;                ///< the cell centre, raster CRS
    double y = 0;
    std::uint32_t zone = 0;      ///< the zone (ranking unit) it lies in
    std::uint32_t order = 0;     ///< its place in its zone's planting order, 0 first
    double walkable_m2 = 0;      ///< walkable land under its crown disc
    double density = 0;          ///< residents per km² where it stands (0 without density zones)
};

/// Candidate sites on band 1 of `landcover` (a land-cover raster of classes, projected CRS) inside each zone.
/// `density_zones`/`densities` (may be empty): polygons (e.g. census units) and their residents per km².
/// Result sorted by zone, then order. Deterministic: same output for any thread count.
///
/// Distances are in metres: CRS units × RasterInfo::linear_unit_m. r = sqrt(crown_m2 / π).
///
/// 1. Candidates. A cell is a candidate of a zone when its value is one of
///    `plantable_classes` (never the raster's nodata), its centre lies inside the zone
///    (even–odd rule over all rings, so holes are respected; a centre exactly on a
///    boundary is inside when it lies on a left or lower edge of a run, as a scanline that
///    counts edges half-open in y and takes [x_enter, x_leave) sees it), and its crown
///    disc touches no canopy cell: the distance from its centre to the nearest point of
///    every canopy cell (canopy_kind.canopy_of(value) >= 0.5, nodata never canopy) is at
///    least r. Cells off the raster are not canopy.
/// 2. Order within a zone. By walkable_m2 (the walkable cells whose centre lies within r
///    of the site's centre, distance <= r, times the cell area), most first; then by
///    density (of the first density zone, in list order, whose inside holds the site's
///    centre by the same rule as 1; 0 when none), highest first; then north to south,
///    then west to east. Then greedily, in that order: a candidate is accepted when no
///    site of the zone accepted before it lies closer than spacing_m (distance < spacing_m
///    rejects it). `order` is the order of acceptance.
/// 3. Across zones. Zone by zone in list order, each zone's sites in order: a site is
///    dropped when a site kept before it (of an earlier zone) lies closer than spacing_m;
///    the kept sites of each zone are renumbered 0, 1, 2, … in their order.
///
/// Each zone is done alone, in a window of its bounding box grown by r (memory bounded by
/// that window, never the whole raster), zones in parallel; results are joined in zone order.
/// Throws InputError naming the raster for a geographic CRS ("sites need a projected CRS
/// (metres)"), UsageError with subject "spacing" or "crown_m2" for a value that is not
/// positive, "densities" when densities and density_zones differ in size, "threads" for a
/// negative count; InputError naming the raster when it cannot be read.
std::vector<Site> find_sites(const RasterInfo& landcover, const std::vector<MultiPolygon>& zones,
                             const std::vector<MultiPolygon>& density_zones, const std::vector<double>& densities,
                             const SiteOptions& options);

/// The same sites (sorted by zone, then order) in a new order within each zone: first those
/// kept, in their order, at least `distance` (CRS units) from each other, then all the others in
/// their order; `order` numbered again. Every site stays.
std::vector<Site> apart_first(const std::vector<Site>& sites, double distance);

}  // namespace shadegap
