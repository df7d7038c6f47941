// The plan stage (`shadegap plan`): plantable land and planting sites of every ranking unit,
// trees allocated where they close the most equity-weighted gap, the planted crowns measured
// with the exact overlay, the model re-run; plan.csv, sites.geojson, plan.json. docs/plan.md.
// SPDX-License-Identifier: MIT
#include "run_stages.hpp"

#include "ogr_util.hpp"
#include "shadegap/calendar.hpp"
#include "shadegap/options.hpp"
#include "shadegap/plan.hpp"
#include "shadegap/shade.hpp"
#include "shadegap/sites.hpp"
#include "shadegap/timezone.hpp"

#include <boost/geometry.hpp>
#include <boost/geometry/index/rtree.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>
#include <unistd.h>

namespace shadegap::stages {

namespace {

namespace bg = boost::geometry;
namespace bgi = boost::geometry::index;
using BgPoint = bg::model::d2::point_xy<double>;
using BgBox = bg::model::box<BgPoint>;

MultiPolygon multipolygon_of(const std::vector<unsigned char>& wkb) {
    const auto geometry = detail::from_wkb(wkb);
    return geometry ? detail::to_multipolygon(*geometry) : MultiPolygon{};
}

/// Each zone's part of the union of the crowns: the crowns whose boxes meet the zone's,
/// unioned (GEOS through OGR) and cut to the zone.
std::vector<MultiPolygon> crowns_in_zones(const std::vector<Polygon>& crowns,
                                          const std::vector<std::vector<unsigned char>>& zones_wkb, int threads) {
    std::vector<std::pair<BgBox, std::size_t>> boxes;
    for (std::size_t c = 0; c < crowns.size(); ++c) {
        const Box b = bounding_box({crowns[c]});
        boxes.emplace_back(BgBox({b.x_min, b.y_min}, {b.x_max, b.y_max}), c);
    }
    const bgi::rtree<std::pair<BgBox, std::size_t>, bgi::rstar<16>> tree(boxes.begin(), boxes.end());
    std::vector<MultiPolygon> out(zones_wkb.size());
#pragma omp parallel for num_threads(threads) schedule(dynamic, 1)
    for (std::int64_t zk = 0; zk < static_cast<std::int64_t>(zones_wkb.size()); ++zk) {
        const auto z = static_cast<std::size_t>(zk);
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
        // One crown needs no union.
        std::unique_ptr<OGRGeometry> joined(found.size() == 1 ? discs.getGeometryRef(0)->clone() : discs.UnionCascaded());
        if (!joined) continue;
        std::unique_ptr<OGRGeometry> cut(joined->Intersection(zone.get()));
        if (!cut) continue;
        out[z] = detail::to_multipolygon(*detail::polygonal_part(std::move(cut)));
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

/// A folder of working files, removed when the object goes.
class WorkFolder {
public:
    WorkFolder() {
        std::random_device seed;
        m_path = std::filesystem::temp_directory_path() /
                 ("shadegap-plan-" + std::to_string(::getpid()) + "-" + std::to_string(seed()));
        std::filesystem::create_directories(m_path);
    }
    ~WorkFolder() {
        std::error_code ignored;
        std::filesystem::remove_all(m_path, ignored);
    }
    WorkFolder(const WorkFolder&) = delete;
    WorkFolder& operator=(const WorkFolder&) = delete;
    std::string file(const std::string& name) const { return (m_path / name).string(); }

private:
    std::filesystem::path m_path;
};

/// A path the shade manifest records: as written when it exists, else beside the manifest.
std::string recorded_path(const std::string& path, const std::string& manifest) {
    std::error_code ignored;
    if (std::filesystem::exists(path, ignored) || !is_plain_path(path) || std::filesystem::path(path).is_absolute())
        return path;
    return (std::filesystem::path(manifest).parent_path() / path).lexically_normal().string();
}

/// The shade of the day the --shade raster was made for, again, with the planted trees: the
/// shade run's manifest gives its sun (dates, hours, step, time zone, transmissivity) and
/// heights; the planted crowns raise the canopy heights to `tree_height_m` in every cell whose
/// centre lies within the crown radius of a site. Returns the path of the new shade raster.
std::string shade_with_trees(const RunConfig& config, const std::vector<Site>& sites,
                             const std::vector<std::size_t>& planted, const WorkFolder& work, int threads) {
    const std::string manifest_path = shade_manifest_path(config.shade);
    std::ifstream in(manifest_path);
    if (!in)
        throw InputError(config.shade, "plan needs the shade run's manifest " + manifest_path +
                                           " (written by shadegap shade beside its output) to shade the planted trees");
    nlohmann::json manifest;
    try {
        in >> manifest;
        ShadeConfig shade;
        shade.dates = parse_date_range(manifest.at("dates").at("first").get<std::string>() + ".." +
                                           manifest.at("dates").at("last").get<std::string>(),
                                       manifest_path);
        shade.window = parse_clock_window(manifest.at("time").at("start").get<std::string>() + "-" +
                                              manifest.at("time").at("end").get<std::string>(),
                                          manifest_path);
        shade.step_minutes = manifest.at("step_minutes").get<int>();
        shade.zone = TimeZone::parse(manifest.at("time_zone").get<std::string>(), manifest_path);
        shade.transmissivity = manifest.at("transmissivity").get<double>();
        // A manifest from before --sun-tolerance cast every instant exactly.
        shade.sun_tolerance_deg = manifest.value("sun_tolerance_deg", 0.0);
        shade.force_tz = true;  // the shade run checked it
        shade.threads = threads;
        std::string canopy_height;
        for (const auto& input : manifest.at("inputs")) {
            // Each input is named by its flag in the manifest ("--buildings"): its key in shade_keys().
            const std::string flag = input.at("flag").get<std::string>();
            const std::string path = recorded_path(input.at("path").get<std::string>(), manifest_path);
            std::string key = flag;
            for (const CommandKey& row : shade_keys())
                if (row.flag == flag) key = row.key;
            if (key == "buildings") shade.buildings = path;
            else if (key == "canopy_height") canopy_height = path;
            else
                throw InputError(config.shade, "its shade run used " + key_text(key) + ": plan adds trees to " +
                                                   key_text("canopy_height") + " heights (give the shade run " +
                                                   key_text("buildings") + " and " + key_text("canopy_height") + ")");
        }
        if (canopy_height.empty())
            throw InputError(config.shade, "its shade run had no " + key_text("canopy_height") +
                                               ": plan needs the canopy heights to add the planted trees to");

        // The canopy heights with the planted crowns.
        const std::string raised = work.file("canopy_height_plan.tif");
        {
            GDALDatasetUniquePtr source(GDALDataset::Open(canopy_height.c_str(), GDAL_OF_RASTER | GDAL_OF_VERBOSE_ERROR));
            if (!source) throw InputError(canopy_height, "cannot be opened to add the planted trees");
            GDALDriver* gtiff = GetGDALDriverManager()->GetDriverByName("GTiff");
            const char* const options[] = {"TILED=YES", "COMPRESS=DEFLATE", nullptr};
            GDALDatasetUniquePtr copy(gtiff->CreateCopy(raised.c_str(), source.get(), FALSE,
                                                        const_cast<char**>(options), nullptr, nullptr));
            if (!copy) throw InputError(canopy_height, "cannot be copied to add the planted trees");
            double transform[6];
            copy->GetGeoTransform(transform);
            GDALRasterBand* band = copy->GetRasterBand(1);
            int has_nodata = 0;
            const double nodata = band->GetNoDataValue(&has_nodata);
            const double radius = std::sqrt(config.crown_m2 / 3.14159265358979323846) /
                                  RasterSource(canopy_height).info().linear_unit_m;
            for (const std::size_t k : planted) {
                const Site& site = sites[k];
                const int col0 = static_cast<int>(std::floor((site.x - radius - transform[0]) / transform[1]));
                const int col1 = static_cast<int>(std::floor((site.x + radius - transform[0]) / transform[1]));
                const int row0 = static_cast<int>(std::floor((site.y + radius - transform[3]) / transform[5]));
                const int row1 = static_cast<int>(std::floor((site.y - radius - transform[3]) / transform[5]));
                const int c0 = std::max(0, col0), c1 = std::min(copy->GetRasterXSize() - 1, col1);
                const int r0 = std::max(0, row0), r1 = std::min(copy->GetRasterYSize() - 1, row1);
                if (c0 > c1 || r0 > r1) continue;
                const int cols = c1 - c0 + 1, rows = r1 - r0 + 1;
                std::vector<double> values(static_cast<std::size_t>(cols) * static_cast<std::size_t>(rows));
                if (band->RasterIO(GF_Read, c0, r0, cols, rows, values.data(), cols, rows, GDT_Float64, 0, 0) != CE_None)
                    throw InputError(canopy_height, "cannot be read to add the planted trees");
                for (int r = 0; r < rows; ++r)
                    for (int c = 0; c < cols; ++c) {
                        const double x = transform[0] + (c0 + c + 0.5) * transform[1];
                        const double y = transform[3] + (r0 + r + 0.5) * transform[5];
                        if ((x - site.x) * (x - site.x) + (y - site.y) * (y - site.y) > radius * radius) continue;
                        double& v = values[static_cast<std::size_t>(r) * static_cast<std::size_t>(cols) +
                                           static_cast<std::size_t>(c)];
                        if ((has_nodata && v == nodata) || !std::isfinite(v) || v < config.tree_height) v = config.tree_height;
                    }
                if (band->RasterIO(GF_Write, c0, r0, cols, rows, values.data(), cols, rows, GDT_Float64, 0, 0) != CE_None)
                    throw OutputError(raised, "cannot write the planted trees' heights");
            }
        }
        shade.canopy_height = raised;
        shade.out = work.file("shade_plan.tif");
        run_shade(shade);
        return shade.out;
    } catch (const nlohmann::json::exception& error) {
        throw InputError(manifest_path, std::string("is not a shade manifest shadegap can read (") + error.what() + ")");
    }
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
    const RasterInfo& landcover = inputs.landcover ? *inputs.landcover : inputs.raster;
    OverlayOptions options;
    options.kind = inputs.kind;
    options.water_classes = config.water_classes;
    if (inputs.landcover) {
        // The land cover's own classes: none of them canopy, water not asked for.
        options.kind = CanopyKind{CanopyKind::Type::Classes, {}, 0};
        options.water_classes.clear();
    }
    options.residential_classes = config.plantable_classes;
    options.threads = threads;
    options.block_rows = config.block_size;
    options.block_cols = config.block_size;
    const auto zone_sums = overlay_zones(landcover.path, zones, options);
    double plantable_total = 0;
    for (const ZoneSums& sums : zone_sums) plantable_total += sums.residential_m2;
    if (!(plantable_total > 0)) {
        std::string classes;
        for (const double c : config.plantable_classes) classes += (classes.empty() ? "" : ",") + format_number(c);
        throw InputError(landcover.path, "has no cell of the plantable classes " + classes +
                                              " in any ranking unit: nothing could be planted")
            .with_hint("check " + key_text("plantable_classes") + " against the land cover's values (shadegap info " + landcover.path + ")");
    }

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
    if (inputs.landcover) site_options.canopy = inputs.raster;  // existing canopy from the canopy raster
    const double diameter_m = 2 * std::sqrt(config.crown_m2 / 3.14159265358979323846);
    std::vector<Site> sites = find_sites(landcover, zones, aligned.units.polygons, densities, site_options);
    // A unit's first trees each add a whole crown: the sites whose crowns cannot overlap first.
    if (config.spacing < diameter_m) sites = apart_first(sites, diameter_m / landcover.linear_unit_m);
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
    const std::vector<double> planted_m2 =
        land_under(inputs, config, crowns_in_zones(crowns, zones_wkb, threads), threads);
    // Census units ranked as themselves: the same polygons, the same measure.
    const std::vector<double> planted_census_m2 =
        inputs.mode == RankingMode::CensusUnits
            ? planted_m2
            : land_under(inputs, config, crowns_in_zones(crowns, aligned.units.wkb, threads), threads);

    // With --shade: the same day's shade again with the planted trees at full height, over
    // the same mask (the trees' own shadows; survival does not thin a shadow here).
    std::vector<std::optional<double>> shade_plan(n);
    std::vector<ZoneSums> census_shade_plan;
    if (inputs.shade) {
        const WorkFolder work;
        const std::string shaded = shade_with_trees(config, sites, planted, work, threads);
        OverlayOptions shade_options;
        shade_options.kind = inputs.kind;
        shade_options.water_classes = config.water_classes;
        shade_options.threads = threads;
        shade_options.shade = {config.shade, shade_mask_of(config)};
        const auto now_sums = overlay_zones(inputs.raster.path, zones, shade_options);
        shade_options.shade.path = shaded;
        const auto plan_sums = overlay_zones(inputs.raster.path, zones, shade_options);
        census_shade_plan = overlay_zones(inputs.raster.path, aligned.units.polygons, shade_options);
        for (std::size_t r = 0; r < n; ++r) {
            const ZoneSums& table_sums = table.units[r].sums;
            if (!(table_sums.shade_mask_m2 > 0)) continue;
            // The ranking unit's shade now, plus what the trees change on its polygon.
            const double shade_m2 = table_sums.shade_m2 + (plan_sums[r].shade_m2 - now_sums[r].shade_m2);
            shade_plan[r] = std::clamp(shade_m2 / table_sums.shade_mask_m2, 0.0, 1.0);
        }
    }

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
        if (!census_shade_plan.empty()) {
            s.shade_m2 = census_shade_plan[i].shade_m2;
            s.shade_mask_m2 = census_shade_plan[i].shade_mask_m2;
        }
    }

    // plan.csv, in the ranking table's order.
    using Type = OutputColumn::Type;
    out.plan.columns = {{"id", Type::Text},           {"name", Type::Text},          {"trees", Type::Integer},
                        {"canopy_pct_now", Type::Real}, {"canopy_pct_plan", Type::Real}, {"score_now", Type::Real},
                        {"score_plan", Type::Real},   {"cost", Type::Real},          {"plantable_m2", Type::Real},
                        {"sites", Type::Integer},     {"planted_m2", Type::Real},    {"trees_needed", Type::Real},
                        {"priority", Type::Real},     {"population", Type::Real}};
    if (inputs.shade)
        out.plan.columns.insert(out.plan.columns.begin() + 7, {{"shade_pct_now", Type::Real}, {"shade_pct_plan", Type::Real}});
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
        if (inputs.shade) {
            row.push_back(number_or_null(percent(unit.shade_fraction())));
            row.push_back(number_or_null(percent(shade_plan[r])));
        }
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
        diagnostics.warn_about_key("plan-trees-left", "trees",
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
