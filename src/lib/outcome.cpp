// compute() and write_outputs(): a run's tables in memory, and its files from them.
// SPDX-License-Identifier: MIT
#include "shadegap/outcome.hpp"

#include "run_stages.hpp"

#include <cmath>
#include <limits>
#include <stdexcept>
#include <type_traits>

namespace shadegap {

const ResultColumn* ResultTable::find(std::string_view name) const {
    for (const ResultColumn& column : columns)
        if (column.name == name) return &column;
    return nullptr;
}

const ResultColumn& ResultTable::column(std::string_view name) const {
    const ResultColumn* found = find(name);
    if (!found) throw std::out_of_range("no column '" + std::string(name) + "'");
    return *found;
}

namespace detail {
namespace {

/// A column of `table`: every cell of column `k` converted to the column's type.
template <typename Value>
std::vector<Value> cells(const OutputTable& table, std::size_t k, std::vector<std::uint8_t>& valid) {
    std::vector<Value> values;
    values.reserve(table.rows.size());
    valid.reserve(table.rows.size());
    for (const auto& row : table.rows) {
        const FieldValue& cell = row.at(k);
        Value value{};
        bool present = true;
        if constexpr (std::is_same_v<Value, double>) {
            if (const auto* real = std::get_if<double>(&cell)) value = *real;
            else if (const auto* integer = std::get_if<std::int64_t>(&cell)) value = static_cast<double>(*integer);
            else present = false;
            // Null: NaN besides valid 0, as the files write no NaN (an output's number is
            // finite or null).
            if (!present || !std::isfinite(value)) {
                present = false;
                value = std::numeric_limits<double>::quiet_NaN();
            }
        } else if constexpr (std::is_same_v<Value, std::int64_t>) {
            if (const auto* integer = std::get_if<std::int64_t>(&cell)) value = *integer;
            else present = false;
        } else {
            if (const auto* text = std::get_if<std::string>(&cell)) value = *text;
            else present = false;
        }
        values.push_back(std::move(value));
        valid.push_back(present ? 1 : 0);
    }
    return values;
}

ResultTable to_result(const OutputTable& table) {
    ResultTable out;
    for (std::size_t k = 0; k < table.columns.size(); ++k) {
        ResultColumn column;
        column.name = table.columns[k].name;
        switch (table.columns[k].type) {
            case OutputColumn::Type::Real: column.values = cells<double>(table, k, column.valid); break;
            case OutputColumn::Type::Integer: column.values = cells<std::int64_t>(table, k, column.valid); break;
            case OutputColumn::Type::Text: column.values = cells<std::string>(table, k, column.valid); break;
        }
        out.columns.push_back(std::move(column));
    }
    out.geometries = table.geometries;
    if (!out.geometries.empty()) out.crs_wkt = table.crs_wkt;
    return out;
}

}  // namespace

void fill_tables(RunOutcome& outcome, const RunState& state) {
    outcome.priority = to_result(state.tables.priority);
    outcome.units = to_result(state.tables.units);
    if (state.equity.enabled) {
        outcome.equity = to_result(state.equity.equity);
        outcome.disparity = to_result(state.equity.disparity);
    }
    if (state.walks.enabled) {
        outcome.walks = to_result(state.walks.walks);
        if (state.config.routes > 0) outcome.routes = to_result(state.walks.routes);
        outcome.walks_json = state.walks.summary.dump(2) + "\n";
    }
    if (state.plan.enabled) {
        OutputTable plan = state.plan.plan;
        plan.geometries = state.tables.geometries;  // plan.csv is in the ranking table's order, as they are
        plan.crs_wkt = state.inputs.raster.crs_wkt;
        outcome.plan = to_result(plan);
        outcome.sites = to_result(state.plan.sites);
        outcome.plan_json = state.plan.summary.dump(2) + "\n";
    }
}

}  // namespace detail

RunOutcome compute(const RunConfig& config, const ProgressFn& progress) {
    // compute_run reports on run_pipeline's slice 0–0.95, before the write.
    ProgressFn scaled;
    if (progress) scaled = [&progress](double fraction, std::string_view stage) { progress(fraction / 0.95, stage); };
    RunOutcome outcome = stages::compute_run(config, scaled);
    if (progress) progress(1.0, "done");
    return outcome;
}

std::vector<std::string> write_outputs(const RunOutcome& outcome, const RunConfig& config) {
    if (!outcome.state) throw UsageError("outcome", "not computed: write_outputs takes what compute() returned");
    RunResult result = outcome.result;
    return stages::write_run(*outcome.state, config, result, {});
}

}  // namespace shadegap
