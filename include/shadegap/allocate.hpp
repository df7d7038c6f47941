// Allocate: census units' counts and sums moved to the ranking units.
// SPDX-License-Identifier: MIT
#pragma once

#include "shadegap/error.hpp"
#include "shadegap/overlay.hpp"
#include "shadegap/raster.hpp"
#include "shadegap/table.hpp"
#include "shadegap/zones.hpp"

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace shadegap {

/// Census units with what the overlay measured and their demographics (the overlay
/// stage's output, the allocate stage's input).
struct UnitTable {
    std::vector<std::string> ids;
    std::vector<std::string> names;
    std::vector<double> area_m2;
    std::vector<ZoneSums> sums;
    std::vector<double> population;
    /// model variable → value per unit (nullopt: no data)
    std::map<std::string, std::vector<std::optional<double>>> variables;
    std::vector<std::string> scope;  ///< normalisation scope per unit, empty: one scope
    /// Mean land-surface temperature per unit, °C (nullopt: no heat cell); empty without --heat.
    std::vector<std::optional<double>> heat_c;
    std::size_t size() const { return ids.size(); }
};

/// The overlapping parts of census units and ranking polygons (neighbourhoods).
struct Pieces {
    std::vector<std::size_t> unit;   ///< index of the census unit
    std::vector<std::size_t> owner;  ///< index of the neighbourhood
    std::vector<MultiPolygon> polygons;  ///< raster CRS
    std::vector<double> area_m2;
    /// Per census unit: the area of the union of its pieces (its part inside some
    /// neighbourhood). Less than the sum of its pieces where neighbourhoods overlap.
    std::vector<double> unit_covered_m2;
    std::size_t size() const { return unit.size(); }
};

/// Intersects every census unit with every neighbourhood it overlaps (GEOS through OGR,
/// candidates from an R-tree of bounding boxes). Pieces of zero area are left out.
Pieces intersect_zones(const AlignedZones& units, const AlignedZones& neighbourhoods, const RasterInfo& raster);

/// Each census unit is its own ranking unit.
RankingTable allocate_to_units(const UnitTable& units);

/// Ranking units are polygons split from the census units: each piece carries the
/// overlay sums measured on the piece itself, the unit's population times the piece's
/// share of the unit's area, and the unit's variables; a ranking unit sums the pieces'
/// areas and people, and its variables are population-weighted means (area-weighted
/// where nobody lives).
RankingTable allocate_by_area(const UnitTable& units, const Pieces& pieces,
                              const std::vector<ZoneSums>& piece_sums,
                              const std::vector<std::string>& ids, const std::vector<std::string>& names,
                              const std::vector<double>& area_m2);

/// The share of its census unit's people each piece holds, by residential land: piece
/// residential_m2 / unit residential_m2 (ZoneSums of the pieces and of the units), so a piece
/// without residential land gets nobody. A unit without any residential land is split by
/// area (piece area / unit area) instead and its id goes into `by_area`. Shares are at most 1.
std::vector<double> residential_shares(const UnitTable& units, const Pieces& pieces,
                                       const std::vector<ZoneSums>& piece_sums, std::vector<std::string>& by_area);

/// allocate_by_area with each unit's people split by residential_shares; one warning (on
/// `units_path`) names the units split by area for want of residential land.
RankingTable allocate_by_residential(const UnitTable& units, const Pieces& pieces,
                                     const std::vector<ZoneSums>& piece_sums, const std::vector<std::string>& ids,
                                     const std::vector<std::string>& names, const std::vector<double>& area_m2,
                                     const std::string& units_path, Diagnostics& diagnostics);

/// Ranking units are groups of census units sharing `values` (one per unit). Units whose
/// value is null form no group: a warning names them.
RankingTable allocate_by_group(const UnitTable& units, const std::vector<std::optional<std::string>>& values,
                               const std::string& field, Diagnostics& diagnostics,
                               std::vector<std::string>& ungrouped);

}  // namespace shadegap
