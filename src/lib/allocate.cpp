// Allocate: census units' counts and sums moved to the ranking units.
// SPDX-License-Identifier: MIT
#include "shadegap/allocate.hpp"

#include "ogr_util.hpp"

#include <boost/geometry.hpp>
#include <boost/geometry/geometries/box.hpp>
#include <boost/geometry/geometries/point.hpp>
#include <boost/geometry/index/rtree.hpp>

#include <algorithm>
#include <utility>

namespace shadegap {

namespace {

namespace bg = boost::geometry;
namespace bgi = boost::geometry::index;
using BoxPoint = bg::model::point<double, 2, bg::cs::cartesian>;
using BoxValue = std::pair<bg::model::box<BoxPoint>, std::size_t>;

/// Adds census units (or parts of them) into one ranking unit.
class RankingAccumulator {
public:
    void add(const UnitTable& units, std::size_t unit, double share, double area_m2, const ZoneSums& sums) {
        m_area_m2 += area_m2;
        m_sums.merge(sums);
        const double people = units.population[unit] * share;
        m_population += people;
        for (const auto& [name, values] : units.variables) {
            auto& [weighted, weight, area_weighted, area] = m_variables[name];
            if (!values[unit]) continue;
            weighted += *values[unit] * people;
            weight += people;
            area_weighted += *values[unit] * area_m2;
            area += area_m2;
        }
        m_scope_area_m2[units.scope[unit]] += area_m2;
        if (!units.heat_c.empty() && units.heat_c[unit]) {
            m_heat_weighted += *units.heat_c[unit] * area_m2;
            m_heat_area_m2 += area_m2;
        }
    }

    RankingUnit finish(std::string id, std::string name, std::optional<double> polygon_area_m2) const {
        RankingUnit out;
        out.id = std::move(id);
        out.name = std::move(name);
        out.area_m2 = polygon_area_m2 ? *polygon_area_m2 : m_area_m2;
        out.sums = m_sums;
        out.population = m_population;
        if (m_heat_area_m2 > 0) out.heat_c = m_heat_weighted / m_heat_area_m2;
        for (const auto& [variable, acc] : m_variables) {
            const auto& [weighted, weight, area_weighted, area] = acc;
            std::optional<double> value;
            if (weight > 0) value = weighted / weight;
            else if (area > 0) value = area_weighted / area;
            out.variables[variable] = value;
        }
        // The scope covering most of the ranking unit's area (ties: the first by name).
        double best = -1;
        for (const auto& [scope, area] : m_scope_area_m2) {
            if (area > best) {
                best = area;
                out.scope = scope;
            }
        }
        return out;
    }

private:
    double m_area_m2 = 0;
    ZoneSums m_sums;
    double m_population = 0;
    std::map<std::string, std::tuple<double, double, double, double>> m_variables;
    std::map<std::string, double> m_scope_area_m2;
    double m_heat_weighted = 0;
    double m_heat_area_m2 = 0;
};

std::vector<std::string> variable_names(const UnitTable& units) {
    std::vector<std::string> names;
    for (const auto& [name, values] : units.variables) names.push_back(name);
    return names;
}

/// The ranking units of allocate_by_area, each piece carrying shares[k] of its unit's people.
RankingTable allocate_by_share(const UnitTable& units, const Pieces& pieces, const std::vector<ZoneSums>& piece_sums,
                               const std::vector<double>& shares, const std::vector<std::string>& ids,
                               const std::vector<std::string>& names, const std::vector<double>& area_m2) {
    std::vector<RankingAccumulator> acc(ids.size());
    for (std::size_t k = 0; k < pieces.size(); ++k)
        acc[pieces.owner[k]].add(units, pieces.unit[k], shares[k], pieces.area_m2[k], piece_sums[k]);
    RankingTable table;
    table.variables = variable_names(units);
    for (std::size_t j = 0; j < ids.size(); ++j) table.units.push_back(acc[j].finish(ids[j], names[j], area_m2[j]));
    return table;
}

/// Each piece's share of its census unit's people by area.
std::vector<double> area_shares(const UnitTable& units, const Pieces& pieces) {
    std::vector<double> shares(pieces.size(), 0.0);
    for (std::size_t k = 0; k < pieces.size(); ++k) {
        const std::size_t unit = pieces.unit[k];
        if (units.area_m2[unit] > 0) shares[k] = std::min(1.0, pieces.area_m2[k] / units.area_m2[unit]);
    }
    return shares;
}

}  // namespace

Pieces intersect_zones(const AlignedZones& units, const AlignedZones& neighbourhoods, const RasterInfo& raster) {
    std::vector<BoxValue> boxes;
    for (std::size_t j = 0; j < neighbourhoods.polygons.size(); ++j) {
        const Box b = bounding_box(neighbourhoods.polygons[j]);
        if (b.x_min > b.x_max) continue;
        boxes.push_back({{{b.x_min, b.y_min}, {b.x_max, b.y_max}}, j});
    }
    const bgi::rtree<BoxValue, bgi::rstar<16>> tree(boxes.begin(), boxes.end());

    std::vector<std::unique_ptr<OGRGeometry>> owners(neighbourhoods.wkb.size());
    for (std::size_t j = 0; j < owners.size(); ++j) owners[j] = detail::from_wkb(neighbourhoods.wkb[j]);

    Pieces pieces;
    pieces.unit_covered_m2.assign(units.polygons.size(), 0.0);
    for (std::size_t i = 0; i < units.polygons.size(); ++i) {
        const Box b = bounding_box(units.polygons[i]);
        if (b.x_min > b.x_max) continue;
        std::unique_ptr<OGRGeometry> covered;  // the union of the unit's pieces
        std::size_t piece_count = 0;
        std::vector<BoxValue> hits;
        tree.query(bgi::intersects(bg::model::box<BoxPoint>{{b.x_min, b.y_min}, {b.x_max, b.y_max}}),
                   std::back_inserter(hits));
        std::sort(hits.begin(), hits.end(), [](const BoxValue& a, const BoxValue& c) { return a.second < c.second; });
        const auto unit = detail::from_wkb(units.wkb[i]);
        for (const auto& [box, j] : hits) {
            std::unique_ptr<OGRGeometry> piece(unit->Intersection(owners[j].get()));
            if (!piece || piece->IsEmpty()) continue;
            piece = detail::polygonal_part(std::move(piece));
            const auto wkb = detail::to_wkb(*piece);
            const double area = area_m2(wkb, raster);
            if (!(area > 0)) continue;
            pieces.unit.push_back(i);
            pieces.owner.push_back(j);
            pieces.polygons.push_back(detail::to_multipolygon(*piece));
            pieces.area_m2.push_back(area);
            if (piece_count++ == 0) {
                pieces.unit_covered_m2[i] = area;
                covered = std::move(piece);
            } else {
                covered.reset(covered->Union(piece.get()));
                if (!covered) throw GeometryError("neighbourhoods", "the union of two neighbourhoods' parts failed");
                covered = detail::polygonal_part(std::move(covered));
                pieces.unit_covered_m2[i] = area_m2(detail::to_wkb(*covered), raster);
            }
        }
    }
    return pieces;
}

RankingTable allocate_to_units(const UnitTable& units) {
    RankingTable table;
    table.variables = variable_names(units);
    for (std::size_t i = 0; i < units.size(); ++i) {
        RankingAccumulator acc;
        acc.add(units, i, 1.0, units.area_m2[i], units.sums[i]);
        table.units.push_back(acc.finish(units.ids[i], units.names[i], units.area_m2[i]));
    }
    return table;
}

RankingTable allocate_by_area(const UnitTable& units, const Pieces& pieces,
                              const std::vector<ZoneSums>& piece_sums,
                              const std::vector<std::string>& ids, const std::vector<std::string>& names,
                              const std::vector<double>& area_m2) {
    return allocate_by_share(units, pieces, piece_sums, area_shares(units, pieces), ids, names, area_m2);
}

std::vector<double> residential_shares(const UnitTable& units, const Pieces& pieces,
                                       const std::vector<ZoneSums>& piece_sums, std::vector<std::string>& by_area) {
    std::vector<double> shares = area_shares(units, pieces);
    std::vector<bool> listed(units.size(), false);
    for (std::size_t k = 0; k < pieces.size(); ++k) {
        const std::size_t unit = pieces.unit[k];
        const double unit_m2 = units.sums[unit].residential_m2;
        if (unit_m2 > 0) {
            shares[k] = std::min(1.0, piece_sums[k].residential_m2 / unit_m2);
        } else if (!listed[unit]) {
            listed[unit] = true;
            by_area.push_back(units.ids[unit]);
        }
    }
    return shares;
}

RankingTable allocate_by_residential(const UnitTable& units, const Pieces& pieces,
                                     const std::vector<ZoneSums>& piece_sums, const std::vector<std::string>& ids,
                                     const std::vector<std::string>& names, const std::vector<double>& area_m2,
                                     const std::string& units_path, Diagnostics& diagnostics) {
    std::vector<std::string> by_area;
    const std::vector<double> shares = residential_shares(units, pieces, piece_sums, by_area);
    if (!by_area.empty()) {
        std::string list;
        for (std::size_t k = 0; k < by_area.size() && k < 3; ++k) list += (k ? ", '" : "'") + by_area[k] + "'";
        if (by_area.size() > 3) list += " and " + std::to_string(by_area.size() - 3) + " more";
        diagnostics.warn("no-residential", units_path,
                         std::to_string(by_area.size()) + " census unit(s) have no residential land: their people "
                                                          "are split among neighbourhoods by area (" + list + ")");
    }
    return allocate_by_share(units, pieces, piece_sums, shares, ids, names, area_m2);
}


RankingTable allocate_by_group(const UnitTable& units, const std::vector<std::optional<std::string>>& values,
                               const std::string& field, Diagnostics& diagnostics,
                               std::vector<std::string>& ungrouped) {
    std::map<std::string, RankingAccumulator> groups;
    for (std::size_t i = 0; i < units.size(); ++i) {
        if (!values[i]) {
            ungrouped.push_back(units.ids[i]);
            continue;
        }
        groups[*values[i]].add(units, i, 1.0, units.area_m2[i], units.sums[i]);
    }
    if (!ungrouped.empty()) {
        std::string list;
        for (std::size_t k = 0; k < ungrouped.size() && k < 10; ++k) list += (k ? ", " : "") + ungrouped[k];
        if (ungrouped.size() > 10) list += ", ...";
        diagnostics.warn("group-null", field,
                         std::to_string(ungrouped.size()) + " census unit(s) have no value in '" + field +
                             "' and belong to no group: " + list);
    }
    RankingTable table;
    table.variables = variable_names(units);
    for (const auto& [value, acc] : groups) table.units.push_back(acc.finish(value, value, std::nullopt));
    return table;
}

}  // namespace shadegap
