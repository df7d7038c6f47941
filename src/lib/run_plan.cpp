// The plan stage (`shadegap plan`): plantable land and planting sites of every ranking unit,
// trees allocated where they close the most equity-weighted gap, the planted crowns measured
// with the exact overlay, the model re-run; plan.csv, sites.geojson, plan.json. docs/plan.md.
// SPDX-License-Identifier: MIT
#include "run_stages.hpp"

#include "ogr_util.hpp"
#include "shadegap/plan.hpp"
#include "shadegap/sites.hpp"

#include <boost/geometry.hpp>
#include <boost/geometry/index/rtree.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <unordered_map>

namespace shadegap::stages {

namespace {

namespace bg = boost::geometry;
namespace bgi = boost::geometry::index;
using BgPoint = bg::model::d2::point_xy<double>;
using BgBox = bg::model::box<BgPoint>;

FieldValue number_or_null(const std::optional<double>& value) {
    if (!value || !std::isfinite(*value)) return std::monostate{};
    return *value;
}

std::optional<double> percent(const std::optional<double>& fraction) {
    if (!fraction) return std::nullopt;
    return 100 * *fraction;
}

MultiPolygon multipolygon_of(const std::vector<unsigned char>& wkb) {
    const auto geometry = detail::from_wkb(wkb);
    return geometry ? detail::to_multipolygon(*geometry) : MultiPolygon{};
}

/// Each zone's part of the union of the crowns: the crowns whose boxes meet the zone's,
/// unioned (GEOS through OGR) and cut to the zone.
std::vector<MultiPolygon> crowns_in_zones(const std::vector<Polygon>& crowns,
                                          const std::vector<std::vector<unsigned char>>& zones_wkb) {
    std::vector<std::pair<BgBox, std::size_t>> boxes;
    for (std::size_t c = 0; c < crowns.size(); ++c) {
        const Box b = bounding_box({crowns[c]});
        boxes.emplace_back(BgBox({b.x_min, b.y_min}, {b.x_max, b.y_max}), c);
    }
    const bgi::rtree<std::pair<BgBox, std::size_t>, bgi::rstar<16>> tree(boxes.begin(), boxes.end());
    std::vector<MultiPolygon> out(zones_wkb.size());
    for (std::size_t z = 0; z < zones_wkb.size(); ++z) {
        const auto zone = detail::from_wkb(zones_wkb[z]);
        if (!zone) continue;
        OGREnvelope envelope;
        zone->getEnvelope(&envelope);
        std::vector<std::pair<BgBox, std::size_t>> found;
        tree.query(bgi::intersects(BgBox({envelope.MinX, envelope.MinY}, {envelope.MaxX, envelope.MaxY})),
                   std::back_inserter(found));
        if (found.empty()) continue;
        std::sort(found.begin(), found.end(), [](const auto& a, const auto& b) { return a.second < b.second; });
        OGRMultiPolygon discs;
        for (const auto& hit : found) {
            OGRPolygon polygon;
            OGRLinearRing ring;
            for (const Point& p : crowns[hit.second].shell) ring.addPoint(p.x, p.y);
            polygon.addRing(&ring);
            discs.addGeometry(&polygon);
        }
        std::unique_ptr<OGRGeometry> joined(discs.UnionCascaded());
        if (!joined) continue;
        std::unique_ptr<OGRGeometry> cut(joined->Intersection(zone.get()));
        if (!cut) continue;
        out[z] = detail::to_multipolygon(*detail::polygonal_part(std::move(cut)));
    }
    return out;
}

/// The sites of two searches in one planting order, zone by zone: first the sites whose
/// crowns cannot overlap (found at a spacing of a crown's diameter), then those of the
/// search at --spacing that keep --spacing from every site kept so far (in any zone).
/// So a unit's first trees add a whole crown each and the denser sites come after.
std::vector<Site> merge_sites(const std::vector<Site>& wide, const std::vector<Site>& dense, std::size_t zones,
                              double spacing) {
    std::vector<std::vector<const Site*>> by_zone(zones);
    for (const Site& site : wide) by_zone[site.zone].push_back(&site);
    for (const Site& site : dense) by_zone[site.zone].push_back(&site);
    std::unordered_map<std::int64_t, std::vector<std::pair<double, double>>> buckets;
    const auto key = [spacing](double x, double y) {
        const auto bx = static_cast<std::int64_t>(std::floor(x / spacing));
        const auto by = static_cast<std::int64_t>(std::floor(y / spacing));
        return bx * 0x100000001LL + by;
    };
    const auto free_at = [&](double x, double y) {
        const auto bx = static_cast<std::int64_t>(std::floor(x / spacing));
        const auto by = static_cast<std::int64_t>(std::floor(y / spacing));
        for (std::int64_t dx = -1; dx <= 1; ++dx)
            for (std::int64_t dy = -1; dy <= 1; ++dy) {
                const auto it = buckets.find((bx + dx) * 0x100000001LL + (by + dy));
                if (it == buckets.end()) continue;
                for (const auto& p : it->second)
                    if ((p.first - x) * (p.first - x) + (p.second - y) * (p.second - y) < spacing * spacing) return false;
            }
        return true;
    };
    std::vector<Site> out;
    for (std::size_t z = 0; z < zones; ++z) {
        std::uint32_t order = 0;
        for (const Site* site : by_zone[z]) {
            if (!free_at(site->x, site->y)) continue;
            buckets[key(site->x, site->y)].emplace_back(site->x, site->y);
            Site kept = *site;
            kept.order = order++;
            out.push_back(kept);
        }
    }
    return out;
}

/// The land (valid, not water) under each zone's crowns, m², by the exact overlay.
std::vector<double> land_under(const Inputs& inputs, const RunConfig& config, const std::vector<MultiPolygon>& zones,
                               int threads) {
    std::vector<double> out(zones.size(), 0.0);
    std::vector<MultiPolygon> measured;
    std::vector<std::size_t> index;
    for (std::size_t z = 0; z < zones.size(); ++z)
        if (!zones[z].empty()) {
            measured.push_back(zones[z]);
            index.push_back(z);
        }
    if (measured.empty()) return out;
    OverlayOptions options;
    options.kind = inputs.kind;
    options.water_classes = config.water_classes;
    options.threads = threads;
    const auto sums = overlay_zones(inputs.raster.path, measured, options);
    for (std::size_t k = 0; k < measured.size(); ++k)
        out[index[k]] = std::max(0.0, sums[k].valid_m2 - sums[k].water_m2 - sums[k].canopy_m2);
    return out;
}

}  // namespace

PlanTables plan_trees(const RunConfig& config, const Inputs& inputs, const AlignedInputs& aligned,
                      const Measured& measured, const Allocated& allocated, const ScoredTable& scored,
                      const Ranking& ranking, int threads, Diagnostics& diagnostics) {
    PlanTables out;
    if (!config.plan) return out;
    out.enabled = true;
    const auto started = std::chrono::steady_clock::now();
    const RankingTable& table = allocated.table;
    const std::size_t n = table.units.size();

    // The ranking units' polygons and their plantable land (the overlay, plantable classes
    // counted as it counts residential land).
    const auto zones_wkb = ranking_geometries(inputs, aligned, table);
    std::vector<MultiPolygon> zones;
    for (const auto& wkb : zones_wkb) zones.push_back(multipolygon_of(wkb));
    OverlayOptions options;
    options.kind = inputs.kind;
    options.water_classes = config.water_classes;
    options.residential_classes = config.plantable_classes;
    options.threads = threads;
    options.block_rows = config.block_size;
    options.block_cols = config.block_size;
    const auto zone_sums = overlay_zones(inputs.raster.path, zones, options);

    // Sites, denser census units first within a unit.
    std::vector<double> densities(measured.units.size());
    for (std::size_t i = 0; i < densities.size(); ++i)
        densities[i] = measured.units.area_m2[i] > 0 ? measured.units.population[i] / (measured.units.area_m2[i] / 1e6) : 0;
    SiteOptions site_options;
    site_options.plantable_classes = config.plantable_classes;
    site_options.walkable_classes = config.walkable_classes;
    site_options.canopy_kind = inputs.kind;
    site_options.spacing_m = config.spacing;
    site_options.crown_m2 = config.crown_m2;
    site_options.threads = threads;
    const double diameter_m = 2 * std::sqrt(config.crown_m2 / 3.14159265358979323846);
    std::vector<Site> sites = find_sites(inputs.raster, zones, aligned.units.polygons, densities, site_options);
    if (config.spacing < diameter_m) {
        SiteOptions wide_options = site_options;
        wide_options.spacing_m = diameter_m;
        const std::vector<Site> wide = find_sites(inputs.raster, zones, aligned.units.polygons, densities, wide_options);
        sites = merge_sites(wide, sites, n, config.spacing / inputs.raster.linear_unit_m);
    }
    std::vector<std::vector<std::size_t>> sites_of(n);
    for (std::size_t s = 0; s < sites.size(); ++s) sites_of[sites[s].zone].push_back(s);

    // The allocation.
    const double alive = std::pow(config.survival, config.years);
    const double crown_effective = config.crown_m2 * alive;
    const std::int64_t asked =
        config.trees > 0 ? config.trees : static_cast<std::int64_t>(std::floor(config.budget / config.cost_per_tree));
    std::vector<plan::UnitNeed> needs(n);
    for (std::size_t r = 0; r < n; ++r) {
        const RankingUnit& unit = table.units[r];
        const ScoredUnit& s = scored.units[r];
        needs[r] = {unit.id, s.priority.value_or(0.0), unit.population, unit.land_m2(), s.gap.value_or(0.0),
                    static_cast<std::int64_t>(sites_of[r].size())};
    }
    const plan::Allocation allocation = plan::allocate_trees(needs, asked, crown_effective);

    // The planted sites in planting order, and their crowns.
    std::vector<std::size_t> planted;  // site indices, in planting order
    {
        std::vector<std::size_t> next(n, 0);
        for (const std::uint32_t r : allocation.order) planted.push_back(sites_of[r][next[r]++]);
    }
    const double metres = inputs.raster.linear_unit_m;
    std::vector<Polygon> crowns;
    for (const std::size_t s : planted) crowns.push_back(plan::crown(sites[s].x, sites[s].y, config.crown_m2, metres));

    // The canopy the crowns add: the land under them, cut to each ranking unit and census unit.
    const std::vector<double> planted_m2 = land_under(inputs, config, crowns_in_zones(crowns, zones_wkb), threads);
    const std::vector<double> planted_census_m2 =
        land_under(inputs, config, crowns_in_zones(crowns, aligned.units.wkb), threads);

    // The model again, with the planted canopy (times survival) on each unit's land.
    RankingTable after = table;
    for (std::size_t r = 0; r < n; ++r) {
        ZoneSums& s = after.units[r].sums;
        s.canopy_m2 = std::min(s.canopy_m2 + planted_m2[r] * alive, after.units[r].land_m2());
    }
    Diagnostics repeated;  // the model's warnings were given for the ranking now
    const ScoredTable scored_after = apply_model(inputs.model, after, repeated);
    out.planted = measured;
    for (std::size_t i = 0; i < out.planted.units.size(); ++i) {
        ZoneSums& s = out.planted.units.sums[i];
        const double land = s.valid_m2 - s.water_m2;
        s.canopy_m2 = std::min(s.canopy_m2 + planted_census_m2[i] * alive, land);
    }

    // plan.csv, in the ranking table's order.
    using Type = OutputColumn::Type;
    out.plan.columns = {{"id", Type::Text},           {"name", Type::Text},          {"trees", Type::Integer},
                        {"canopy_pct_now", Type::Real}, {"canopy_pct_plan", Type::Real}, {"score_now", Type::Real},
                        {"score_plan", Type::Real},   {"cost", Type::Real},          {"plantable_m2", Type::Real},
                        {"sites", Type::Integer},     {"planted_m2", Type::Real},    {"trees_needed", Type::Real},
                        {"priority", Type::Real},     {"population", Type::Real}};
    for (std::size_t r = 0; r < n; ++r) {
        const RankingUnit& unit = table.units[r];
        std::vector<FieldValue> row;
        row.push_back(unit.id);
        row.push_back(unit.name.empty() ? FieldValue(std::monostate{}) : FieldValue(unit.name));
        row.push_back(allocation.trees[r]);
        row.push_back(number_or_null(percent(unit.canopy_fraction())));
        row.push_back(number_or_null(percent(after.units[r].canopy_fraction())));
        row.push_back(number_or_null(scored.units[r].score));
        row.push_back(number_or_null(scored_after.units[r].score));
        row.push_back(config.cost_per_tree > 0 ? FieldValue(config.cost_per_tree * static_cast<double>(allocation.trees[r]))
                                               : FieldValue(std::monostate{}));
        row.push_back(zone_sums[r].residential_m2);
        row.push_back(static_cast<std::int64_t>(sites_of[r].size()));
        row.push_back(planted_m2[r] * alive);
        // The model's trees to the goal, but no more than the unit's sites hold.
        const auto needed = scored.units[r].trees_needed;
        row.push_back(needed ? FieldValue(std::min(*needed, static_cast<double>(sites_of[r].size())))
                             : FieldValue(std::monostate{}));
        row.push_back(number_or_null(scored.units[r].priority));
        row.push_back(unit.population);
        out.plan.rows.push_back(std::move(row));
    }

    // sites.geojson: the planted sites in planting order.
    out.sites.columns = {{"site_id", Type::Integer}, {"unit_id", Type::Text}, {"order", Type::Integer},
                         {"x", Type::Real},          {"y", Type::Real}};
    out.sites.crs_wkt = inputs.raster.crs_wkt;
    for (std::size_t k = 0; k < planted.size(); ++k) {
        const Site& site = sites[planted[k]];
        std::vector<FieldValue> row;
        row.push_back(static_cast<std::int64_t>(planted[k] + 1));
        row.push_back(table.units[site.zone].id);
        row.push_back(static_cast<std::int64_t>(k + 1));
        row.push_back(site.x);
        row.push_back(site.y);
        out.sites.rows.push_back(std::move(row));
        OGRPoint point(site.x, site.y);
        out.sites.geometries.push_back(detail::to_wkb(point));
    }

    // Warnings and plan.json.
    const auto given = static_cast<std::int64_t>(planted.size());
    if (given < asked)
        diagnostics.warn("plan-trees-left", "trees",
                         fmt::format("{} of {} trees planted: the other {} would close no gap (every unit with "
                                     "sites at its goal, or out of sites)",
                                     given, asked, asked - given));
    nlohmann::json j;
    j["trees"] = {{"asked", asked}, {"planted", given}, {"left", asked - given}};
    j["budget"] = config.budget > 0 ? nlohmann::json(config.budget) : nlohmann::json(nullptr);
    j["cost_per_tree"] = config.cost_per_tree > 0 ? nlohmann::json(config.cost_per_tree) : nlohmann::json(nullptr);
    j["cost"] = config.cost_per_tree > 0 ? nlohmann::json(config.cost_per_tree * static_cast<double>(given))
                                         : nlohmann::json(nullptr);
    j["landcover"] = config.landcover;
    j["plantable_classes"] = config.plantable_classes;
    j["walkable_classes"] = config.walkable_classes;
    j["spacing_m"] = config.spacing;
    j["crown_m2"] = config.crown_m2;
    j["years"] = config.years;
    j["survival"] = config.survival;
    j["crown_m2_after_survival"] = crown_effective;
    j["sites"] = sites.size();
    j["objective"] = allocation.objective;
    double planted_total = 0;
    for (const double m2 : planted_m2) planted_total += m2 * alive;
    j["planted_canopy_m2"] = planted_total;
    // The allocation beside the two simple rules, on the same trees (docs/plan.md).
    std::vector<std::size_t> by_rank_order;
    for (const std::size_t r : ranking.order)
        if (scored.units[r].score) by_rank_order.push_back(r);
    const auto describe = [&](const plan::Allocation& a) {
        std::int64_t trees = 0;
        double reached = 0;
        double people_gain = 0;  // Σ population × canopy gain (fraction), capped at the gap
        for (std::size_t r = 0; r < n; ++r) {
            trees += a.trees[r];
            if (a.trees[r] > 0) reached += needs[r].population;
            if (needs[r].land_m2 > 0)
                people_gain += needs[r].population *
                               std::min(needs[r].gap, static_cast<double>(a.trees[r]) * crown_effective / needs[r].land_m2);
        }
        return nlohmann::json{{"trees", trees},
                              {"objective", a.objective},
                              {"people_reached", reached},
                              {"people_canopy_points", 100 * people_gain}};
    };
    j["comparison"] = {{"plan", describe(allocation)},
                       {"by_rank", describe(plan::allocate_by_rank(needs, by_rank_order, asked, crown_effective))},
                       {"in_proportion_to_gap", describe(plan::allocate_in_proportion(needs, asked, crown_effective))}};
    j["city_score"] = {{"now", scored.city_score ? nlohmann::json(*scored.city_score) : nlohmann::json(nullptr)},
                       {"plan", scored_after.city_score ? nlohmann::json(*scored_after.city_score) : nlohmann::json(nullptr)}};
    j["seconds"] = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    out.summary = std::move(j);
    return out;
}

}  // namespace shadegap::stages
