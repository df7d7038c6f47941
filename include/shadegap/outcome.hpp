// What a run computes, in memory: its tables as typed columns, before any file is written.
// SPDX-License-Identifier: MIT
#pragma once

#include "shadegap/pipeline.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace shadegap {

/// One column of a ResultTable: a name and one value per row, all of one type.
///
/// Nulls (a value that does not exist, written empty in CSV and `null` in GeoJSON) are
/// marked in `valid` (1: a value, 0: null), whatever the type. A null real also holds NaN,
/// so numeric code may use the reals as they are; a null integer holds 0 and a null text "".
struct ResultColumn {
    enum class Type { Real, Integer, Text };
    std::string name;
    std::variant<std::vector<double>, std::vector<std::int64_t>, std::vector<std::string>> values;
    std::vector<std::uint8_t> valid;  ///< one per row: 1 a value, 0 null

    Type type() const { return static_cast<Type>(values.index()); }
    std::size_t size() const { return valid.size(); }
    /// The values of a Real, Integer or Text column; std::bad_variant_access for another type.
    const std::vector<double>& reals() const { return std::get<std::vector<double>>(values); }
    const std::vector<std::int64_t>& integers() const { return std::get<std::vector<std::int64_t>>(values); }
    const std::vector<std::string>& texts() const { return std::get<std::vector<std::string>>(values); }
};

/// A table of a run: the columns of the CSV file of the same name, in its order, with its
/// rows in its order; `geometries` holds one geometry per row (WKB, in the CRS `crs_wkt`, the
/// canopy raster's) for tables that have a map (priority and plan: polygons; sites: points;
/// routes: lines), else none.
struct ResultTable {
    std::vector<ResultColumn> columns;
    std::vector<std::vector<unsigned char>> geometries;  ///< empty, or one WKB per row
    std::string crs_wkt;                                  ///< of the geometries

    std::size_t row_count() const { return columns.empty() ? geometries.size() : columns.front().size(); }
    /// The column called `name`, or nullptr.
    const ResultColumn* find(std::string_view name) const;
    /// The column called `name`; throws std::out_of_range naming it when there is none.
    const ResultColumn& column(std::string_view name) const;
};

namespace detail {
struct RunState;
}

/// What compute() returns: the run's tables and its summary, nothing written yet.
///
/// The tables hold the values the files would hold at full precision (the files round only
/// coordinates): priority.csv's values are the same numbers, `_pct` in percent. Tables a
/// run has not configured are std::nullopt: equity and disparity without equity groups,
/// walks and routes without config.walks (routes also without config.routes), plan and
/// sites without config.plan.
struct RunOutcome {
    /// The summary: counts, city score, model, timings per stage and the warnings.
    /// `outputs` is empty: compute() writes nothing.
    RunResult result;
    ResultTable priority;  ///< priority.csv: one row per ranking unit in rank order, with its polygon
    ResultTable units;     ///< units.csv: one row per census unit, in the units layer's order
    std::optional<ResultTable> equity;     ///< equity.csv
    std::optional<ResultTable> disparity;  ///< disparity.csv
    std::optional<ResultTable> walks;      ///< walks.csv
    std::optional<ResultTable> routes;     ///< routes.geojson's table (lines)
    std::optional<ResultTable> plan;       ///< plan.csv, with each ranking unit's polygon
    std::optional<ResultTable> sites;      ///< sites.geojson's table (points)
    std::string walks_json;  ///< walks.json's text, or empty
    std::string plan_json;   ///< plan.json's text, or empty

    /// What write_outputs() needs beyond the tables (the inputs' descriptions for run.json,
    /// the tables as the files hold them); shared by copies, never changed.
    std::shared_ptr<const detail::RunState> state;
};

/// Runs load → align → overlay → allocate → model → rank (and the equity, uncertainty,
/// walks and plan stages the config asks for) and returns the tables, writing nothing.
/// `config.out` may be empty; when set, the output folder is checked after load (as
/// run_pipeline does), so a run whose outputs could not be written stops before the overlay.
/// Progress goes from 0 to 1. Throws an Error subclass, as run_pipeline does. Not
/// thread-safe with respect to GDAL's process-wide settings (see docs/library.md).
RunOutcome compute(const RunConfig& config, const ProgressFn& progress = {});

/// Writes the outcome's files into `config.out` exactly as run_pipeline writes them
/// (priority.geojson, priority.csv, units.csv, run.json and the configured others) and
/// returns their paths. Only the output options of `config` apply (out, overwrite, format,
/// report); every other option is the one compute() ran with. Files are written under
/// temporary names and renamed at the end: on an error nothing is left behind. Throws
/// OutputError when `config.out` is empty or cannot take the files (earlier outputs without
/// overwrite), UsageError for an outcome that compute() did not return (no `state`).
std::vector<std::string> write_outputs(const RunOutcome& outcome, const RunConfig& config);

}  // namespace shadegap
