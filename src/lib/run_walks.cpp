// The walks stage (`shadegap walks`): agents for the residents of every census unit and
// group, their walks to the nearest destination (walks.hpp), and the tables walks.csv,
// routes.geojson and walks.json. docs/walks.md.
// SPDX-License-Identifier: MIT
#include "run_stages.hpp"

#include "ogr_util.hpp"

#include <boost/geometry.hpp>
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <numeric>

namespace shadegap::stages {

namespace {

namespace bg = boost::geometry;
using BgPoint = bg::model::d2::point_xy<double>;
using BgPolygon = bg::model::polygon<BgPoint>;
using BgMultiPolygon = bg::model::multi_polygon<BgPolygon>;

BgMultiPolygon to_boost(const MultiPolygon& polygons) {
    BgMultiPolygon out;
    for (const Polygon& polygon : polygons) {
        BgPolygon p;
        for (const Point& v : polygon.shell) p.outer().push_back({v.x, v.y});
        for (const Ring& hole : polygon.holes) {
            p.inners().emplace_back();
            for (const Point& v : hole) p.inners().back().push_back({v.x, v.y});
        }
        out.push_back(std::move(p));
    }
    bg::correct(out);
    return out;
}

/// A random stream of its own for each census unit and group (splitmix64), whatever thread
/// draws it.
class Stream {
public:
    explicit Stream(std::uint64_t seed) : m_state(seed) {}
    std::uint64_t next() {
        std::uint64_t z = (m_state += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        return z ^ (z >> 31);
    }
    double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

private:
    std::uint64_t m_state;
};

/// One agent: where it starts and whom it stands for.
struct Agent {
    LinePoint start;
    std::uint32_t unit = 0;   ///< census unit
    std::uint32_t group = 0;  ///< 0: everyone, then the equity groups in name order
    double people = 0;        ///< the residents it stands for
    std::vector<std::uint32_t> ranking;  ///< the ranking units its start lies in
};

/// Sums of agents' walks: agents, the people they stand for, and people-weighted walks.
struct Tally {
    std::int64_t agents = 0;
    std::int64_t no_destination = 0;
    double people = 0;
    double reached_people = 0;
    double walk = 0;       ///< Σ people × walk_m over agents that reach a destination
    double shaded = 0;
    double below_25 = 0;   ///< Σ people over those whose walk is under 25 % in shade
    double shortest_walk = 0;
    double shortest_shaded = 0;
    double shortest_people = 0;

    void add(const Agent& agent, const walks::Walk& walk, const walks::Walk* shortest) {
        ++agents;
        people += agent.people;
        if (!walk.reached) {
            ++no_destination;
        } else {
            reached_people += agent.people;
            this->walk += agent.people * walk.walk_m;
            this->shaded += agent.people * walk.shaded_m;
            if (walk.walk_m > 0 && walk.shaded_m < 0.25 * walk.walk_m) below_25 += agent.people;
        }
        if (shortest && shortest->reached) {
            shortest_people += agent.people;
            shortest_walk += agent.people * shortest->walk_m;
            shortest_shaded += agent.people * shortest->shaded_m;
        }
    }
    std::optional<double> mean_walk() const { return reached_people > 0 ? std::optional(walk / reached_people) : std::nullopt; }
    std::optional<double> mean_shaded() const {
        return reached_people > 0 ? std::optional(shaded / reached_people) : std::nullopt;
    }
    std::optional<double> shade_pct() const { return walk > 0 ? std::optional(100 * shaded / walk) : std::nullopt; }
    std::optional<double> share_below_25() const {
        return reached_people > 0 ? std::optional(below_25 / reached_people) : std::nullopt;
    }
};

/// The shade fraction of a raster value: the --shade raster's value (0–1), or else the
/// canopy kind's share of the canopy raster's value.
ShadeOf shade_source(const Inputs& inputs) {
    if (inputs.shade)
        return [](double value) -> std::optional<double> {
            if (!std::isfinite(value) || value < 0 || value > 1) return std::nullopt;
            return value;
        };
    const CanopyKind kind = inputs.kind;
    return [kind](double value) { return kind.canopy_of(value); };
}

/// A point inside a polygon given as WKB (GEOS through OGR), for a unit too thin to draw in.
LinePoint point_on_surface(const std::vector<unsigned char>& wkb) {
    const auto geometry = detail::from_wkb(wkb);
    LinePoint point;
    if (!geometry) return point;
    const OGRGeometryH inside = OGR_G_PointOnSurface(OGRGeometry::ToHandle(geometry.get()));
    if (inside) {
        point = {OGR_G_GetX(inside, 0), OGR_G_GetY(inside, 0)};
        OGR_G_DestroyGeometry(inside);
    }
    return point;
}

/// Where the agents of one census unit start: uniform over its residential land (cells of the
/// residential classes) when `raster` is given, else anywhere in the unit. Made once per unit
/// (the polygon converted and the raster window read once), drawn from once per group.
class UnitStarts {
public:
    UnitStarts(const MultiPolygon& polygons, const std::vector<unsigned char>& wkb, const Grid& grid,
               const std::vector<double>& residential_classes, RasterSource* raster)
        : m_shape(to_boost(polygons)), m_box(bounding_box(polygons)), m_wkb(&wkb), m_grid(&grid),
          m_classes(&residential_classes), m_raster(raster), m_empty(polygons.empty()) {
        if (!raster || m_empty) return;
        m_window = grid.window_of(m_box.x_min, m_box.y_min, m_box.x_max, m_box.y_max);
        if (!m_window.empty() && m_window.cell_count() <= max_window_cells) raster->read(m_window, m_cells);
    }

    /// `count` start points; `fell_back` is set when residential land was asked for but could
    /// not be found (the rest start anywhere in the unit).
    std::vector<LinePoint> draw(std::size_t count, Stream& stream, bool& fell_back) const {
        std::vector<LinePoint> points;
        if (m_empty) return points;
        bool residential = m_raster != nullptr;
        while (points.size() < count) {
            const std::optional<LinePoint> p = draw_one(stream, residential);
            if (p) {
                points.push_back(*p);
            } else if (residential) {
                residential = false;  // residential land too scarce to find: anywhere from here on
                fell_back = true;
            } else {
                points.push_back(point_on_surface(*m_wkb));  // a unit too thin to hit
            }
        }
        return points;
    }

private:
    std::optional<LinePoint> draw_one(Stream& stream, bool residential) const {
        for (int attempt = 0; attempt < max_attempts; ++attempt) {
            const LinePoint p{m_box.x_min + stream.uniform() * (m_box.x_max - m_box.x_min),
                              m_box.y_min + stream.uniform() * (m_box.y_max - m_box.y_min)};
            if (!bg::within(BgPoint(p.x, p.y), m_shape)) continue;
            if (residential && !residential_at(p)) continue;
            return p;
        }
        return std::nullopt;
    }

    bool residential_at(const LinePoint& p) const {
        const auto row = static_cast<std::int64_t>(std::floor(m_grid->row_of(p.y)));
        const auto col = static_cast<std::int64_t>(std::floor(m_grid->col_of(p.x)));
        if (row < 0 || col < 0 || row >= m_grid->rows || col >= m_grid->cols) return false;
        double value = 0;
        if (!m_cells.empty()) {
            if (row < m_window.row0 || col < m_window.col0 || row >= m_window.row0 + m_window.rows ||
                col >= m_window.col0 + m_window.cols)
                return false;
            value = m_cells[static_cast<std::size_t>((row - m_window.row0) * m_window.cols + (col - m_window.col0))];
        } else {
            std::vector<double> one;  // a window too large to hold: the cell alone
            m_raster->read(Window{row, col, 1, 1}, one);
            value = one[0];
        }
        return std::find(m_classes->begin(), m_classes->end(), value) != m_classes->end();
    }

    static constexpr int max_attempts = 10000;
    static constexpr std::int64_t max_window_cells = 16 * 1024 * 1024;
    BgMultiPolygon m_shape;
    Box m_box;
    const std::vector<unsigned char>* m_wkb;
    const Grid* m_grid;
    const std::vector<double>* m_classes;
    RasterSource* m_raster;
    bool m_empty;
    Window m_window;
    std::vector<double> m_cells;
};

}  // namespace

WalkTables walk_residents(const RunConfig& config, const Inputs& inputs, const AlignedInputs& aligned,
                 const Measured& measured, const Allocated& allocated, int threads, Diagnostics& diagnostics) {
    WalkTables out;
    if (!config.walks) return out;
    out.enabled = true;
    const auto started = std::chrono::steady_clock::now();
    const std::size_t first_warning = diagnostics.warnings().size();  // walks.json gets the stage's own
    const std::size_t n = measured.units.size();

    // The groups: everyone, then each equity group in name order, with their people per unit.
    std::vector<std::string> group_names{"everyone"};
    std::vector<std::vector<double>> people{measured.units.population};
    for (const auto& group : config.equity_groups) {
        const auto& counts = inputs.values.at("equity_group." + group.first);
        std::vector<double> column(n);
        for (std::size_t i = 0; i < n; ++i) column[i] = std::max(0.0, counts[i].value_or(0.0));
        group_names.push_back(group.first);
        people.push_back(std::move(column));
    }
    double population = 0;
    for (const double p : people[0]) population += p;
    const double per_person = config.agents_per_person > 0 ? config.agents_per_person
                              : config.agents > 0         ? (population > 0 ? config.agents / population : 0.0)
                                                          : 1.0;

    // The ranking units an agent's start can lie in: per census unit, its pieces.
    std::map<std::string, std::uint32_t> ranking_index;
    for (std::size_t r = 0; r < allocated.table.units.size(); ++r)
        ranking_index.emplace(allocated.table.units[r].id, static_cast<std::uint32_t>(r));
    std::vector<std::vector<std::size_t>> pieces_of(n);
    if (inputs.mode == RankingMode::Neighbourhoods)
        for (std::size_t p = 0; p < aligned.pieces.size(); ++p) pieces_of[aligned.pieces.unit[p]].push_back(p);

    // Agents, unit by unit (each unit and group its own random stream).
    const bool residential = !config.residential_classes.empty();
    std::vector<std::vector<Agent>> by_unit(n);
    std::vector<char> fell_back(n, 0);
    std::vector<char> without_residential(n, 0);
#pragma omp parallel num_threads(threads)
    {
        std::optional<RasterSource> raster;
        if (residential) raster.emplace(inputs.raster);
#pragma omp for schedule(dynamic, 1)
        for (std::int64_t k = 0; k < static_cast<std::int64_t>(n); ++k) {
            const auto i = static_cast<std::size_t>(k);
            const bool use_residential = residential && measured.units.sums[i].residential_m2 > 0;
            if (residential && !use_residential && people[0][i] > 0) without_residential[i] = 1;
            std::vector<std::uint32_t> fixed_ranking;
            if (inputs.mode == RankingMode::CensusUnits) {
                fixed_ranking.push_back(ranking_index.at(measured.units.ids[i]));
            } else if (inputs.mode == RankingMode::Groups) {
                const auto& value = inputs.units.texts.at(inputs.group_by)[i];
                if (value) {
                    const auto it = ranking_index.find(*value);
                    if (it != ranking_index.end()) fixed_ranking.push_back(it->second);
                }
            }
            bool anyone = false;
            for (const auto& group : people) anyone = anyone || group[i] > 0;
            if (!anyone) continue;
            std::vector<BgMultiPolygon> piece_shapes;
            for (const std::size_t p : pieces_of[i]) piece_shapes.push_back(to_boost(aligned.pieces.polygons[p]));
            const UnitStarts land(aligned.units.polygons[i], aligned.units.wkb[i], inputs.raster.grid,
                                  config.residential_classes, use_residential ? &*raster : nullptr);
            for (std::size_t g = 0; g < group_names.size(); ++g) {
                const double residents = people[g][i];
                if (!(residents > 0)) continue;
                const auto count = static_cast<std::size_t>(std::max<long long>(1, std::llround(residents * per_person)));
                Stream stream(draw_seed(config.seed, static_cast<int>(i)) ^ (0x632be59bd9b4e019ULL * (g + 1)));
                bool fell = false;
                const auto starts = land.draw(count, stream, fell);
                if (fell) fell_back[i] = 1;
                for (const LinePoint& start : starts) {
                    Agent agent{start, static_cast<std::uint32_t>(i), static_cast<std::uint32_t>(g),
                                residents / static_cast<double>(starts.size()), fixed_ranking};
                    for (std::size_t q = 0; q < piece_shapes.size(); ++q)
                        if (bg::covered_by(BgPoint(start.x, start.y), piece_shapes[q]))
                            agent.ranking.push_back(static_cast<std::uint32_t>(aligned.pieces.owner[pieces_of[i][q]]));
                    by_unit[i].push_back(std::move(agent));
                }
            }
        }
    }
    std::vector<Agent> agents;
    for (auto& unit_agents : by_unit)
        for (Agent& agent : unit_agents) agents.push_back(std::move(agent));
    by_unit.clear();
    std::vector<LinePoint> starts;
    starts.reserve(agents.size());
    for (const Agent& agent : agents) starts.push_back(agent.start);
    const double agents_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();

    // The walks.
    walks::Settings settings;
    settings.max_walk_m = config.max_walk_m;
    settings.sun_aversion = config.sun_aversion;
    settings.threads = threads;
    settings.block_size = config.block_size;
    const RasterInfo& shade_raster = inputs.shade ? *inputs.shade : inputs.raster;
    const walks::Simulation sim = walks::simulate(shade_raster, shade_source(inputs), inputs.streets->lines,
                                                  inputs.destinations->points, starts, settings);
    const bool shade_seeking = config.sun_aversion > 0;

    // Tallies: per ranking unit and group, per group in all, per census unit (everyone).
    const std::size_t groups = group_names.size();
    std::vector<Tally> by_ranking(allocated.table.units.size() * groups);
    std::vector<Tally> by_group(groups);
    std::vector<Tally> by_census(n);
    std::int64_t outside_ranking = 0;
    for (std::size_t a = 0; a < agents.size(); ++a) {
        const Agent& agent = agents[a];
        const walks::Walk* shortest = shade_seeking ? &sim.shortest[a] : nullptr;
        by_group[agent.group].add(agent, sim.walks[a], shortest);
        if (agent.group == 0) by_census[agent.unit].add(agent, sim.walks[a], shortest);
        if (agent.ranking.empty() && agent.group == 0) ++outside_ranking;
        for (const std::uint32_t r : agent.ranking) by_ranking[r * groups + agent.group].add(agent, sim.walks[a], shortest);
    }
    for (std::size_t g = 0; g < groups; ++g) out.walk_shade_pct[group_names[g]] = by_group[g].shade_pct();
    out.unit_walk_shade.resize(n);
    for (std::size_t i = 0; i < n; ++i) {
        const auto pct = by_census[i].shade_pct();
        if (pct) out.unit_walk_shade[i] = *pct / 100;
    }

    // walks.csv: per ranking unit, everyone first.
    using Type = OutputColumn::Type;
    out.walks.columns = {{"id", Type::Text},          {"group", Type::Text},          {"agents", Type::Integer},
                         {"walk_m", Type::Real},       {"shaded_m", Type::Real},       {"walk_shade_pct", Type::Real},
                         {"share_below_25pct", Type::Real}, {"no_destination", Type::Integer}, {"people", Type::Real}};
    if (shade_seeking)
        out.walks.columns.insert(out.walks.columns.end(), {{"shortest_walk_m", Type::Real}, {"shortest_shaded_m", Type::Real}});
    for (std::size_t r = 0; r < allocated.table.units.size(); ++r) {
        for (std::size_t g = 0; g < groups; ++g) {
            const Tally& t = by_ranking[r * groups + g];
            std::vector<FieldValue> row;
            row.push_back(allocated.table.units[r].id);
            row.push_back(group_names[g]);
            row.push_back(t.agents);
            row.push_back(number_or_null(t.mean_walk()));
            row.push_back(number_or_null(t.mean_shaded()));
            row.push_back(number_or_null(t.shade_pct()));
            row.push_back(number_or_null(t.share_below_25()));
            row.push_back(t.no_destination);
            row.push_back(t.people);
            if (shade_seeking) {
                row.push_back(number_or_null(t.shortest_people > 0 ? std::optional(t.shortest_walk / t.shortest_people)
                                                                   : std::nullopt));
                row.push_back(number_or_null(t.shortest_people > 0 ? std::optional(t.shortest_shaded / t.shortest_people)
                                                                   : std::nullopt));
            }
            out.walks.rows.push_back(std::move(row));
        }
    }

    // routes.geojson: a sample of agents drawn with the seed, in agent order.
    if (config.routes > 0) {
        // Agents with a route (a destination somewhere on their streets), in a seeded order.
        std::vector<std::pair<std::uint64_t, std::size_t>> order;
        for (std::size_t a = 0; a < agents.size(); ++a)
            if (sim.walks[a].destination >= 0)
                order.emplace_back(draw_seed(config.seed, static_cast<int>(a & 0x7fffffff)) ^ (static_cast<std::uint64_t>(a) << 31), a);
        const std::size_t take = std::min(order.size(), static_cast<std::size_t>(config.routes));
        std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(take), order.end());
        std::vector<std::size_t> chosen;
        for (std::size_t k = 0; k < take; ++k) chosen.push_back(order[k].second);
        std::sort(chosen.begin(), chosen.end());
        out.routes.columns = {{"agent", Type::Integer},    {"unit_id", Type::Text},    {"group", Type::Text},
                              {"start_x", Type::Real},     {"start_y", Type::Real},
                              {"walk_m", Type::Real},      {"shaded_m", Type::Real},   {"walk_shade_pct", Type::Real},
                              {"reached", Type::Integer},  {"destination_fid", Type::Integer},
                              {"destination_kind", Type::Text}};
        if (shade_seeking)
            out.routes.columns.insert(out.routes.columns.end(),
                                      {{"shortest_walk_m", Type::Real}, {"shortest_shaded_m", Type::Real}});
        out.routes.crs_wkt = shade_raster.crs_wkt;
        for (const std::size_t a : chosen) {
            const walks::Walk& walk = sim.walks[a];
            const Polyline line = sim.route(a);
            OGRLineString geometry;
            for (const LinePoint& p : line) geometry.addPoint(p.x, p.y);
            if (line.size() == 1) geometry.addPoint(line[0].x, line[0].y);  // started on the destination
            std::vector<FieldValue> row;
            row.push_back(static_cast<std::int64_t>(a));
            row.push_back(measured.units.ids[agents[a].unit]);
            row.push_back(group_names[agents[a].group]);
            row.push_back(agents[a].start.x);
            row.push_back(agents[a].start.y);
            const bool any = walk.destination >= 0;
            row.push_back(any ? FieldValue(walk.walk_m) : FieldValue(std::monostate{}));
            row.push_back(any ? FieldValue(walk.shaded_m) : FieldValue(std::monostate{}));
            row.push_back(any && walk.walk_m > 0 ? FieldValue(100 * walk.shaded_m / walk.walk_m) : FieldValue(std::monostate{}));
            row.push_back(static_cast<std::int64_t>(walk.reached ? 1 : 0));
            const auto d = static_cast<std::size_t>(walk.destination);
            row.push_back(any ? FieldValue(inputs.destinations->fids[d]) : FieldValue(std::monostate{}));
            row.push_back(any && !inputs.destinations->kinds[d].empty() ? FieldValue(inputs.destinations->kinds[d])
                                                                         : FieldValue(std::monostate{}));
            if (shade_seeking) {
                const walks::Walk& s = sim.shortest[a];
                row.push_back(s.destination >= 0 ? FieldValue(s.walk_m) : FieldValue(std::monostate{}));
                row.push_back(s.destination >= 0 ? FieldValue(s.shaded_m) : FieldValue(std::monostate{}));
            }
            out.routes.rows.push_back(std::move(row));
            out.routes.geometries.push_back(detail::to_wkb(geometry));
        }
    }

    // Warnings.
    const std::int64_t no_destination = by_group[0].no_destination;
    if (no_destination > 0)
        diagnostics.warn("walks-no-destination", "walks",
                         fmt::format("{} of {} agents of everyone ({:.0f} of {:.0f} residents) reach no destination "
                                     "within {} m; counted in no_destination",
                                     no_destination, by_group[0].agents, by_group[0].people - by_group[0].reached_people,
                                     by_group[0].people, format_number(config.max_walk_m)));
    std::size_t far_destinations = 0;
    for (const double d : sim.destination_access_m) far_destinations += d > config.max_walk_m ? 1 : 0;
    if (far_destinations > 0)
        diagnostics.warn("walks-destination-off-street", inputs.destinations->path,
                         fmt::format("{} destinations lie more than {} m from every street: nobody reaches them",
                                     far_destinations, format_number(config.max_walk_m)));
    if (sim.crossings_without_junction > 0)
        diagnostics.warn("walks-crossings", inputs.streets->path,
                         fmt::format("{} places where streets cross without a shared vertex: no junction there "
                                     "(bridges; or lines that are not noded, see docs/walks.md); the streets form "
                                     "{} separate parts",
                                     sim.crossings_without_junction, sim.network.components));
    if (sim.network.zero_length_edges > 0)
        diagnostics.warn("walks-zero-length", inputs.streets->path,
                         fmt::format("{} street edges of length 0 left out", sim.network.zero_length_edges));
    if (inputs.streets->skipped > 0)
        diagnostics.warn("walks-empty-streets", inputs.streets->path,
                         fmt::format("{} features without a line left out", inputs.streets->skipped));
    if (sim.street_unknown_km > 0)
        diagnostics.warn("walks-shade-unknown", shade_raster.path,
                         fmt::format("{:.3f} of {:.3f} km of streets lie on nodata or off the raster: counted as sun",
                                     sim.street_unknown_km, sim.street_km));
    std::vector<std::string> fallback_ids;
    std::vector<std::string> no_residential_ids;
    for (std::size_t i = 0; i < n; ++i) {
        if (fell_back[i]) fallback_ids.push_back(measured.units.ids[i]);
        if (without_residential[i]) no_residential_ids.push_back(measured.units.ids[i]);
    }
    if (!no_residential_ids.empty())
        diagnostics.warn_about_key("walks-no-residential", "residential_classes",
                         fmt::format("{} census units with residents have no residential land ({}): their agents "
                                     "start anywhere in the unit",
                                     no_residential_ids.size(), examples(no_residential_ids)));
    if (!fallback_ids.empty())
        diagnostics.warn_about_key("walks-residential-scarce", "residential_classes",
                         fmt::format("{} census units have too little residential land to draw starts on ({}): "
                                     "some agents start anywhere in the unit",
                                     fallback_ids.size(), examples(fallback_ids)));

    // walks.json.
    nlohmann::json j;
    j["streets"] = {{"path", inputs.streets->path},
                    {"layer", inputs.streets->layer_name},
                    {"crs", inputs.streets->crs_name},
                    {"features", inputs.streets->features},
                    {"lines", inputs.streets->lines.size()},
                    {"features_without_line", inputs.streets->skipped},
                    {"nodes", sim.network.nodes.size()},
                    {"edges", sim.network.edges.size()},
                    {"zero_length_edges", sim.network.zero_length_edges},
                    {"components", sim.network.components},
                    {"components_with_destination", sim.components_with_destination},
                    {"crossings_without_junction", sim.crossings_without_junction},
                    {"length_km", sim.street_km},
                    {"shaded_km", sim.street_shaded_km},
                    {"unknown_km", sim.street_unknown_km}};
    double access_max = 0;
    double access_sum = 0;
    for (const double d : sim.destination_access_m) {
        access_max = std::max(access_max, d);
        access_sum += d;
    }
    j["destinations"] = {{"path", inputs.destinations->path},
                         {"layer", inputs.destinations->layer_name},
                         {"crs", inputs.destinations->crs_name},
                         {"kind", config.destination_kind.empty() ? nlohmann::json(nullptr)
                                                                  : nlohmann::json(config.destination_kind)},
                         {"features", inputs.destinations->features},
                         {"filtered_out", inputs.destinations->filtered_out},
                         {"used", inputs.destinations->points.size()},
                         {"farther_than_max_walk_from_streets", far_destinations},
                         {"access_m_mean", sim.destination_access_m.empty() ? 0.0 : access_sum / static_cast<double>(sim.destination_access_m.size())},
                         {"access_m_max", access_max}};
    j["shade"] = {{"source", inputs.shade ? "shade" : "canopy"}, {"path", shade_raster.path}};
    j["agents"] = {{"per_person", per_person},
                   {"seed", config.seed},
                   {"starts", residential ? "residential land" : "anywhere in the unit"},
                   {"total", agents.size()},
                   {"outside_ranking_units", outside_ranking},
                   {"in_components_without_destination", sim.agents_in_components_without_destination}};
    j["max_walk_m"] = config.max_walk_m;
    j["sun_aversion"] = config.sun_aversion;
    nlohmann::json by_group_json = nlohmann::json::array();
    for (std::size_t g = 0; g < groups; ++g) {
        const Tally& t = by_group[g];
        const auto value = [](const std::optional<double>& v) { return v ? nlohmann::json(*v) : nlohmann::json(nullptr); };
        nlohmann::json row = {{"group", group_names[g]},
                              {"agents", t.agents},
                              {"people", t.people},
                              {"no_destination", t.no_destination},
                              {"walk_m", value(t.mean_walk())},
                              {"shaded_m", value(t.mean_shaded())},
                              {"walk_shade_pct", value(t.shade_pct())},
                              {"share_below_25pct", value(t.share_below_25())}};
        if (shade_seeking && t.shortest_people > 0 && t.reached_people > 0) {
            const double shortest_walk = t.shortest_walk / t.shortest_people;
            const double shortest_shaded = t.shortest_shaded / t.shortest_people;
            row["shortest_walk_m"] = shortest_walk;
            row["shortest_shaded_m"] = shortest_shaded;
            row["shortest_walk_shade_pct"] = t.shortest_walk > 0 ? nlohmann::json(100 * t.shortest_shaded / t.shortest_walk)
                                                                 : nlohmann::json(nullptr);
            row["shade_gained_m"] = *t.mean_shaded() - shortest_shaded;
            row["extra_walk_m"] = *t.mean_walk() - shortest_walk;
        }
        by_group_json.push_back(row);
    }
    j["groups"] = by_group_json;
    nlohmann::json warnings = nlohmann::json::array();
    for (std::size_t w = first_warning; w < diagnostics.warnings().size(); ++w) {
        const Warning& warning = diagnostics.warnings()[w];
        warnings.push_back({{"code", warning.code}, {"subject", warning.subject}, {"message", warning.message}});
    }
    j["warnings"] = warnings;
    j["timings_s"] = {{"agents", agents_seconds},
                      {"streets", sim.street_seconds},
                      {"search", sim.search_seconds},
                      {"choices", sim.agent_seconds}};
    out.summary = std::move(j);
    return out;
}

}  // namespace shadegap::stages
