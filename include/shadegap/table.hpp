// The ranking table: one row per ranking unit, the model's input.
// SPDX-License-Identifier: MIT
#pragma once

#include "shadegap/overlay.hpp"

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace shadegap {

/// A unit whose cells with data (valid land or water) cover less than this share of its
/// area has no canopy and no shade value: it lies (almost) wholly outside the raster or on
/// nodata, and a canopy share of a sliver would rank it at random (docs/outputs.md).
constexpr double min_data_share = 0.01;

/// Whether a unit of `area_m2` with these sums has data on at least min_data_share of it.
inline bool has_enough_data(const ZoneSums& sums, double area_m2) {
    return sums.valid_m2 + sums.water_m2 >= min_data_share * area_m2;
}

/// One ranking unit (a neighbourhood, a group of census units, or a census unit).
struct RankingUnit {
    std::string id;
    std::string name;
    double area_m2 = 0;      ///< area of the unit's polygon
    ZoneSums sums;           ///< overlay sums over the unit
    double outside_m2 = 0;   ///< area of the unit's polygon that lies off the raster
    double population = 0;   ///< people, allocated by area where units are split
    /// Model variables by name (e.g. "poverty"), aggregated to this unit; nullopt where
    /// the data have no value for this unit.
    std::map<std::string, std::optional<double>> variables;
    /// Value of the model's normalisation-scope column; empty: the whole run is one scope.
    std::string scope;
    /// Mean land-surface temperature, °C: the area-weighted mean of the heat_c of its census
    /// units (or pieces of them, each with its unit's value) that have one; nullopt without.
    std::optional<double> heat_c;

    /// Land area: the unit's area less water.
    double land_m2() const { return area_m2 - sums.water_m2; }
    /// Canopy share of the valid land cells, nullopt when there is no valid cell or the
    /// unit has data on less than min_data_share of its area.
    std::optional<double> canopy_fraction() const {
        if (!(sums.valid_m2 > 0) || !has_enough_data(sums, area_m2)) return std::nullopt;
        return sums.canopy_m2 / sums.valid_m2;
    }
    /// Mean shade fraction over the shade mask's cells, nullopt without a shade raster or
    /// without a masked cell that has a shade value.
    std::optional<double> shade_fraction() const {
        if (!(sums.shade_mask_m2 > 0) || !has_enough_data(sums, area_m2)) return std::nullopt;
        return sums.shade_m2 / sums.shade_mask_m2;
    }
};

struct RankingTable {
    std::vector<RankingUnit> units;
    /// Names of the model variables that have a column; a variable not listed here is
    /// missing from the data (the model drops it with a warning).
    std::vector<std::string> variables;
};

}  // namespace shadegap
