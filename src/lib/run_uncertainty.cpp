// The uncertainty stage: how sure is a rank. ACS estimates with a margin of error (--moe)
// are drawn again and again (--draws), the allocation, model and ranking rerun per draw,
// and each ranking unit gets the 5th and 95th percentiles of its rank and the share of
// draws in which it is in the top 10 % (docs/equity.md, "How sure is a rank").
// SPDX-License-Identifier: MIT
#include "run_stages.hpp"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>

namespace shadegap::stages {

namespace {

/// The roles whose values are shares 0–1 after their scale (as check_shares holds them).
bool is_share_role(const std::string& role) {
    return role == "poverty" || role == "poc" || role == "unemployment" || role == "linguistic" || role == "health";
}

/// One drawn role: the estimates, their standard errors (MOE / 1.645) and the bounds the
/// draws are clamped to.
struct DrawnRole {
    std::string role;
    std::vector<std::optional<double>> values;
    std::vector<double> sigma;  ///< 0 where the value or its margin is missing
    double low = -HUGE_VAL;
    double high = HUGE_VAL;
};

/// The nearest-rank percentile p (0–1) of sorted values.
std::int64_t percentile(const std::vector<int>& sorted, double p) {
    const auto index = static_cast<std::size_t>(std::ceil(p * static_cast<double>(sorted.size())));
    return sorted[std::max<std::size_t>(index, 1) - 1];
}

}  // namespace

RankUncertainty uncertainty(const RunConfig& config, const Inputs& inputs, const AlignedInputs& aligned,
                            const Measured& measured, std::size_t ranking_units, int threads) {
    RankUncertainty out;
    if (config.draws <= 0 || inputs.moe_fields.empty()) return out;
    out.draws = config.draws;

    std::vector<DrawnRole> drawn;
    for (const FieldSource& moe : inputs.moe_fields) {
        DrawnRole d;
        d.role = moe.role.substr(std::string("moe.").size());
        // The equity groups' counts and the rank move the disparity indices (run_equity.cpp), not the ranking.
        if (d.role == "rank_by" || d.role.rfind("equity_group.", 0) == 0) continue;
        d.values = inputs.values.at(d.role);
        const auto& margins = inputs.values.at(moe.role);
        d.sigma.assign(d.values.size(), 0.0);
        bool all_non_negative = true;
        for (std::size_t i = 0; i < d.values.size(); ++i) {
            if (d.values[i] && margins[i]) d.sigma[i] = *margins[i] / 1.645;
            if (d.values[i] && *d.values[i] < 0) all_non_negative = false;
        }
        if (d.role == "population" || all_non_negative) d.low = 0;
        if (is_share_role(d.role)) {
            const auto variable = std::find_if(inputs.model.variables.begin(), inputs.model.variables.end(),
                                               [&d](const ModelVariable& v) { return v.name == d.role; });
            if (variable != inputs.model.variables.end()) d.high = 1 / variable->scale;
        }
        drawn.push_back(std::move(d));
    }
    if (drawn.empty()) return out;  // margins of the equity columns only: the ranking does not move
    out.enabled = true;

    // ranks[d][k]: the rank of ranking unit k in draw d (0: no rank). Each draw has its own
    // random stream and its own slot, so any thread count gives the same bytes.
    std::vector<std::vector<int>> ranks(static_cast<std::size_t>(config.draws));
#pragma omp parallel for num_threads(threads) schedule(dynamic, 1)
    for (int d = 0; d < config.draws; ++d) {
        std::mt19937_64 random(draw_seed(config.seed, d));
        std::normal_distribution<double> normal(0.0, 1.0);
        Measured sample = measured;
        for (const DrawnRole& role : drawn) {
            std::vector<std::optional<double>> values = role.values;
            for (std::size_t i = 0; i < values.size(); ++i) {
                const double z = normal(random);  // drawn for every unit: the stream does not depend on gaps
                if (!values[i] || role.sigma[i] <= 0) continue;
                values[i] = std::clamp(*values[i] + role.sigma[i] * z, role.low, role.high);
            }
            if (role.role == "population") {
                for (std::size_t i = 0; i < values.size(); ++i) sample.units.population[i] = values[i].value_or(0.0);
            } else {
                sample.units.variables[role.role] = std::move(values);
            }
        }
        Diagnostics quiet;  // the run's warnings were given once, for the estimates
        const Allocated allocated = allocate(inputs, aligned, sample, quiet);
        const ScoredTable scored = apply_model(inputs.model, allocated.table, quiet);
        ranks[static_cast<std::size_t>(d)] = rank_units(allocated.table, scored).rank;
    }

    out.rank_low.assign(ranking_units, std::nullopt);
    out.rank_high.assign(ranking_units, std::nullopt);
    out.p_top.assign(ranking_units, 0.0);
    std::vector<int> top_n(ranks.size());
    for (std::size_t d = 0; d < ranks.size(); ++d) {
        const auto ranked = std::count_if(ranks[d].begin(), ranks[d].end(), [](int r) { return r > 0; });
        top_n[d] = std::max(1, static_cast<int>(std::ceil(0.1 * static_cast<double>(ranked))));
    }
    for (std::size_t k = 0; k < ranking_units; ++k) {
        std::vector<int> seen;
        std::size_t in_top = 0;
        for (std::size_t d = 0; d < ranks.size(); ++d) {
            const int r = ranks[d][k];
            if (r <= 0) continue;
            seen.push_back(r);
            if (r <= top_n[d]) ++in_top;
        }
        out.p_top[k] = static_cast<double>(in_top) / static_cast<double>(ranks.size());
        if (seen.empty()) continue;
        std::sort(seen.begin(), seen.end());
        out.rank_low[k] = percentile(seen, 0.05);
        out.rank_high[k] = percentile(seen, 0.95);
    }
    return out;
}

}  // namespace shadegap::stages
