// report.html: one self-contained page (map, ranked table, equity, walks, model, warnings).
// SPDX-License-Identifier: MIT
#pragma once

#include "shadegap/output.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace shadegap {

/// One allocation of plan.json's "comparison": the plan's, or a simple rule's on the same trees.
struct PlanRule {
    std::string name;  ///< plan, by_rank or in_proportion_to_gap
    std::int64_t trees = 0;
    double objective = 0;             ///< Σ priority × population × canopy gain (capped at the gap)
    double people_reached = 0;        ///< people in the units that get at least one tree
    double people_canopy_points = 0;  ///< Σ population × canopy gain in percentage points
};

/// plan.json's totals, as the report shows them.
struct PlanSummary {
    std::int64_t trees_asked = 0;
    std::int64_t trees_planted = 0;
    std::optional<double> cost;             ///< with --cost-per-tree
    std::optional<double> city_score_now;   ///< plan.json "city_score"."now"
    std::optional<double> city_score_plan;  ///< plan.json "city_score"."plan"
    std::vector<PlanRule> comparison;       ///< plan first, then the simple rules
};

/// What report.html shows, as plain values (the outputs' own tables and texts).
struct ReportContent {
    /// priority.geojson as written: RFC 7946 (WGS 84 lon/lat), one feature per ranking
    /// unit with the properties rank, score, canopy_pct, goal_pct, gap_pct, population,
    /// trees_needed, id and name. It is embedded as it is, not reprojected.
    std::string priority_geojson;
    /// The priority table in rank order (the rows of priority.csv); columns are found by name.
    OutputTable priority;
    /// equity.csv's table (group, canopy_pct, canopy_diff_pct, ...); no columns: no equity section.
    OutputTable equity;
    /// disparity.csv's table (measure, exposure, value, ...); may be empty.
    OutputTable disparity;
    std::string reference = "everyone";  ///< the group equity.csv's differences are taken against
    /// walks.json's "groups", one row per group, everyone first: group, agents, people,
    /// no_destination, walk_m, shaded_m, walk_shade_pct, share_below_25pct (a share, 0–1) and,
    /// with sun aversion, shade_gained_m and extra_walk_m. No columns: no walks section.
    OutputTable walks_by_group;
    /// routes.geojson as written (RFC 7946, WGS 84), with --routes; empty: no routes layer.
    std::string routes_geojson;
    double max_walk_m = 0;    ///< --max-walk-m of the walks
    double sun_aversion = 0;  ///< --sun-aversion of the walks; above 0: the gain of shade-seeking walks
    /// plan.csv's table (id, name, trees, canopy_pct_now, canopy_pct_plan, score_now,
    /// score_plan, cost, ...), shown in its own row order; no columns: no plan section.
    OutputTable plan;
    /// plan.json's totals and its comparison with the two simple rules.
    PlanSummary plan_summary;
    /// sites.geojson as written (RFC 7946, WGS 84; properties site_id, unit_id, order, x, y);
    /// empty: no sites layer.
    std::string sites_geojson;
    std::string model_name;
    std::vector<std::pair<std::string, double>> model_weights;  ///< variable → weight
    std::vector<std::string> warnings;                          ///< one sentence each
};

/// Replaces & < > " ' by their character references, so any text can stand in HTML
/// content or a quoted attribute.
std::string escape_html(std::string_view text);

/// The HTML of report.html: Leaflet's script and style inline, the GeoJSON in a JSON
/// script element (with <, > and & written as \u escapes), a choropleth of the units by
/// score with a legend and popups, the ranked table, the equity bar chart (inline SVG)
/// and sentences, the walks per group with sentences (and the routes as a second map
/// layer coloured by walk_shade_pct), the plan (its sites as a third layer of circle markers,
/// the units' trees and canopy and score now → plan, the totals, the two simple rules, each
/// group's canopy now → plan), the model and its weights, the warnings. Every text from the data is
/// escaped; the page requests nothing (no tile layer, no remote script, style or font).
/// Pure and thread-safe.
std::string build_report_html(const ReportContent& content);

}  // namespace shadegap
