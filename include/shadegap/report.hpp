// report.html: one self-contained page (map, ranked table, equity, walks, model, warnings).
// SPDX-License-Identifier: MIT
#pragma once

#include "shadegap/output.hpp"

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace shadegap {

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
/// layer coloured by walk_shade_pct), the model and its weights, the warnings. Every text from the data is
/// escaped; the page requests nothing (no tile layer, no remote script, style or font).
/// Pure and thread-safe.
std::string build_report_html(const ReportContent& content);

}  // namespace shadegap
