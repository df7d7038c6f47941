// Applying a model to a ranking table: goal, gap, priority, score, trees and the city score.
// SPDX-License-Identifier: MIT
#include "shadegap/model.hpp"

#include "model_text.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

namespace shadegap {

using detail::join;
using detail::quote;

namespace {

bool contains(const std::vector<std::string>& names, const std::string& name) {
    return std::find(names.begin(), names.end(), name) != names.end();
}

std::optional<double> variable_value(const RankingUnit& unit, const std::string& name) {
    const auto it = unit.variables.find(name);
    if (it == unit.variables.end()) return std::nullopt;
    return it->second;
}

std::optional<double> unit_goal(const Model& model, const RankingUnit& unit,
                                const std::optional<double>& density_km2,
                                const std::string& goal_column) {
    switch (model.goal_method) {
    case GoalMethod::Constant: return model.goal_baseline;
    case GoalMethod::Column: return variable_value(unit, goal_column);
    case GoalMethod::DensityTable: break;
    }
    if (!density_km2) return std::nullopt;
    return tes::density_goal(model.goal_baseline, *density_km2, model.density_table, model.goal_cap_factor);
}

}  // namespace

ScoredTable apply_model(const Model& model, const RankingTable& table, Diagnostics& diagnostics) {
    const std::size_t n = table.units.size();
    ScoredTable out;
    out.units.resize(n);

    std::vector<const ModelVariable*> used;
    for (const ModelVariable& variable : model.variables) {
        if (contains(table.variables, variable.name) ||
            variable.column == model.population_column) {
            used.push_back(&variable);
            out.variables_used.push_back(variable.name);
        } else {
            diagnostics.warn("variable-missing", variable.name,
                             fmt::format("model variable '{}' has no column in the data (default "
                                         "column '{}', map one with {}): "
                                         "dropped; weights renormalised",
                                         variable.name, variable.column, key_text("fields." + variable.name, "COLUMN")));
        }
    }
    if (!model.variables.empty() && used.empty()) {
        std::vector<std::string> names;
        for (const ModelVariable& variable : model.variables)
            names.push_back(fmt::format("{} (column '{}')", variable.name, variable.column));
        ModelError error(model.source, fmt::format("none of the model's variables has a column "
                                                   "in the data: {}", join(names, ", ")));
        error.with_hint("map them with " + key_text("fields.NAME", "COLUMN"));
        throw error;
    }

    // Goal, gap and the run's largest gap.
    const bool shade = model.coverage == CoverageKind::Shade;
    // The area a coverage share is of: what a gap of 1 would take to fill.
    const auto base_m2 = [shade](const RankingUnit& unit) {
        return std::max(0.0, shade ? unit.sums.shade_mask_m2 : unit.land_m2());
    };
    const std::string goal_column = model.goal_column.empty() ? "goal" : model.goal_column;
    std::size_t goals_missing = 0;
    for (std::size_t i = 0; i < n; ++i) {
        const RankingUnit& unit = table.units[i];
        ScoredUnit& scored = out.units[i];
        scored.coverage = shade ? unit.shade_fraction() : unit.canopy_fraction();
        const double land_m2 = unit.land_m2();
        if (land_m2 > 0) scored.density_km2 = unit.population / (land_m2 / 1e6);
        scored.goal = unit_goal(model, unit, scored.density_km2, goal_column);
        if (model.goal_method == GoalMethod::Column && !scored.goal) ++goals_missing;
        if (model.goal_method == GoalMethod::Column && scored.goal &&
            !(*scored.goal >= 0 && *scored.goal <= 1))
            throw InputError(unit.id, fmt::format("goal column '{}' holds {}; expected a {} "
                                                  "fraction between 0 and 1",
                                                  goal_column, *scored.goal, to_string(model.coverage)));
        if (scored.coverage && scored.goal) {
            scored.gap = std::max(0.0, *scored.goal - *scored.coverage);
            out.gap_max = std::max(out.gap_max, *scored.gap);
        }
    }
    if (goals_missing == n && n > 0) {
        ModelError error(model.source, fmt::format("goal.method = \"column\" but no unit has a "
                                                   "value in the goal column '{}'", goal_column));
        error.with_hint("map it with " + key_text("fields." + goal_column, "COLUMN"));
        throw error;
    }
    if (goals_missing > 0)
        diagnostics.warn("goal-missing", goal_column,
                         fmt::format("{} of {} units have no value in the goal column '{}': "
                                     "they get no gap and no score",
                                     goals_missing, n, goal_column));

    // Priority components, normalised within each scope.
    std::vector<std::string> scopes(n);
    for (std::size_t i = 0; i < n; ++i) scopes[i] = table.units[i].scope;
    std::vector<std::vector<std::optional<double>>> components;
    std::vector<double> weights;
    for (const ModelVariable* variable : used) {
        // Population is a count allocated by area, not a variable: read it from the unit.
        const bool is_population = variable->column == model.population_column;
        std::vector<std::optional<double>> values(n);
        std::size_t nulls = 0;
        std::size_t out_of_range = 0;
        for (std::size_t i = 0; i < n; ++i) {
            std::optional<double> value = is_population
                ? std::optional<double>(table.units[i].population)
                : variable_value(table.units[i], variable->name);
            if (value && !std::isfinite(*value)) value.reset();
            if (!value) {
                ++nulls;
                continue;
            }
            double x = *value * variable->scale;
            if (variable->cap) x = std::min(x, *variable->cap);
            if (variable->normalise == Normalisation::None && (x < 0 || x > 1)) ++out_of_range;
            values[i] = x;
        }
        if (nulls > 0)
            diagnostics.warn("variable-null", variable->name,
                             fmt::format("{} of {} units have no value for '{}': their priority "
                                         "uses the other variables, weights renormalised",
                                         nulls, n, variable->name));
        if (out_of_range > 0)
            diagnostics.warn("variable-range", variable->name,
                             fmt::format("{} of {} values of '{}' lie outside 0–1 although the "
                                         "model takes them as normalised (normalise = \"none\")",
                                         out_of_range, n, variable->name));
        components.push_back(tes::normalise(values, scopes, variable->normalise));
        weights.push_back(variable->weight);
    }

    std::size_t priorities_missing = 0;
    std::vector<double> city_scores;
    std::vector<double> city_priorities;
    for (std::size_t i = 0; i < n; ++i) {
        const RankingUnit& unit = table.units[i];
        ScoredUnit& scored = out.units[i];
        std::vector<std::optional<double>> unit_components(used.size());
        for (std::size_t k = 0; k < used.size(); ++k) {
            unit_components[k] = components[k][i];
            scored.components[used[k]->name] = components[k][i];
        }
        scored.priority = used.empty()
            ? std::optional<double>(1.0)
            : tes::priority_index(unit_components, weights, model.priority_floor);
        if (!scored.priority) ++priorities_missing;
        if (!scored.gap) continue;

        const double land_m2 = base_m2(unit);
        scored.gap_score = out.gap_max > 0 ? *scored.gap / out.gap_max : 0.0;
        scored.trees_needed =
            tes::round_as(*scored.gap * land_m2 / model.crown_area_m2, model.trees_rounding);
        if (!scored.priority) continue;

        scored.score_raw = model.score_max * (1 - *scored.gap_score * *scored.priority);
        scored.score = tes::score(*scored.gap, out.gap_max, *scored.priority, model.score_max,
                                  model.score_rounding);
        city_scores.push_back(*scored.score);
        city_priorities.push_back(*scored.priority);

        if (model.target_score) {
            // Solves score_raw(canopy_T) = T for canopy_T with gap_max held fixed.
            const double shortfall = 1 - *model.target_score / model.score_max;
            const double canopy_t = *scored.priority > 0
                ? *scored.goal - shortfall / *scored.priority * out.gap_max
                : 0.0;
            scored.target_coverage = std::max(0.0, canopy_t);
            scored.target_plant_m2 =
                std::max(0.0, *scored.target_coverage - *scored.coverage) * land_m2;
        }
    }
    if (priorities_missing > 0 && !used.empty())
        diagnostics.warn("priority-missing", model.name,
                         fmt::format("{} of {} units have no value for any priority variable: "
                                     "they get no score", priorities_missing, n));
    out.city_score = tes::city_score(city_scores, city_priorities, model.score_max);
    return out;
}

}  // namespace shadegap
