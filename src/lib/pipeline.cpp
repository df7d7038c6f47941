// The whole run: load → align → overlay → allocate → model → rank → write.
// SPDX-License-Identifier: MIT
#include "shadegap/pipeline.hpp"

#include "ogr_util.hpp"
#include "shadegap/allocate.hpp"
#include "shadegap/model.hpp"
#include "shadegap/output.hpp"
#include "shadegap/overlay.hpp"
#include "shadegap/rank.hpp"
#include "shadegap/raster.hpp"
#include "shadegap/sample.hpp"
#include "shadegap/zones.hpp"

#include <nlohmann/json.hpp>
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <set>

namespace shadegap {

namespace fs = std::filesystem;

namespace {

const std::vector<std::string> output_names = {"priority.geojson", "priority.csv", "units.csv", "run.json"};

/// Where a model role's values come from.
struct FieldSource {
    std::string role;
    std::string column;
    std::string file;  ///< units file or join CSV
    bool from_join = false;
};

/// The load stage's output: every input opened and read, nothing aligned yet.
struct Inputs {
    RasterInfo raster;
    std::optional<RasterInfo> shade;  ///< the shade raster, on the canopy raster's grid
    CanopyKind kind;
    Model model;
    ZoneLayer units;
    std::optional<ZoneLayer> neighbourhoods;
    std::optional<JoinTable> join;
    std::vector<FieldSource> fields;  ///< population first, then model roles, then scope
    std::vector<std::string> dropped_variables;
};

/// The align stage's output: every polygon in the raster's CRS.
struct AlignedInputs {
    AlignedZones units;
    std::optional<AlignedZones> neighbourhoods;
    Pieces pieces;
};

class Stopwatch {
public:
    explicit Stopwatch(std::vector<StageTiming>& timings) : m_timings(timings) {}
    void lap(const std::string& stage) {
        const auto now = std::chrono::steady_clock::now();
        m_timings.push_back({stage, std::chrono::duration<double>(now - m_last).count()});
        m_last = now;
    }

private:
    std::vector<StageTiming>& m_timings;
    std::chrono::steady_clock::time_point m_last = std::chrono::steady_clock::now();
};

void require(const std::string& value, const std::string& option) {
    if (value.empty())
        throw UsageError(option, "is required (give the flag or set it in the project file)");
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
    for (const auto& name : output_names) {
        if (fs::exists(out / name, ec))
            throw OutputError(config.out, "already holds " + name + "; shadegap does not overwrite outputs")
                .with_hint("use --overwrite, or choose another --out");
    }
}

/// Resolves every role the model reads to a column of the units layer or the join CSV.
std::vector<FieldSource> resolve_fields(const RunConfig& config, const Model& model,
                                        const std::vector<std::string>& unit_fields,
                                        const std::optional<JoinTable>& join, std::vector<std::string>& dropped) {
    std::vector<std::pair<std::string, std::string>> roles = {{"population", model.population_column}};
    for (const auto& role : model.fields()) roles.push_back(role);
    const std::string scope_default = model.scope_column;
    if (!scope_default.empty() || config.fields.count("scope")) roles.emplace_back("scope", scope_default);

    std::set<std::string> known;
    for (const auto& [role, column] : roles) known.insert(role);
    for (const auto& [role, column] : config.fields) {
        if (!known.count(role)) {
            std::string names;
            for (const auto& k : known) names += (names.empty() ? "" : ", ") + k;
            throw UsageError("--field " + role + "=" + column,
                             "model '" + model.name + "' has no variable '" + role + "' (variables: " + names + ")");
        }
    }
    const auto has = [](const std::vector<std::string>& list, const std::string& name) {
        return std::find(list.begin(), list.end(), name) != list.end();
    };
    const auto list_fields = [&] {
        std::string text;
        for (const auto& f : unit_fields) text += (text.empty() ? "" : ", ") + f;
        if (join)
            for (const auto& f : join->fields) text += ", " + f;
        return text;
    };

    std::vector<FieldSource> out;
    for (const auto& [role, default_column] : roles) {
        const auto given = config.fields.find(role);
        const bool explicit_field = given != config.fields.end();
        const std::string column = explicit_field ? given->second : default_column;
        if (has(unit_fields, column)) {
            out.push_back({role, column, config.units, false});
        } else if (join && has(join->fields, column)) {
            out.push_back({role, column, join->path, true});
        } else if (explicit_field || role == "population" || role == "scope" || role == "goal") {
            throw InputError(config.units, "field '" + column + "' for '" + role + "' not found (fields: " +
                                               list_fields() + ")")
                .with_hint("map it with --field " + role + "=COLUMN");
        } else {
            // apply_model warns about the variable and renormalises the weights.
            dropped.push_back(role);
        }
    }
    return out;
}

void check_shares(const Inputs& inputs, const RunConfig& config);

std::string list_numbers(const std::vector<double>& values) {
    std::string text;
    for (const double value : values) {
        char number[32];
        std::snprintf(number, sizeof number, "%.15g", value);
        text += (text.empty() ? "" : ",") + std::string(number);
    }
    return text;
}

/// The shade options make sense together, and the shade raster lies on the canopy's grid.
void load_shade(const RunConfig& config, Inputs& inputs) {
    if (config.shade_mask != "land" && config.shade_mask != "walkable")
        throw UsageError("--shade-mask", "expected land or walkable, got \"" + config.shade_mask + "\"");
    if (config.shade.empty()) {
        if (inputs.model.coverage == "shade")
            throw UsageError("--shade", "model '" + inputs.model.name +
                                            "' ranks by shade (model.coverage = \"shade\") and needs a shade-fraction "
                                            "raster")
                .with_hint("make one with shadegap shade, then give --shade PATH");
        // The classes describe the land cover (as water_classes do) and may sit in a project
        // file that runs with or without shade; a mask chosen without shade is a mistake.
        if (config.shade_mask != "land") throw UsageError("--shade-mask", "needs --shade PATH");
        return;
    }
    if (config.shade_mask == "walkable" && config.walkable_classes.empty())
        throw UsageError("--shade-mask", "walkable needs --walkable-classes V1,V2,... (the land-cover values of "
                                         "roads, sidewalks and open ground)");
    inputs.shade = describe_raster(config.shade);
    require_same_grid(inputs.raster, *inputs.shade, "the canopy raster " + inputs.raster.path);
}

ShadeMask shade_mask_of(const RunConfig& config) {
    if (config.shade_mask == "walkable") return {ShadeMask::Type::Include, config.walkable_classes};
    return {ShadeMask::Type::Exclude, config.building_classes};
}

std::string describe_shade_mask(const RunConfig& config) {
    if (config.shade_mask == "walkable") return "walkable (classes " + list_numbers(config.walkable_classes) + ")";
    if (config.building_classes.empty()) return "land";
    return "land (less classes " + list_numbers(config.building_classes) + ")";
}

Inputs load(const RunConfig& config, Diagnostics& diagnostics) {
    require(config.canopy, "--canopy");
    require(config.units, "--units");
    require(config.unit_id, "--unit-id");
    require(config.out, "--out");
    if (!config.join.empty() && config.join_key.empty()) throw UsageError("--join", "needs --join-key");
    if (!config.neighbourhoods.empty() && !config.group_by.empty())
        throw UsageError("--group-by", "cannot be combined with --neighbourhoods");
    if (!config.neighbourhoods.empty()) require(config.neighbourhood_id, "--neighbourhood-id");

    Inputs inputs;
    inputs.kind = CanopyKind::parse(config.canopy_kind);
    inputs.model = Model::resolve(config.model);
    inputs.raster = describe_raster(config.canopy);
    load_shade(config, inputs);
    if (!config.join.empty()) inputs.join = read_join_table(config.join, config.join_key);

    const auto unit_fields = layer_field_names(config.units, config.units_layer);
    inputs.fields = resolve_fields(config, inputs.model, unit_fields, inputs.join, inputs.dropped_variables);

    LayerRequest request{config.units, config.units_layer, config.unit_id, "", {}, {}};
    if (inputs.join && std::find(unit_fields.begin(), unit_fields.end(), config.join_key) == unit_fields.end())
        throw InputError(config.units, "join key '" + config.join_key + "' is not a field of the units");
    if (inputs.join) request.text_fields.push_back(config.join_key);
    for (const auto& field : inputs.fields) {
        if (field.from_join) continue;
        if (field.role == "scope") request.text_fields.push_back(field.column);
        else request.numeric_fields.push_back(field.column);
    }
    if (!config.group_by.empty()) request.text_fields.push_back(config.group_by);
    inputs.units = read_zone_layer(request, diagnostics);

    if (!config.neighbourhoods.empty()) {
        LayerRequest n{config.neighbourhoods, config.neighbourhoods_layer, config.neighbourhood_id,
                       config.neighbourhood_name, {}, {}};
        inputs.neighbourhoods = read_zone_layer(n, diagnostics);
    }
    check_shares(inputs, config);
    check_canopy_kind(sample_raster(inputs.raster, config.water_classes), inputs.kind, inputs.raster.path, diagnostics);
    return inputs;
}

/// Checks that the units fall on the raster at all: a wrong CRS shows up here.
void check_overlap(const Inputs& inputs, const AlignedZones& units) {
    const Grid& grid = inputs.raster.grid;
    Box all{1e300, 1e300, -1e300, -1e300};
    for (const auto& polygon : units.polygons) {
        const Box b = bounding_box(polygon);
        all = {std::min(all.x_min, b.x_min), std::min(all.y_min, b.y_min), std::max(all.x_max, b.x_max),
               std::max(all.y_max, b.y_max)};
        if (b.x_max > grid.x_min && b.x_min < grid.x_max() && b.y_max > grid.y_min() && b.y_min < grid.y_max)
            return;
    }
    char text[256];
    std::snprintf(text, sizeof text, "units span x %.6g..%.6g, y %.6g..%.6g; the raster spans x %.6g..%.6g, y %.6g..%.6g",
                  all.x_min, all.x_max, all.y_min, all.y_max, grid.x_min, grid.x_max(), grid.y_min(), grid.y_max);
    throw CrsError(inputs.units.path, std::string("no unit overlaps the raster ") + inputs.raster.path + " (" + text +
                                          " in the raster's CRS)")
        .with_hint("check that both files declare the right CRS");
}

AlignedInputs align(const Inputs& inputs, Diagnostics& diagnostics) {
    AlignedInputs aligned;
    aligned.units = align_zones(inputs.units, inputs.raster, diagnostics);
    check_overlap(inputs, aligned.units);
    if (inputs.neighbourhoods) {
        aligned.neighbourhoods = align_zones(*inputs.neighbourhoods, inputs.raster, diagnostics);
        aligned.pieces = intersect_zones(aligned.units, *aligned.neighbourhoods, inputs.raster);
        if (aligned.pieces.size() == 0)
            throw CrsError(inputs.neighbourhoods->path, "no neighbourhood overlaps any census unit")
                .with_hint("check that both files declare the right CRS");
    }
    return aligned;
}

/// Values of one role per census unit, from the units layer or the join CSV.
std::vector<std::optional<double>> numeric_values(const Inputs& inputs, const FieldSource& field,
                                                  const RunConfig& config, Diagnostics& diagnostics) {
    if (!field.from_join) return inputs.units.numbers.at(field.column);
    std::vector<std::optional<double>> values;
    const auto& keys = inputs.units.texts.at(config.join_key);
    std::size_t missing = 0;
    for (std::size_t i = 0; i < inputs.units.size(); ++i) {
        std::optional<double> value;
        const auto row = keys[i] ? inputs.join->rows.find(*keys[i]) : inputs.join->rows.end();
        if (row == inputs.join->rows.end()) {
            ++missing;
        } else {
            bool ok = false;
            const std::string& text = row->second.at(field.column);
            value = parse_number(text, ok);
            if (!ok)
                throw InputError(inputs.join->path, "column '" + field.column + "' of key '" + *keys[i] + "': '" +
                                                        text + "' is not a number");
        }
        values.push_back(value);
    }
    if (missing > 0)
        diagnostics.warn("join-missing", inputs.join->path,
                         std::to_string(missing) + " census unit(s) have no row in the join table; '" + field.column +
                             "' is null for them");
    return values;
}

std::string format_number(double value) {
    char text[32];
    std::snprintf(text, sizeof text, "%.15g", value);
    return text;
}

/// Variables that the Tree Equity Score method defines as fractions 0–1 (docs/models.md).
/// After the model's `scale` (0.01 for a column in percent) their values must lie in
/// 0–1: a share of 1.7 is a wrong column or a wrong scale, not data to rank by.
const std::set<std::string> share_roles = {"poverty", "poc", "unemployment", "linguistic", "health"};

void check_share_range(const Inputs& inputs, const FieldSource& field,
                       const std::vector<std::optional<double>>& values) {
    if (!share_roles.count(field.role)) return;
    const auto& variables = inputs.model.variables;
    const auto variable = std::find_if(variables.begin(), variables.end(),
                                       [&](const ModelVariable& v) { return v.name == field.role; });
    if (variable == variables.end()) return;
    const double scale = variable->scale;
    for (std::size_t i = 0; i < values.size(); ++i) {
        if (!values[i]) continue;
        const double x = *values[i] * scale;
        if (x >= 0 && x <= 1) continue;
        const std::string where = "field '" + field.column + "' of unit '" + inputs.units.ids[i] + "': " +
                                  format_number(*values[i]);
        if (scale == 1)
            throw InputError(field.file, where + " is not a share; '" + field.role + "' takes fractions 0–1")
                .with_hint("for a column in percent, set scale = 0.01 for '" + field.role + "' in a model file");
        if (scale == 0.01)
            throw InputError(field.file, where + " is not a percent; '" + field.role +
                                             "' takes percents 0–100 (scale = 0.01 in " + inputs.model.source + ")");
        throw InputError(field.file, where + " × scale " + format_number(scale) + " = " + format_number(x) +
                                         " lies outside 0–1, the range of '" + field.role + "' (" +
                                         inputs.model.source + ")");
    }
}

/// Stops before any pixel is read when a share variable holds a value outside 0–1.
void check_shares(const Inputs& inputs, const RunConfig& config) {
    Diagnostics repeated;  // the overlay stage reads the values again and warns there
    for (const auto& field : inputs.fields)
        if (share_roles.count(field.role))
            check_share_range(inputs, field, numeric_values(inputs, field, config, repeated));
}

/// Text of one role for census unit i, from the units layer or the join CSV.
std::optional<std::string> text_value(const Inputs& inputs, const FieldSource& field, const RunConfig& config,
                                      std::size_t i) {
    if (!field.from_join) return inputs.units.texts.at(field.column)[i];
    const auto& key = inputs.units.texts.at(config.join_key)[i];
    if (!key) return std::nullopt;
    const auto row = inputs.join->rows.find(*key);
    if (row == inputs.join->rows.end()) return std::nullopt;
    const std::string& text = row->second.at(field.column);
    if (text.empty()) return std::nullopt;
    return text;
}

struct OverlayResult {
    UnitTable units;
    std::vector<ZoneSums> piece_sums;
};

OverlayResult overlay(const Inputs& inputs, const AlignedInputs& aligned, const RunConfig& config,
                      Diagnostics& diagnostics, const ProgressFn& progress) {
    OverlayOptions options;
    options.kind = inputs.kind;
    options.water_classes = config.water_classes;
    if (inputs.shade) options.shade = {config.shade, shade_mask_of(config)};
    options.threads = config.threads;
    options.block_rows = config.block_size;
    options.block_cols = config.block_size;

    std::vector<MultiPolygon> zones = aligned.units.polygons;
    zones.insert(zones.end(), aligned.pieces.polygons.begin(), aligned.pieces.polygons.end());
    auto sums = overlay_zones(inputs.raster.path, zones, options, progress);

    OverlayResult result;
    UnitTable& units = result.units;
    const std::size_t n = inputs.units.size();
    result.piece_sums.assign(sums.begin() + static_cast<std::ptrdiff_t>(n), sums.end());
    sums.resize(n);
    units.ids = inputs.units.ids;
    units.names = inputs.units.names;
    units.area_m2 = aligned.units.area_m2;
    units.sums = std::move(sums);
    units.scope.assign(n, "");
    std::size_t without_canopy = 0;
    for (std::size_t i = 0; i < n; ++i) {
        const ZoneSums& s = units.sums[i];
        if (!(s.valid_m2 > 0)) {
            ++without_canopy;
            diagnostics.warn("no-valid-cells", units.ids[i],
                             "census unit has no valid land cell (wholly on nodata, water or outside the raster); "
                             "its canopy is null");
            continue;
        }
        const double missing_m2 = s.nodata_m2 + std::max(0.0, units.area_m2[i] - s.covered_m2);
        if (units.area_m2[i] > 0 && missing_m2 / units.area_m2[i] > 0.2) {
            char share[32];
            std::snprintf(share, sizeof share, "%.1f", 100 * missing_m2 / units.area_m2[i]);
            diagnostics.warn("nodata-share", units.ids[i],
                             std::string("census unit has no data (nodata or outside the raster) on ") + share +
                                 " % of its area");
        }
    }
    if (without_canopy == n)
        throw InputError(inputs.raster.path, "no census unit has a valid canopy cell (all nodata, water or outside)");
    if (inputs.shade && std::none_of(units.sums.begin(), units.sums.end(),
                                     [](const ZoneSums& s) { return s.shade_mask_m2 > 0; }))
        throw InputError(config.shade, "no census unit has a cell of the " + describe_shade_mask(config) +
                                           " shade mask with a shade value (all nodata, or no cell of those classes)");

    for (const auto& field : inputs.fields) {
        if (field.role == "scope") {
            for (std::size_t i = 0; i < n; ++i) units.scope[i] = text_value(inputs, field, config, i).value_or("");
            continue;
        }
        auto values = numeric_values(inputs, field, config, diagnostics);
        if (field.role == "population") {
            units.population.resize(n);
            std::size_t nulls = 0;
            for (std::size_t i = 0; i < n; ++i) {
                if (values[i] && *values[i] < 0)
                    throw InputError(field.file, "field '" + field.column + "' of unit '" + units.ids[i] + "': " +
                                                     format_number(*values[i]) +
                                                     " is negative; a population is a count of 0 or more");
                if (!values[i]) ++nulls;
                units.population[i] = values[i].value_or(0.0);
            }
            if (nulls > 0)
                diagnostics.warn("population-null", field.file,
                                 std::to_string(nulls) + " census unit(s) have no population value; counted as 0");
        } else {
            units.variables[field.role] = std::move(values);
        }
    }
    return result;
}

RankingTable allocate(const Inputs& inputs, const AlignedInputs& aligned, const OverlayResult& measured,
                      const RunConfig& config, Diagnostics& diagnostics, std::vector<std::string>& ungrouped) {
    if (inputs.neighbourhoods)
        return allocate_by_area(measured.units, aligned.pieces, measured.piece_sums, inputs.neighbourhoods->ids,
                                inputs.neighbourhoods->names, aligned.neighbourhoods->area_m2);
    if (!config.group_by.empty())
        return allocate_by_group(measured.units, inputs.units.texts.at(config.group_by), config.group_by,
                                 diagnostics, ungrouped);
    return allocate_to_units(measured.units);
}

FieldValue value_or_null(const std::optional<double>& value) {
    if (!value || !std::isfinite(*value)) return std::monostate{};
    return *value;
}

FieldValue percent_or_null(const std::optional<double>& value) {
    if (!value || !std::isfinite(*value)) return std::monostate{};
    return 100.0 * *value;
}

/// The geometry of each ranking unit, in the raster's CRS.
std::vector<std::vector<unsigned char>> ranking_geometries(const Inputs& inputs, const AlignedInputs& aligned,
                                                           const RankingTable& table, const RunConfig& config) {
    if (aligned.neighbourhoods) return aligned.neighbourhoods->wkb;
    if (config.group_by.empty()) return aligned.units.wkb;
    const auto& values = inputs.units.texts.at(config.group_by);
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

OutputTable priority_table(const Model& model, const RankingTable& table, const ScoredTable& scored,
                           const Ranking& ranking, bool with_shade) {
    using Type = OutputColumn::Type;
    OutputTable out;
    out.columns = {{"id", Type::Text},           {"name", Type::Text},         {"rank", Type::Integer},
                   {"score", Type::Real},        {"priority", Type::Real},     {"canopy_pct", Type::Real},
                   {"goal_pct", Type::Real},     {"gap_pct", Type::Real},      {"population", Type::Real},
                   {"area_km2", Type::Real},     {"density_km2", Type::Real},  {"trees_needed", Type::Real},
                   {"land_km2", Type::Real},     {"nodata_pct", Type::Real}};
    if (with_shade) out.columns.insert(out.columns.begin() + 6, {"shade_pct", Type::Real});
    if (model.target_score) {
        out.columns.push_back({"target_" + model.coverage + "_pct", Type::Real});
        out.columns.push_back({"target_plant_m2", Type::Real});
    }
    for (const auto& variable : scored.variables_used) out.columns.push_back({"p_" + variable, Type::Real});
    for (const std::size_t i : ranking.order) {
        const RankingUnit& unit = table.units[i];
        const ScoredUnit& s = scored.units[i];
        const double observed_m2 = unit.sums.valid_m2 + unit.sums.nodata_m2;
        std::vector<FieldValue> row = {
            unit.id,
            unit.name,
            ranking.rank[i] > 0 ? FieldValue(static_cast<std::int64_t>(ranking.rank[i])) : FieldValue(std::monostate{}),
            value_or_null(s.score),
            value_or_null(s.priority),
            percent_or_null(unit.canopy_fraction()),
            percent_or_null(s.goal),
            percent_or_null(s.gap),
            unit.population,
            unit.area_m2 / 1e6,
            value_or_null(s.density_km2),
            value_or_null(s.trees_needed),
            unit.land_m2() / 1e6,
            observed_m2 > 0 ? FieldValue(100.0 * unit.sums.nodata_m2 / observed_m2) : FieldValue(std::monostate{}),
        };
        if (with_shade) row.insert(row.begin() + 6, percent_or_null(unit.shade_fraction()));
        if (model.target_score) {
            row.push_back(percent_or_null(s.target_coverage));
            row.push_back(value_or_null(s.target_plant_m2));
        }
        for (const auto& variable : scored.variables_used) {
            const auto c = s.components.find(variable);
            row.push_back(c == s.components.end() ? FieldValue(std::monostate{}) : value_or_null(c->second));
        }
        out.rows.push_back(std::move(row));
    }
    return out;
}

OutputTable units_table(const Inputs& inputs, const UnitTable& units) {
    const bool with_shade = inputs.shade.has_value();
    using Type = OutputColumn::Type;
    OutputTable out;
    out.columns = {{"unit_id", Type::Text},   {"valid_m2", Type::Real},  {"canopy_m2", Type::Real},
                   {"nodata_m2", Type::Real}, {"canopy_fraction", Type::Real}, {"water_m2", Type::Real},
                   {"area_m2", Type::Real}};
    if (with_shade) {
        out.columns.push_back({"shade_mask_m2", Type::Real});
        out.columns.push_back({"shade_m2", Type::Real});
        out.columns.push_back({"shade_pct", Type::Real});
    }
    std::vector<const FieldSource*> columns;
    for (const auto& field : inputs.fields) {
        if (field.role == "scope") continue;
        out.columns.push_back({field.column, Type::Real});
        columns.push_back(&field);
    }
    for (std::size_t i = 0; i < units.size(); ++i) {
        const ZoneSums& s = units.sums[i];
        std::vector<FieldValue> row = {units.ids[i], s.valid_m2, s.canopy_m2, s.nodata_m2,
                                       s.valid_m2 > 0 ? FieldValue(s.canopy_m2 / s.valid_m2) : FieldValue(std::monostate{}),
                                       s.water_m2, units.area_m2[i]};
        if (with_shade) {
            row.emplace_back(s.shade_mask_m2);
            row.emplace_back(s.shade_m2);
            row.push_back(s.shade_mask_m2 > 0 ? FieldValue(100.0 * s.shade_m2 / s.shade_mask_m2)
                                              : FieldValue(std::monostate{}));
        }
        for (const auto* field : columns) {
            if (field->role == "population") row.push_back(units.population[i]);
            else row.push_back(value_or_null(units.variables.at(field->role)[i]));
        }
        out.rows.push_back(std::move(row));
    }
    return out;
}

nlohmann::json model_json(const Model& model) {
    nlohmann::json variables = nlohmann::json::array();
    for (const auto& v : model.variables) {
        nlohmann::json j = {{"name", v.name}, {"column", v.column}, {"weight", v.weight},
                            {"normalise", v.normalise}, {"scale", v.scale}};
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
            {"coverage", model.coverage},
            {"goal", {{"method", model.goal_method}, {"baseline", model.goal_baseline},
                      {"column", model.goal_column}, {"cap_factor", model.goal_cap_factor}, {"density", density}}},
            {"population_column", model.population_column},
            {"priority", {{"floor", model.priority_floor}, {"scope", model.scope_column}, {"variables", variables}}},
            {"score", {{"max", model.score_max}, {"rounding", model.score_rounding}}},
            {"trees", {{"crown_area_m2", model.crown_area_m2}, {"rounding", model.trees_rounding}}},
            {"target_score", model.target_score ? nlohmann::json(*model.target_score) : nlohmann::json(nullptr)}};
}

nlohmann::json file_json(const std::string& path, const std::string& crs) {
    std::error_code ec;
    const auto size = fs::file_size(path, ec);
    return {{"path", path}, {"bytes", ec ? nlohmann::json(nullptr) : nlohmann::json(size)}, {"crs", crs}};
}

std::string run_json(const RunConfig& config, const Inputs& inputs, const RankingTable& table,
                     const ScoredTable& scored, const RunResult& result, int threads,
                     const std::vector<std::string>& ungrouped) {
    nlohmann::json j;
    j["shadegap_version"] = SHADEGAP_VERSION;
    j["project_file"] = config.project_file;
    nlohmann::json in;
    in["canopy"] = file_json(config.canopy, inputs.raster.crs_name);
    in["canopy"]["kind"] = inputs.kind.to_string();
    in["canopy"]["water_classes"] = config.water_classes;
    in["canopy"]["size"] = {inputs.raster.grid.cols, inputs.raster.grid.rows};
    in["canopy"]["cell_size"] = {inputs.raster.grid.cell_width, inputs.raster.grid.cell_height};
    if (inputs.shade) {
        in["shade"] = file_json(config.shade, inputs.shade->crs_name);
        in["shade"]["mask"] = config.shade_mask;
        in["shade"]["building_classes"] = config.building_classes;
        in["shade"]["walkable_classes"] = config.walkable_classes;
    }
    in["units"] = file_json(config.units, inputs.units.crs_name);
    in["units"]["layer"] = inputs.units.layer_name;
    in["units"]["id_field"] = config.unit_id;
    in["units"]["count"] = inputs.units.size();
    if (inputs.join) {
        in["join"] = file_json(config.join, "");
        in["join"]["key"] = config.join_key;
    }
    if (inputs.neighbourhoods) {
        in["neighbourhoods"] = file_json(config.neighbourhoods, inputs.neighbourhoods->crs_name);
        in["neighbourhoods"]["layer"] = inputs.neighbourhoods->layer_name;
        in["neighbourhoods"]["id_field"] = config.neighbourhood_id;
        in["neighbourhoods"]["count"] = inputs.neighbourhoods->size();
    }
    j["inputs"] = in;
    j["ranking_units"] = inputs.neighbourhoods ? "neighbourhoods" : (config.group_by.empty() ? "census units" : "groups");
    if (!config.group_by.empty()) {
        j["group_by"] = config.group_by;
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
    j["gap_max"] = scored.gap_max;
    j["city_score"] = scored.city_score ? nlohmann::json(*scored.city_score) : nlohmann::json(nullptr);
    nlohmann::json timings = nlohmann::json::object();
    for (const auto& t : result.timings) timings[t.stage] = t.seconds;
    j["timings_s"] = timings;
    nlohmann::json warnings = nlohmann::json::array();
    for (const auto& w : result.diagnostics.warnings())
        warnings.push_back({{"code", w.code}, {"subject", w.subject}, {"message", w.message}});
    j["warnings"] = warnings;
    std::vector<std::string> outputs;
    for (const auto& name : output_names) outputs.push_back((fs::path(config.out) / name).string());
    j["outputs"] = outputs;
    return j.dump(2) + "\n";
}

}  // namespace

Diagnostics validate(const RunConfig& config) {
    Diagnostics diagnostics;
    const Inputs inputs = load(config, diagnostics);
    align(inputs, diagnostics);
    check_output_folder(config);
    return diagnostics;
}

RunResult run_pipeline(const RunConfig& config, const ProgressFn& progress) {
    RunResult result;
    Diagnostics& diagnostics = result.diagnostics;
    Stopwatch clock(result.timings);
    const int threads = config.threads > 0 ? config.threads : omp_get_max_threads();

    ScaledProgress(progress, 0.0, 0.05, "load")(0);
    const Inputs inputs = load(config, diagnostics);
    check_output_folder(config);
    clock.lap("load");

    ScaledProgress(progress, 0.05, 0.1, "align")(0);
    const AlignedInputs aligned = align(inputs, diagnostics);
    clock.lap("align");

    const ScaledProgress overlay_progress(progress, 0.1, 0.9, "overlay");
    const OverlayResult measured = overlay(inputs, aligned, config, diagnostics,
                                           [&](double f, std::string_view) { overlay_progress(f); });
    clock.lap("overlay");
    result.unit_count = measured.units.size();

    ScaledProgress(progress, 0.9, 0.92, "allocate")(0);
    std::vector<std::string> ungrouped;
    const RankingTable table = allocate(inputs, aligned, measured, config, diagnostics, ungrouped);
    clock.lap("allocate");

    ScaledProgress(progress, 0.92, 0.94, "model")(0);
    const ScoredTable scored = apply_model(inputs.model, table, diagnostics);
    for (const auto& unit : table.units) {
        if (!unit.canopy_fraction())
            diagnostics.warn("no-canopy", unit.id, "ranking unit has no valid canopy cell; it has no score and ranks last");
        else if (inputs.model.coverage == "shade" && !unit.shade_fraction())
            diagnostics.warn("no-shade", unit.id,
                             "ranking unit has no cell of the shade mask with a shade value; it has no score and "
                             "ranks last");
    }
    clock.lap("model");

    const Ranking ranking = rank_units(table, scored);
    clock.lap("rank");
    result.ranking_unit_count = table.units.size();
    result.city_score = scored.city_score;

    ScaledProgress(progress, 0.95, 1.0, "write")(0);
    OutputTransaction transaction(config.out, &diagnostics);
    OutputTable priority = priority_table(inputs.model, table, scored, ranking, inputs.shade.has_value());
    const auto geometries = ranking_geometries(inputs, aligned, table, config);
    for (const std::size_t i : ranking.order) priority.geometries.push_back(geometries[i]);
    priority.crs_wkt = inputs.raster.crs_wkt;
    write_geojson(priority, transaction.path_for("priority.geojson"), threads);
    priority.geometries.clear();
    write_csv(priority, transaction.path_for("priority.csv"));
    write_csv(units_table(inputs, measured.units), transaction.path_for("units.csv"));
    clock.lap("write");
    write_file(transaction.path_for("run.json"), run_json(config, inputs, table, scored, result, threads, ungrouped));
    // The last chance for the caller to stop the run (an interrupt) before outputs move into place.
    ScaledProgress(progress, 0.95, 1.0, "write")(0.9);
    result.outputs = transaction.commit();
    ScaledProgress(progress, 0.95, 1.0, "write")(1);
    return result;
}

}  // namespace shadegap
