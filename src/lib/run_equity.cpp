// The equity stage: exposure by group of residents (equity.csv) and the disparity indices
// (disparity.csv). Each person is given the canopy (and shade) of the census unit they live
// in, so the stage works on census units whatever the ranking units are (docs/equity.md).
// SPDX-License-Identifier: MIT
#include "run_stages.hpp"

#include "shadegap/equity.hpp"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <utility>

namespace shadegap::stages {

namespace {

using Values = std::vector<std::optional<double>>;

/// An exposure of every census unit: its name in the outputs and its values (fractions 0–1).
struct Exposure {
    std::string name;  ///< "canopy", "shade"
    Values values;
};

std::optional<double> difference(const std::optional<double>& a, const std::optional<double>& b) {
    if (!a || !b) return std::nullopt;
    return *a - *b;
}

std::optional<double> ratio(const std::optional<double>& a, const std::optional<double>& b) {
    if (!a || !b || *b == 0) return std::nullopt;
    return *a / *b;
}

using Groups = std::vector<std::pair<std::string, std::vector<double>>>;

/// Every disparity value, in the rows' order: for each exposure the concentration indices
/// (with a rank), Gini, Theil T and Atkinson 0.5 among everyone (groups[0]), then the
/// dissimilarity of each pair of groups. `keys` (if not null) receives (measure, exposure).
std::vector<std::optional<double>> disparity(const std::vector<Exposure>& exposures, const Groups& groups,
                                             const Values& rank_by,
                                             std::vector<std::pair<std::string, std::string>>* keys) {
    std::vector<std::optional<double>> values;
    const auto add = [&](const char* measure, const std::string& exposure, const std::optional<double>& value) {
        values.push_back(value && std::isfinite(*value) ? value : std::nullopt);
        if (keys) keys->emplace_back(measure, exposure);
    };
    const std::vector<double>& everyone = groups.front().second;
    for (const Exposure& exposure : exposures) {
        if (!rank_by.empty()) {
            const auto c = equity::concentration(exposure.values, everyone, rank_by, 0.0, 1.0);
            add("concentration_index", exposure.name, c ? std::optional<double>(c->index) : std::nullopt);
            add("erreygers", exposure.name, c ? std::optional<double>(c->erreygers) : std::nullopt);
            add("wagstaff", exposure.name, c ? std::optional<double>(c->wagstaff) : std::nullopt);
        }
        add("gini", exposure.name, equity::gini(exposure.values, everyone));
        add("theil_t", exposure.name, equity::theil_t(exposure.values, everyone));
        add("atkinson_0.5", exposure.name, equity::atkinson(exposure.values, everyone, 0.5));
    }
    for (std::size_t a = 1; a < groups.size(); ++a)
        for (std::size_t b = a + 1; b < groups.size(); ++b)
            add("dissimilarity", groups[a].first + "|" + groups[b].first,
                equity::dissimilarity(groups[a].second, groups[b].second));
    return values;
}

/// The 5th and 95th percentiles (nearest rank) of each disparity value over config.draws
/// draws of the counts (population, groups) and the rank that have a margin of error (--moe);
/// empty without draws. A value that nothing drawn moves gets an interval of width 0.
std::vector<std::pair<std::optional<double>, std::optional<double>>> disparity_intervals(
    const RunConfig& config, const Inputs& inputs, const std::vector<Exposure>& exposures, const Groups& groups,
    const Values& rank_by, int threads) {
    if (config.draws <= 0 || inputs.moe_fields.empty()) return {};
    const auto margins_of = [&](const std::string& role) -> const Values* {
        const auto it = inputs.values.find("moe." + role);
        return it == inputs.values.end() ? nullptr : &it->second;
    };
    std::vector<const Values*> group_margins;
    for (const auto& group : groups)
        group_margins.push_back(margins_of(group.first == "everyone" ? "population" : "equity_group." + group.first));
    const Values* rank_margins = margins_of("rank_by");

    std::vector<std::vector<std::optional<double>>> drawn(static_cast<std::size_t>(config.draws));
#pragma omp parallel for num_threads(threads) schedule(dynamic, 1)
    for (int d = 0; d < config.draws; ++d) {
        // A stream of its own, apart from the ranks' draws of the same number.
        std::mt19937_64 random(draw_seed(config.seed, d) ^ 0x5DEECE66DULL);
        std::normal_distribution<double> normal(0.0, 1.0);
        Groups sample = groups;
        for (std::size_t g = 0; g < sample.size(); ++g) {
            auto& people = sample[g].second;
            for (std::size_t i = 0; i < people.size(); ++i) {
                const double z = normal(random);
                const Values* margins = group_margins[g];
                if (margins && (*margins)[i]) people[i] = std::max(0.0, people[i] + *(*margins)[i] / 1.645 * z);
            }
        }
        Values ranks = rank_by;
        for (std::size_t i = 0; i < ranks.size(); ++i) {
            const double z = normal(random);
            if (rank_margins && ranks[i] && (*rank_margins)[i]) *ranks[i] += *(*rank_margins)[i] / 1.645 * z;
        }
        drawn[static_cast<std::size_t>(d)] = disparity(exposures, sample, ranks, nullptr);
    }
    std::vector<std::pair<std::optional<double>, std::optional<double>>> intervals(drawn.front().size());
    for (std::size_t r = 0; r < intervals.size(); ++r) {
        std::vector<double> seen;
        for (const auto& values : drawn)
            if (values[r]) seen.push_back(*values[r]);
        if (seen.empty()) continue;
        std::sort(seen.begin(), seen.end());
        const auto at = [&seen](double p) {
            const auto index = static_cast<std::size_t>(std::ceil(p * static_cast<double>(seen.size())));
            return seen[std::max<std::size_t>(index, 1) - 1];
        };
        intervals[r] = {at(0.05), at(0.95)};
    }
    return intervals;
}

}  // namespace

EquityTables equity(const RunConfig& config, const Inputs& inputs, const Measured& measured,
                    const WalkTables& walks, int threads, Diagnostics& diagnostics) {
    EquityTables out;
    if (config.equity_groups.empty()) return out;
    out.enabled = true;
    out.reference = config.reference.empty() ? "everyone" : config.reference;

    // The census units as ranking units: their canopy and shade under the data rule, and the
    // model's goal and gap for each (its warnings were given for the ranking units).
    const RankingTable census = allocate_to_units(measured.units);
    Diagnostics repeated;
    const ScoredTable scored = apply_model(inputs.model, census, repeated);
    const std::size_t n = census.units.size();

    std::vector<Exposure> exposures = {{"canopy", Values(n)}};
    if (inputs.shade) exposures.push_back({"shade", Values(n)});
    if (walks.enabled) exposures.push_back({"walk_shade", walks.unit_walk_shade});
    Values below_goal(n);  // 1 where the unit's coverage is below its goal, 0 where not
    for (std::size_t i = 0; i < n; ++i) {
        exposures[0].values[i] = census.units[i].canopy_fraction();
        if (inputs.shade) exposures[1].values[i] = census.units[i].shade_fraction();
        if (scored.units[i].gap) below_goal[i] = *scored.units[i].gap > 0 ? 1.0 : 0.0;
    }

    // Everyone, then each group in name order: the people of each census unit.
    Groups groups = {{"everyone", measured.units.population}};
    for (const auto& group : config.equity_groups) {
        const Values& counts = inputs.values.at("equity_group." + group.first);
        std::vector<double> people(n);
        for (std::size_t i = 0; i < n; ++i) people[i] = counts[i].value_or(0.0);
        groups.emplace_back(group.first, std::move(people));
    }

    // Means per group and exposure, people left out of each mean.
    std::map<std::string, std::map<std::string, std::optional<double>>> means;  // group → exposure → mean
    std::map<std::string, std::optional<double>> below_goal_share;
    std::map<std::string, std::optional<double>> heat_c;  // group → population-weighted mean, °C
    for (const auto& [name, people] : groups) {
        if (!measured.units.heat_c.empty()) {
            double left_out = 0;
            heat_c[name] = equity::weighted_mean(measured.units.heat_c, people, &left_out);
            out.people_left_out["heat"][name] = left_out;
        }
        for (const Exposure& exposure : exposures) {
            if (exposure.name == "walk_shade") continue;  // each group's own agents, below
            double left_out = 0;
            means[name][exposure.name] = equity::weighted_mean(exposure.values, people, &left_out);
            out.people_left_out[exposure.name][name] = left_out;
        }
        below_goal_share[name] = equity::weighted_mean(below_goal, people);
    }

    using Type = OutputColumn::Type;
    out.equity.columns = {{"group", Type::Text},           {"population", Type::Real},     {"canopy_pct", Type::Real},
                          {"shade_pct", Type::Real},       {"heat_c", Type::Real},         {"walk_shade_pct", Type::Real},
                          {"below_goal_share", Type::Real}, {"canopy_diff_pct", Type::Real}, {"canopy_ratio", Type::Real},
                          {"shade_diff_pct", Type::Real},  {"shade_ratio", Type::Real},
                          {"walk_shade_diff_pct", Type::Real}, {"walk_shade_ratio", Type::Real}};
    const auto walk_shade_of = [&walks](const std::string& group) -> std::optional<double> {
        const auto it = walks.walk_shade_pct.find(group);
        return it == walks.walk_shade_pct.end() ? std::nullopt : it->second;
    };
    const auto& reference = means.at(out.reference);
    const auto mean_of = [](const std::map<std::string, std::optional<double>>& row, const std::string& exposure) {
        const auto it = row.find(exposure);
        return it == row.end() ? std::optional<double>() : it->second;
    };
    for (const auto& [name, people] : groups) {
        double population = 0;
        for (const double p : people) population += p;
        const auto& row = means.at(name);
        const auto canopy = percent(mean_of(row, "canopy"));
        const auto shade = percent(mean_of(row, "shade"));
        const auto canopy_reference = percent(mean_of(reference, "canopy"));
        const auto shade_reference = percent(mean_of(reference, "shade"));
        const auto heat = heat_c.find(name);
        const auto walk_shade = walk_shade_of(name);
        const auto walk_shade_reference = walk_shade_of(out.reference);
        std::vector<FieldValue> cells;
        cells.push_back(name);
        cells.push_back(population);
        cells.push_back(number_or_null(canopy));
        cells.push_back(number_or_null(shade));
        cells.push_back(heat == heat_c.end() ? FieldValue(std::monostate{}) : number_or_null(heat->second));
        cells.push_back(number_or_null(walk_shade));
        cells.push_back(number_or_null(below_goal_share.at(name)));
        cells.push_back(number_or_null(difference(canopy, canopy_reference)));
        cells.push_back(number_or_null(ratio(canopy, canopy_reference)));
        cells.push_back(number_or_null(difference(shade, shade_reference)));
        cells.push_back(number_or_null(ratio(shade, shade_reference)));
        cells.push_back(number_or_null(difference(walk_shade, walk_shade_reference)));
        cells.push_back(number_or_null(ratio(walk_shade, walk_shade_reference)));
        out.equity.rows.push_back(std::move(cells));
    }

    // Disparity: the inequality of each exposure among everyone, then each pair of groups;
    // with draws, the 90 % interval of each value over the drawn counts and ranks.
    out.disparity.columns = {{"measure", Type::Text}, {"exposure", Type::Text}, {"value", Type::Real},
                             {"low", Type::Real},     {"high", Type::Real}};
    const Values rank_by = config.rank_by.empty() ? Values() : inputs.values.at("rank_by");
    std::vector<std::pair<std::string, std::string>> keys;
    const std::vector<std::optional<double>> values = disparity(exposures, groups, rank_by, &keys);
    const auto intervals = disparity_intervals(config, inputs, exposures, groups, rank_by, threads);
    for (std::size_t r = 0; r < keys.size(); ++r) {
        out.disparity.rows.push_back({keys[r].first, keys[r].second, number_or_null(values[r]),
                                      intervals.empty() ? FieldValue(std::monostate{}) : number_or_null(intervals[r].first),
                                      intervals.empty() ? FieldValue(std::monostate{}) : number_or_null(intervals[r].second)});
    }

    for (const auto& [exposure, by_group] : out.people_left_out) {
        const double everyone_out = by_group.at("everyone");
        if (everyone_out > 0)
            diagnostics.warn("equity-left-out", exposure,
                             fmt::format("{:.0f} residents live in census units without a {} value (outside the "
                                         "raster or on nodata): left out of the groups' {} means (run.json)",
                                         everyone_out, exposure, exposure));
    }
    return out;
}

EquityTables with_scenarios(const EquityTables& now, const EquityTables& plan) {
    EquityTables out = now;
    for (OutputTable EquityTables::*table : {&EquityTables::equity, &EquityTables::disparity}) {
        OutputTable& joined = out.*table;
        joined.columns.insert(joined.columns.begin(), {"scenario", OutputColumn::Type::Text});
        joined.rows.clear();
        for (const auto& [name, source] : {std::pair<const char*, const EquityTables*>{"now", &now},
                                           std::pair<const char*, const EquityTables*>{"plan", &plan}}) {
            for (const auto& row : (source->*table).rows) {
                std::vector<FieldValue> cells;
                cells.push_back(std::string(name));
                cells.insert(cells.end(), row.begin(), row.end());
                joined.rows.push_back(std::move(cells));
            }
        }
    }
    return out;
}

}  // namespace shadegap::stages
