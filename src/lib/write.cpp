// The write stage: the ranking and the measurements as priority.geojson, priority.csv,
// units.csv (with .csvt sidecars) and run.json, through an output transaction.
// SPDX-License-Identifier: MIT
#include "run_stages.hpp"

#include "ogr_util.hpp"
#include "shadegap/output.hpp"
#include "shadegap/report.hpp"
#include "shadegap/version.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <sstream>

namespace shadegap::stages {

namespace fs = std::filesystem;

namespace {

/// The files a run writes: the four of every run with their .csvt, the equity tables
/// when --equity-group is given, priority.gpkg with --format gpkg, the walks' with walks,
/// the plan's with plan (and plan.gpkg with --format gpkg).
std::vector<std::string> output_names(const RunConfig& config) {
    std::vector<std::string> names = {"priority.geojson", "priority.csv", "priority.csvt", "units.csv", "units.csvt"};
    if (!config.equity_groups.empty())
        names.insert(names.end(), {"equity.csv", "equity.csvt", "disparity.csv", "disparity.csvt"});
    if (config.format == OutputFormat::GeoPackage) names.push_back("priority.gpkg");
    if (config.report) names.push_back("report.html");
    if (config.walks) {
        names.insert(names.end(), {"walks.csv", "walks.csvt", "walks.json"});
        if (config.routes > 0) names.push_back("routes.geojson");
    }
    if (config.plan) {
        names.insert(names.end(), {"plan.csv", "plan.csvt", "sites.geojson", "plan.json"});
        if (config.format == OutputFormat::GeoPackage) names.push_back("plan.gpkg");
    }
    names.push_back("run.json");
    return names;
}

FieldValue integer_or_null(const std::optional<std::int64_t>& value) {
    if (!value) return std::monostate{};
    return *value;
}

FieldValue percent_or_null(const std::optional<double>& value) {
    return number_or_null(percent(value));
}

OutputTable priority_table(const Model& model, const RankingTable& table, const ScoredTable& scored,
                           const Ranking& ranking, const RankUncertainty& uncertainty, bool with_shade,
                           bool with_heat) {
    using Type = OutputColumn::Type;
    OutputTable out;
    out.columns = {{"id", Type::Text},           {"name", Type::Text},         {"rank", Type::Integer},
                   {"score", Type::Real},        {"priority", Type::Real},     {"canopy_pct", Type::Real},
                   {"goal_pct", Type::Real},     {"gap_pct", Type::Real},      {"population", Type::Real},
                   {"area_km2", Type::Real},     {"density_km2", Type::Real},  {"trees_needed", Type::Real},
                   {"land_km2", Type::Real},     {"nodata_pct", Type::Real},   {"outside_pct", Type::Real}};
    if (with_shade) out.columns.insert(out.columns.begin() + 6, {"shade_pct", Type::Real});
    if (uncertainty.enabled)
        out.columns.insert(out.columns.begin() + 3,
                           {{"rank_low", Type::Integer}, {"rank_high", Type::Integer}, {"p_top", Type::Real}});
    if (with_heat) out.columns.push_back({"heat_c", Type::Real});
    if (model.target_score) {
        out.columns.push_back({"target_" + to_string(model.coverage) + "_pct", Type::Real});
        out.columns.push_back({"target_plant_m2", Type::Real});
    }
    for (const auto& variable : scored.variables_used) out.columns.push_back({"p_" + variable, Type::Real});
    for (const std::size_t i : ranking.order) {
        const RankingUnit& unit = table.units[i];
        const ScoredUnit& s = scored.units[i];
        // The unit's area as measured: its cells (valid, water, nodata) and its part off the raster.
        const double measured_m2 = unit.sums.covered_m2 + unit.outside_m2;
        std::vector<FieldValue> row = {
            unit.id,
            unit.name,
            ranking.rank[i] > 0 ? FieldValue(static_cast<std::int64_t>(ranking.rank[i])) : FieldValue(std::monostate{}),
            number_or_null(s.score),
            number_or_null(s.priority),
            percent_or_null(unit.canopy_fraction()),
            percent_or_null(s.goal),
            percent_or_null(s.gap),
            unit.population,
            unit.area_m2 / 1e6,
            number_or_null(s.density_km2),
            number_or_null(s.trees_needed),
            unit.land_m2() / 1e6,
            measured_m2 > 0 ? FieldValue(100.0 * (unit.sums.nodata_m2 + unit.outside_m2) / measured_m2)
                            : FieldValue(std::monostate{}),
            measured_m2 > 0 ? FieldValue(100.0 * unit.outside_m2 / measured_m2) : FieldValue(std::monostate{}),
        };
        if (with_shade) row.insert(row.begin() + 6, percent_or_null(unit.shade_fraction()));
        if (with_heat) row.push_back(number_or_null(unit.heat_c));
        if (uncertainty.enabled) {
            // rank_low, rank_high and p_top after the rank.
            std::vector<FieldValue> with_draws;
            with_draws.reserve(row.size() + 3);
            for (std::size_t k = 0; k < row.size(); ++k) {
                with_draws.push_back(std::move(row[k]));
                if (k != 2) continue;
                with_draws.push_back(integer_or_null(uncertainty.rank_low[i]));
                with_draws.push_back(integer_or_null(uncertainty.rank_high[i]));
                with_draws.push_back(FieldValue(uncertainty.p_top[i]));
            }
            row = std::move(with_draws);
        }
        if (model.target_score) {
            row.push_back(percent_or_null(s.target_coverage));
            row.push_back(number_or_null(s.target_plant_m2));
        }
        for (const auto& variable : scored.variables_used) {
            const auto c = s.components.find(variable);
            row.push_back(c == s.components.end() ? FieldValue(std::monostate{}) : number_or_null(c->second));
        }
        out.rows.push_back(std::move(row));
    }
    return out;
}

OutputTable units_table(const Inputs& inputs, const AlignedZones& aligned, const UnitTable& units) {
    const bool with_shade = inputs.shade.has_value();
    using Type = OutputColumn::Type;
    OutputTable out;
    out.columns = {{"unit_id", Type::Text},   {"valid_m2", Type::Real},  {"canopy_m2", Type::Real},
                   {"nodata_m2", Type::Real}, {"canopy_fraction", Type::Real}, {"water_m2", Type::Real},
                   {"area_m2", Type::Real},   {"outside_m2", Type::Real}};
    if (with_shade) {
        out.columns.push_back({"shade_mask_m2", Type::Real});
        out.columns.push_back({"shade_m2", Type::Real});
        out.columns.push_back({"shade_pct", Type::Real});
    }
    if (inputs.residential) out.columns.push_back({"residential_m2", Type::Real});
    if (inputs.heat) out.columns.push_back({"heat_c", Type::Real});
    std::vector<const FieldSource*> columns;
    for (const auto& field : inputs.fields) {
        if (field.role == "scope") continue;
        out.columns.push_back({field.column, Type::Real});
        columns.push_back(&field);
    }
    for (std::size_t i = 0; i < units.size(); ++i) {
        const ZoneSums& s = units.sums[i];
        const bool has_canopy = s.valid_m2 > 0 && has_enough_data(s, units.area_m2[i]);
        std::vector<FieldValue> row = {units.ids[i], s.valid_m2, s.canopy_m2, s.nodata_m2,
                                       has_canopy ? FieldValue(s.canopy_m2 / s.valid_m2) : FieldValue(std::monostate{}),
                                       s.water_m2, units.area_m2[i],
                                       std::max(0.0, aligned.area_m2[i] - aligned.on_raster_m2[i])};
        if (with_shade) {
            row.emplace_back(s.shade_mask_m2);
            row.emplace_back(s.shade_m2);
            row.push_back(s.shade_mask_m2 > 0 && has_enough_data(s, units.area_m2[i]) ? FieldValue(100.0 * s.shade_m2 / s.shade_mask_m2)
                                              : FieldValue(std::monostate{}));
        }
        if (inputs.residential) row.emplace_back(s.residential_m2);
        if (inputs.heat) row.push_back(number_or_null(units.heat_c[i]));
        for (const auto* field : columns) {
            if (field->role == "population") row.push_back(units.population[i]);
            else row.push_back(number_or_null(units.variables.at(field->role)[i]));
        }
        out.rows.push_back(std::move(row));
    }
    return out;
}

nlohmann::json model_json(const Model& model) {
    nlohmann::json variables = nlohmann::json::array();
    for (const auto& v : model.variables) {
        nlohmann::json j = {{"name", v.name}, {"column", v.column}, {"weight", v.weight},
                            {"normalise", to_string(v.normalise)}, {"scale", v.scale}};
        j["cap"] = v.cap ? nlohmann::json(*v.cap) : nlohmann::json(nullptr);
        variables.push_back(j);
    }
    nlohmann::json density = nlohmann::json::array();
    for (const auto& band : model.density_table) {
        density.push_back({{"max_density_km2", std::isfinite(band.max_density_km2) ? nlohmann::json(band.max_density_km2)
                                                                                   : nlohmann::json("inf")},
                           {"factor", band.factor}});
    }
    return {{"name", model.name},
            {"source", model.source},
            {"coverage", to_string(model.coverage)},
            {"goal", {{"method", to_string(model.goal_method)}, {"baseline", model.goal_baseline},
                      {"column", model.goal_column}, {"cap_factor", model.goal_cap_factor}, {"density", density}}},
            {"population_column", model.population_column},
            {"priority", {{"floor", model.priority_floor}, {"scope", model.scope_column}, {"variables", variables}}},
            {"score", {{"max", model.score_max}, {"rounding", to_string(model.score_rounding)}}},
            {"trees", {{"crown_area_m2", model.crown_area_m2}, {"rounding", to_string(model.trees_rounding)}}},
            {"target_score", model.target_score ? nlohmann::json(*model.target_score) : nlohmann::json(nullptr)}};
}

nlohmann::json file_json(const std::string& path, const std::string& crs) {
    std::error_code ec;
    const auto size = fs::file_size(path, ec);
    return {{"path", path}, {"bytes", ec ? nlohmann::json(nullptr) : nlohmann::json(size)}, {"crs", crs}};
}

std::string run_json(const RunConfig& config, const Inputs& inputs, const RankingTable& table,
                     const ScoredTable& scored, const RunResult& result, int threads,
                     const std::vector<std::string>& ungrouped, const Coverage& coverage,
                     const EquityTables& equity) {
    nlohmann::json j;
    j["shadegap_version"] = SHADEGAP_VERSION_STRING;
    j["project_file"] = config.project_file;
    nlohmann::json in;
    in["canopy"] = file_json(config.canopy, inputs.raster.crs_name);
    in["canopy"]["kind"] = inputs.kind.to_string();
    in["canopy"]["water_classes"] = config.water_classes;
    in["canopy"]["size"] = {inputs.raster.grid.cols, inputs.raster.grid.rows};
    in["canopy"]["cell_size"] = {inputs.raster.grid.cell_width, inputs.raster.grid.cell_height};
    if (inputs.shade) {
        in["shade"] = file_json(config.shade, inputs.shade->crs_name);
        in["shade"]["mask"] = to_string(config.shade_mask);
        in["shade"]["building_classes"] = config.building_classes;
        in["shade"]["walkable_classes"] = config.walkable_classes;
    }
    if (inputs.heat) {
        in["heat"] = file_json(config.heat, inputs.heat->crs_name);
        // Where the model's heat variable comes from: this raster (unit mean − run mean), a column, or nowhere.
        const bool column = std::any_of(inputs.fields.begin(), inputs.fields.end(),
                                        [](const FieldSource& f) { return f.role == "heat"; });
        in["heat"]["model_variable"] = inputs.heat_variable_from_raster ? "raster" : column ? "column" : "none";
    }
    if (inputs.residential) in["canopy"]["residential_classes"] = config.residential_classes;
    in["units"] = file_json(config.units, inputs.units.crs_name);
    in["units"]["layer"] = inputs.units.layer_name;
    in["units"]["id_field"] = config.unit_id;
    in["units"]["count"] = inputs.units.size();
    if (inputs.join) {
        in["join"] = file_json(config.join, "");
        in["join"]["key"] = config.join_key;
        in["join"]["allow_unmatched"] = config.allow_unmatched;
        std::size_t matched = 0;
        for (const JoinRow* row : inputs.join_rows) matched += row != nullptr;
        in["join"]["matched_units"] = matched;
    }
    if (inputs.neighbourhoods) {
        in["neighbourhoods"] = file_json(config.neighbourhoods, inputs.neighbourhoods->crs_name);
        in["neighbourhoods"]["layer"] = inputs.neighbourhoods->layer_name;
        in["neighbourhoods"]["id_field"] = config.neighbourhood_id;
        in["neighbourhoods"]["count"] = inputs.neighbourhoods->size();
    }
    j["inputs"] = in;
    j["ranking_units"] = inputs.mode == RankingMode::Neighbourhoods ? "neighbourhoods"
                         : inputs.mode == RankingMode::Groups       ? "groups"
                                                                    : "census units";
    if (inputs.mode == RankingMode::Groups) {
        j["group_by"] = inputs.group_by;
        j["ungrouped_units"] = ungrouped;
    }
    j["model"] = model_json(inputs.model);
    nlohmann::json fields = nlohmann::json::object();
    for (const auto& f : inputs.fields) fields[f.role] = {{"column", f.column}, {"file", f.file}};
    j["fields"] = fields;
    j["dropped_variables"] = inputs.dropped_variables;
    j["variables_used"] = scored.variables_used;
    j["threads"] = threads;
    j["counts"] = {{"census_units", result.unit_count}, {"ranking_units", table.units.size()}};
    if (inputs.neighbourhoods) {
        j["counts"]["people"] = coverage.people;
        j["counts"]["people_in_several_neighbourhoods"] = coverage.people_in_several;
        j["counts"]["people_in_no_neighbourhood"] = coverage.people_in_none;
    }
    j["gap_max"] = scored.gap_max;
    j["city_score"] = scored.city_score ? nlohmann::json(*scored.city_score) : nlohmann::json(nullptr);
    nlohmann::json timings = nlohmann::json::object();
    for (const auto& t : result.timings) timings[t.stage] = t.seconds;
    j["timings_s"] = timings;
    nlohmann::json warnings = nlohmann::json::array();
    for (const auto& w : result.diagnostics.warnings())
        warnings.push_back({{"code", w.code}, {"subject", w.subject}, {"message", w.message}});
    j["warnings"] = warnings;
    if (equity.enabled) {
        nlohmann::json groups = nlohmann::json::object();
        for (const auto& [name, column] : config.equity_groups) groups[name] = column;
        j["equity"] = {{"groups", groups},
                       {"reference", equity.reference},
                       {"rank_by", config.rank_by.empty() ? nlohmann::json(nullptr) : nlohmann::json(config.rank_by)},
                       {"people_left_out", equity.people_left_out}};
    }
    std::vector<std::string> outputs;
    for (const auto& name : output_names(config)) outputs.push_back((fs::path(config.out) / name).string());
    j["outputs"] = outputs;
    return j.dump(2) + "\n";
}


std::string read_text(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    if (!in) throw OutputError(path, "cannot read back the file just written");
    return text.str();
}

ReportContent with_equity(ReportContent report, const EquityTables& equity) {
    report.equity = equity.equity;
    report.disparity = equity.disparity;
    if (!equity.reference.empty()) report.reference = equity.reference;
    return report;
}

/// walks.json's "groups" as the report's table, and --routes' routes.geojson as written.
ReportContent with_walks(ReportContent report, const WalkTables& walks, const RunConfig& config,
                         std::string routes_geojson) {
    using Type = OutputColumn::Type;
    OutputTable& table = report.walks_by_group;
    table.columns = {{"group", Type::Text},          {"agents", Type::Integer},  {"people", Type::Real},
                     {"no_destination", Type::Integer}, {"walk_m", Type::Real},  {"shaded_m", Type::Real},
                     {"walk_shade_pct", Type::Real},  {"share_below_25pct", Type::Real}};
    if (config.sun_aversion > 0)
        table.columns.insert(table.columns.end(), {{"shade_gained_m", Type::Real}, {"extra_walk_m", Type::Real}});
    for (const auto& group : walks.summary.at("groups")) {
        std::vector<FieldValue> row;
        for (const auto& column : table.columns) {
            const auto value = group.find(column.name);
            if (value == group.end() || value->is_null()) row.emplace_back(std::monostate{});
            else if (column.type == Type::Text) row.emplace_back(value->get<std::string>());
            else if (column.type == Type::Integer) row.emplace_back(value->get<std::int64_t>());
            else row.emplace_back(value->get<double>());
        }
        table.rows.push_back(std::move(row));
    }
    report.routes_geojson = std::move(routes_geojson);
    report.max_walk_m = config.max_walk_m;
    report.sun_aversion = config.sun_aversion;
    return report;
}

std::optional<double> number_or_none(const nlohmann::json& value) {
    if (!value.is_number()) return std::nullopt;
    return value.get<double>();
}

/// plan.csv's table, plan.json's totals and comparison, and sites.geojson as written.
ReportContent with_plan(ReportContent report, const PlanTables& plan, std::string sites_geojson) {
    report.plan = plan.plan;
    const nlohmann::json& summary = plan.summary;
    PlanSummary& totals = report.plan_summary;
    totals.trees_asked = summary.at("trees").at("asked").get<std::int64_t>();
    totals.trees_planted = summary.at("trees").at("planted").get<std::int64_t>();
    totals.cost = number_or_none(summary.at("cost"));
    totals.city_score_now = number_or_none(summary.at("city_score").at("now"));
    totals.city_score_plan = number_or_none(summary.at("city_score").at("plan"));
    for (const char* name : {"plan", "by_rank", "in_proportion_to_gap"}) {
        const auto rule = summary.at("comparison").find(name);
        if (rule == summary.at("comparison").end()) continue;
        totals.comparison.push_back({name, rule->at("trees").get<std::int64_t>(), rule->at("objective").get<double>(),
                                     rule->at("people_reached").get<double>(),
                                     rule->at("people_canopy_points").get<double>()});
    }
    report.sites_geojson = std::move(sites_geojson);
    return report;
}

/// plan.gpkg: the planted sites (points) and the ranking units with plan.csv's columns,
/// each with its QGIS default style.
void write_plan_geopackage(const PlanTables& plan, const std::vector<std::vector<unsigned char>>& geometries,
                           const std::string& crs_wkt, const std::string& path) {
    OutputTable units = plan.plan;
    units.geometries = geometries;  // plan.csv is in the ranking table's order, as the geometries
    units.crs_wkt = crs_wkt;
    write_geopackage({{"sites", &plan.sites, sites_style_qml(), "shadegap: the planted sites, one green circle each", true},
                      {"plan", &units, plan_style_qml(),
                       "shadegap: canopy with the plan (canopy_pct_plan) in 5 classes, light (0-10) to dark green "
                       "(40-100)", false}},
                     path);
}

ReportContent with_run(ReportContent report, const Model& model, const RunResult& result) {
    report.model_name = model.name;
    for (const auto& v : model.variables) report.model_weights.emplace_back(v.name, v.weight);
    for (const auto& w : result.diagnostics.warnings())
        report.warnings.push_back(w.subject.empty() ? w.message : w.subject + ": " + w.message);
    return report;
}

}  // namespace

std::vector<std::vector<unsigned char>> ranking_geometries(const Inputs& inputs, const AlignedInputs& aligned,
                                                           const RankingTable& table) {
    if (inputs.mode == RankingMode::Neighbourhoods) return aligned.neighbourhoods->wkb;
    if (inputs.mode == RankingMode::CensusUnits) return aligned.units.wkb;
    const auto& values = inputs.units.texts.at(inputs.group_by);
    std::map<std::string, std::unique_ptr<OGRGeometry>> unions;
    for (std::size_t i = 0; i < values.size(); ++i) {
        if (!values[i]) continue;
        auto geometry = detail::from_wkb(aligned.units.wkb[i]);
        auto& slot = unions[*values[i]];
        if (!slot) slot = std::move(geometry);
        else slot.reset(slot->Union(geometry.get()));
    }
    std::vector<std::vector<unsigned char>> out;
    for (const auto& unit : table.units) out.push_back(detail::to_wkb(*detail::polygonal_part(std::move(unions.at(unit.id)))));
    return out;
}

void check_output_folder(const RunConfig& config) {
    const fs::path out(config.out);
    std::error_code ec;
    if (fs::exists(out, ec) && !fs::is_directory(out, ec))
        throw OutputError(config.out, "exists and is not a folder");
    // A folder to be created below a file fails only when the outputs are written: say so now.
    for (fs::path above = out.parent_path(); !above.empty(); above = above.parent_path()) {
        if (!fs::exists(above, ec)) continue;
        if (!fs::is_directory(above, ec))
            throw OutputError(config.out, "cannot create the output folder (" + above.string() + " is not a folder)");
        break;
    }
    if (config.overwrite) return;
    for (const auto& name : output_names(config)) {
        if (fs::exists(out / name, ec))
            throw OutputError(config.out, "already holds " + name + "; shadegap does not overwrite outputs")
                .with_hint("use " + key_text("overwrite", "true") + ", or choose another " + key_text("out"));
    }
}


RunTables build_tables(const Inputs& inputs, const AlignedInputs& aligned, const Measured& measured,
                       const Allocated& allocated, const ScoredTable& scored, const Ranking& ranking,
                       const RankUncertainty& uncertainty) {
    RunTables tables;
    const RankingTable& table = allocated.table;
    tables.priority = priority_table(inputs.model, table, scored, ranking, uncertainty, inputs.shade.has_value(),
                                     inputs.heat.has_value());
    tables.geometries = ranking_geometries(inputs, aligned, table);
    for (const std::size_t i : ranking.order) tables.priority.geometries.push_back(tables.geometries[i]);
    tables.priority.crs_wkt = inputs.raster.crs_wkt;
    tables.units = units_table(inputs, aligned.units, measured.units);
    return tables;
}

std::vector<std::string> write_run(const detail::RunState& state, const RunConfig& output_config, RunResult& result,
                                   const ProgressFn& progress) {
    const auto started = std::chrono::steady_clock::now();
    const ScaledProgress write_progress(progress, 0.95, 1.0, "write");
    write_progress(0);
    if (output_config.out.empty())
        throw OutputError("out", "no output folder given; write_outputs needs one");
    RunConfig config = state.config;
    config.out = output_config.out;
    config.overwrite = output_config.overwrite;
    config.format = output_config.format;
    config.report = output_config.report;
    check_output_folder(config);

    const Inputs& inputs = state.inputs;
    const Allocated& allocated = state.allocated;
    const RankingTable& table = allocated.table;
    const EquityTables& equity = state.equity;
    const WalkTables& walks = state.walks;
    const PlanTables& plan = state.plan;
    const int threads = state.threads;
    Diagnostics& diagnostics = result.diagnostics;

    OutputTransaction transaction(config.out, &diagnostics);
    const OutputTable& priority = state.tables.priority;
    write_geojson(priority, transaction.path_for("priority.geojson"), threads);
    if (config.format == OutputFormat::GeoPackage) write_geopackage(priority, transaction.path_for("priority.gpkg"));
    ReportContent report;
    if (config.report) report.priority_geojson = read_text(transaction.scratch_path("priority.geojson"));
    write_csv(priority, transaction.path_for("priority.csv"));
    write_csvt(priority, transaction.path_for("priority.csvt"));
    write_csv(state.tables.units, transaction.path_for("units.csv"));
    write_csvt(state.tables.units, transaction.path_for("units.csvt"));
    if (equity.enabled) {
        write_csv(equity.equity, transaction.path_for("equity.csv"));
        write_csvt(equity.equity, transaction.path_for("equity.csvt"));
        write_csv(equity.disparity, transaction.path_for("disparity.csv"));
        write_csvt(equity.disparity, transaction.path_for("disparity.csvt"));
    }
    std::string routes_geojson;
    std::string sites_geojson;
    if (plan.enabled) {
        write_csv(plan.plan, transaction.path_for("plan.csv"));
        write_csvt(plan.plan, transaction.path_for("plan.csvt"));
        write_geojson(plan.sites, transaction.path_for("sites.geojson"), threads);
        if (config.report) sites_geojson = read_text(transaction.scratch_path("sites.geojson"));
        write_file(transaction.path_for("plan.json"), plan.summary.dump(2) + "\n");
        if (config.format == OutputFormat::GeoPackage)
            write_plan_geopackage(plan, state.tables.geometries, inputs.raster.crs_wkt, transaction.path_for("plan.gpkg"));
    }
    if (walks.enabled) {
        write_csv(walks.walks, transaction.path_for("walks.csv"));
        write_csvt(walks.walks, transaction.path_for("walks.csvt"));
        if (config.routes > 0) {
            write_geojson(walks.routes, transaction.path_for("routes.geojson"), threads);
            if (config.report) routes_geojson = read_text(transaction.scratch_path("routes.geojson"));
        }
        write_file(transaction.path_for("walks.json"), walks.summary.dump(2) + "\n");
    }
    if (config.report) {
        // The report's table is priority.csv's: without the polygons, which it has as GeoJSON.
        report.priority = priority;
        report.priority.geometries.clear();
        if (equity.enabled) report = with_equity(std::move(report), equity);
        if (walks.enabled) report = with_walks(std::move(report), walks, config, std::move(routes_geojson));
        if (plan.enabled) report = with_plan(std::move(report), plan, std::move(sites_geojson));
        write_file(transaction.path_for("report.html"), build_report_html(with_run(std::move(report), inputs.model, result)));
    }
    // Before run.json, which records it.
    result.timings.push_back({"write", std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count()});
    write_file(transaction.path_for("run.json"),
               run_json(config, inputs, table, state.scored, result, threads, allocated.ungrouped, allocated.coverage,
                        equity));
    // The last chance for the caller to stop the run (an interrupt) before outputs move into place.
    write_progress(0.9);
    std::vector<std::string> outputs = transaction.commit();
    write_progress(1);
    return outputs;
}

}  // namespace shadegap::stages
