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

/// Ranking units are groups of census units sharing `values` (one per unit). Units whose
/// value is null form no group: a warning names them.
RankingTable allocate_by_group(const UnitTable& units, const std::vector<std::optional<std::string>>& values,
                               const std::string& field, Diagnostics& diagnostics,
                               std::vector<std::string>& ungrouped);

}  // namespace shadegap
