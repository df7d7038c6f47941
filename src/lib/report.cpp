// report.html: the outputs of a run as one page that opens offline.
// SPDX-License-Identifier: MIT
#include "shadegap/report.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <map>
#include <optional>
#include <string_view>

namespace shadegap {

namespace detail {
const std::string& leaflet_js();   // generated from libjs-leaflet (cmake/embed_leaflet.cmake)
const std::string& leaflet_css();
}  // namespace detail

namespace {

/// Colours from the most urgent (lowest score) to the least; ColorBrewer's Oranges, reversed.
constexpr std::array<const char*, 5> class_colours = {"#a63603", "#e6550d", "#fd8d3c", "#fdbe85", "#feedde"};
constexpr const char* no_score_colour = "#bdbdbd";
/// Routes by the share of the walk in shade, 0–20 % (sun) to 80–100 % (shade); ColorBrewer's RdYlBu.
constexpr std::array<const char*, 5> shade_colours = {"#d73027", "#fc8d59", "#e0c341", "#91bfdb", "#4575b4"};

std::optional<std::size_t> column_of(const OutputTable& table, const std::string& name) {
    for (std::size_t i = 0; i < table.columns.size(); ++i)
        if (table.columns[i].name == name) return i;
    return std::nullopt;
}

std::optional<double> number_of(const FieldValue& value) {
    if (const auto* real = std::get_if<double>(&value)) {
        if (std::isfinite(*real)) return *real;
        return std::nullopt;
    }
    if (const auto* integer = std::get_if<std::int64_t>(&value)) return static_cast<double>(*integer);
    return std::nullopt;
}

/// A cell as the reader sees it: integers whole, reals to `decimals`, null as a dash.
std::string text_of(const FieldValue& value, int decimals) {
    if (const auto* text = std::get_if<std::string>(&value)) return escape_html(*text);
    if (const auto* integer = std::get_if<std::int64_t>(&value)) return std::to_string(*integer);
    if (const auto number = number_of(value)) return fmt::format("{:.{}f}", *number, decimals);
    return "&ndash;";
}

/// JSON text made safe inside a <script> element: no "</script", no "<!--".
std::string script_safe(const std::string& json) {
    std::string out;
    out.reserve(json.size());
    for (const char c : json) {
        if (c == '<') out += "\\u003c";
        else if (c == '>') out += "\\u003e";
        else if (c == '&') out += "\\u0026";
        else out += c;
    }
    return out;
}

struct ScoreClass {
    double upper;
    const char* colour;
};

/// Five classes of equal width over the scores present, the lowest (most urgent) first.
std::vector<ScoreClass> score_classes(const OutputTable& priority) {
    std::vector<double> scores;
    if (const auto score = column_of(priority, "score"))
        for (const auto& row : priority.rows)
            if (const auto value = number_of(row[*score])) scores.push_back(*value);
    if (scores.empty()) return {};
    const auto [low, high] = std::minmax_element(scores.begin(), scores.end());
    const double width = (*high - *low) / class_colours.size();
    std::vector<ScoreClass> classes;
    for (std::size_t k = 0; k < class_colours.size(); ++k)
        classes.push_back({k + 1 == class_colours.size() ? *high : *low + width * static_cast<double>(k + 1),
                           class_colours[k]});
    if (width == 0) classes.resize(1);
    return classes;
}

std::string classes_json(const std::vector<ScoreClass>& classes) {
    std::string json = "[";
    for (const auto& c : classes) json += fmt::format("{}{{\"upper\":{},\"colour\":\"{}\"}}", json.size() > 1 ? "," : "", c.upper, c.colour);
    return json + "]";
}

std::string legend_html(const std::vector<ScoreClass>& classes, const OutputTable& priority) {
    std::string html = "<div class=\"legend\"><strong>Score</strong> (low = plant first)<br>";
    std::optional<double> low;
    if (const auto score = column_of(priority, "score"))
        for (const auto& row : priority.rows)
            if (const auto value = number_of(row[*score])) low = low ? std::min(*low, *value) : *value;
    for (const auto& c : classes) {
        html += fmt::format("<span class=\"swatch\" style=\"background:{}\"></span> {:.0f}&ndash;{:.0f}<br>", c.colour,
                            low.value_or(0), c.upper);
        low = c.upper;
    }
    html += fmt::format("<span class=\"swatch\" style=\"background:{}\"></span> no score</div>", no_score_colour);
    return html;
}

std::vector<ScoreClass> shade_classes() {
    std::vector<ScoreClass> classes;
    for (std::size_t k = 0; k < shade_colours.size(); ++k)
        classes.push_back({20.0 * static_cast<double>(k + 1), shade_colours[k]});
    return classes;
}

std::string routes_legend_html() {
    std::string html = "<div class=\"legend\" id=\"routes-legend\"><strong>Routes</strong> (% of the walk in shade)<br>";
    double low = 0;
    for (const auto& c : shade_classes()) {
        html += fmt::format("<span class=\"swatch\" style=\"background:{}\"></span> {:.0f}&ndash;{:.0f}<br>", c.colour,
                            low, c.upper);
        low = c.upper;
    }
    return html + "</div>";
}

struct TableColumn {
    const char* name;
    const char* label;
    int decimals;
};

constexpr std::array<TableColumn, 9> ranked_columns = {{{"rank", "Rank", 0},
                                                        {"name", "Name", 0},
                                                        {"id", "Id", 0},
                                                        {"score", "Score", 0},
                                                        {"canopy_pct", "Canopy %", 1},
                                                        {"goal_pct", "Goal %", 1},
                                                        {"gap_pct", "Gap (points)", 1},
                                                        {"population", "Population", 0},
                                                        {"trees_needed", "Trees needed", 0}}};

using ShownColumns = std::vector<std::pair<std::size_t, const TableColumn*>>;

/// A <table id="ID"> of `rows`, the cells of the `shown` columns (index in the row, column).
std::string table_html(const char* id, const ShownColumns& shown, const std::vector<const std::vector<FieldValue>*>& rows) {
    std::string html = fmt::format("<table id=\"{}\"><thead><tr>", id);
    for (const auto& column : shown) html += fmt::format("<th>{}</th>", column.second->label);
    html += "</tr></thead><tbody>\n";
    for (const auto* row : rows) {
        html += "<tr>";
        for (const auto& column : shown) html += "<td>" + text_of((*row)[column.first], column.second->decimals) + "</td>";
        html += "</tr>\n";
    }
    return html + "</tbody></table>\n";
}

std::string ranked_table_html(const OutputTable& priority) {
    ShownColumns shown;
    for (const auto& column : ranked_columns)
        if (const auto index = column_of(priority, column.name)) shown.emplace_back(*index, &column);
    std::vector<const std::vector<FieldValue>*> rows;
    for (const auto& row : priority.rows) rows.push_back(&row);
    return table_html("ranking", shown, rows);
}

/// Whom a group is compared with: everyone, or the people of the reference group.
std::string reference_words(const std::string& reference) {
    return reference.empty() || reference == "everyone" ? std::string("everyone")
                                                        : "people in group " + escape_html(reference);
}

/// One <li>: "People in group NAME VERB 5.0 points less WHAT than REFERENCE." (the points
/// rounded to one decimal; "as much WHAT as" when they round to 0).
std::string comparison_sentence(const std::string& name, std::optional<double> points, const char* verb,
                                const char* what, const char* value_name, const std::string& reference) {
    if (!points) return fmt::format("<li>People in group {} have no {} to compare.</li>\n", escape_html(name), value_name);
    const double rounded = std::round(std::abs(*points) * 10) / 10;
    if (rounded == 0)
        return fmt::format("<li>People in group {} {} as much {} as {}.</li>\n", escape_html(name), verb, what,
                           reference_words(reference));
    return fmt::format("<li>People in group {} {} {:.1f} points {} {} than {}.</li>\n", escape_html(name), verb, rounded,
                       *points < 0 ? "less" : "more", what, reference_words(reference));
}

/// The rows of a table of `scenario` (now | plan), or all rows when it has no such column.
std::vector<const std::vector<FieldValue>*> rows_of(const OutputTable& table, const std::string& scenario) {
    const auto column = column_of(table, "scenario");
    std::vector<const std::vector<FieldValue>*> rows;
    for (const auto& row : table.rows) {
        const auto* name = column ? std::get_if<std::string>(&row[*column]) : nullptr;
        if (!column || (name && *name == scenario)) rows.push_back(&row);
    }
    return rows;
}

std::string equity_html(const ReportContent& content) {
    // With a plan, equity.csv holds now's rows and the plan's: the chart shows now's, the plan
    // section the change.
    const OutputTable& equity = content.equity;
    const auto group = column_of(equity, "group");
    const auto canopy = column_of(equity, "canopy_pct");
    const auto diff = column_of(equity, "canopy_diff_pct");
    if (!group || !canopy) return {};
    const bool scenarios = column_of(equity, "scenario").has_value();
    const auto now_rows = rows_of(equity, "now");
    std::string html = scenarios ? "<h2>Canopy by group (now)</h2>\n" : "<h2>Canopy by group</h2>\n";
    double most = 0;
    for (const auto* row : now_rows) most = std::max(most, number_of((*row)[*canopy]).value_or(0));
    const double bar_height = 22, label_width = 160, bar_width = 360;
    html += fmt::format("<svg id=\"equity-chart\" width=\"{}\" height=\"{}\" role=\"img\" "
                        "aria-label=\"canopy_pct by group\">\n",
                        label_width + bar_width + 70, bar_height * static_cast<double>(now_rows.size()) + 4);
    for (std::size_t k = 0; k < now_rows.size(); ++k) {
        const auto& row = *now_rows[k];
        const double y = bar_height * static_cast<double>(k) + 2;
        const std::string name = text_of(row[*group], 0);
        const auto value = number_of(row[*canopy]);
        const double width = value && most > 0 ? bar_width * *value / most : 0;
        html += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>", label_width - 6, y + 15, name);
        html += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{:.2f}\" height=\"{}\" fill=\"#31a354\"/>", label_width, y,
                            width, bar_height - 4);
        html += fmt::format("<text x=\"{:.2f}\" y=\"{}\">{}</text>\n", label_width + width + 4, y + 15,
                            value ? fmt::format("{:.1f} %", *value) : std::string("no value"));
    }
    html += "</svg>\n<ul id=\"equity-words\">\n";
    for (const auto* now_row : now_rows) {
        const auto& row = *now_row;
        const auto* name = std::get_if<std::string>(&row[*group]);
        if (!name || *name == "everyone" || *name == content.reference) continue;
        html += comparison_sentence(*name, diff ? number_of(row[*diff]) : std::nullopt, "live with", "canopy",
                                    "canopy value", content.reference);
    }
    html += "</ul>\n";
    const auto measure = column_of(content.disparity, "measure");
    const auto exposure = column_of(content.disparity, "exposure");
    const auto value = column_of(content.disparity, "value");
    if (measure && exposure && value && !content.disparity.rows.empty()) {
        html += "<h3>Disparity indices</h3>\n<table id=\"disparity\"><thead><tr><th>Measure</th><th>Exposure</th>"
                "<th>Value</th></tr></thead><tbody>\n";
        for (const auto* row : rows_of(content.disparity, "now"))
            html += "<tr><td>" + text_of((*row)[*measure], 0) + "</td><td>" + text_of((*row)[*exposure], 0) +
                    "</td><td>" + text_of((*row)[*value], 3) + "</td></tr>\n";
        html += "</tbody></table>\n";
    }
    return html;
}

struct WalksColumn {
    const char* name;
    const char* label;
    int decimals;
    double scale;  ///< shown as value × scale (share_below_25pct as a percentage)
};

constexpr std::array<WalksColumn, 10> walks_columns = {{{"group", "Group", 0, 1},
                                                      {"agents", "Agents", 0, 1},
                                                      {"people", "People", 0, 1},
                                                      {"walk_m", "Mean walk (m)", 0, 1},
                                                      {"shaded_m", "Mean shaded (m)", 0, 1},
                                                      {"walk_shade_pct", "% of the walk in shade", 1, 1},
                                                      {"share_below_25pct", "% under 25 % shade", 1, 100},
                                                      {"no_destination", "Without destination", 0, 1},
                                                      {"shade_gained_m", "Shade gained (m)", 1, 1},
                                                      {"extra_walk_m", "Extra walk (m)", 1, 1}}};

std::string walks_html(const ReportContent& content) {
    const OutputTable& walks = content.walks_by_group;
    const auto group = column_of(walks, "group");
    const auto pct = column_of(walks, "walk_shade_pct");
    if (!group || !pct) return {};
    std::string html = "<h2>Walks</h2>\n";
    html += fmt::format("<p>Every resident walks the streets to the nearest destination, up to {:.0f} m (farther: "
                        "without destination). Means are per person who reaches a destination.",
                        content.max_walk_m);
    if (content.sun_aversion > 0)
        html += fmt::format(" Walks seek shade (sun aversion {:g}: a metre in the sun counts {:g} m); the gain is "
                            "against the shortest routes.",
                            content.sun_aversion, 1 + content.sun_aversion);
    html += "</p>\n<table id=\"walks\"><thead><tr>";
    std::vector<std::pair<std::size_t, const WalksColumn*>> shown;
    for (const auto& column : walks_columns)
        if (const auto index = column_of(walks, column.name)) shown.emplace_back(*index, &column);
    for (const auto& column : shown) html += fmt::format("<th>{}</th>", column.second->label);
    html += "</tr></thead><tbody>\n";
    for (const auto& row : walks.rows) {
        html += "<tr>";
        for (const auto& [index, column] : shown) {
            const auto value = number_of(row[index]);
            html += "<td>" +
                    (value && column->scale != 1 ? fmt::format("{:.{}f}", *value * column->scale, column->decimals)
                                                 : text_of(row[index], column->decimals)) +
                    "</td>";
        }
        html += "</tr>\n";
    }
    html += "</tbody></table>\n<ul id=\"walks-words\">\n";
    std::optional<double> reference_pct;
    for (const auto& row : walks.rows)
        if (const auto* name = std::get_if<std::string>(&row[*group]); name && *name == content.reference)
            reference_pct = number_of(row[*pct]);
    const auto gained = column_of(walks, "shade_gained_m");
    const auto extra = column_of(walks, "extra_walk_m");
    for (const auto& row : walks.rows) {
        const auto* name = std::get_if<std::string>(&row[*group]);
        if (!name) continue;
        if (*name != "everyone" && *name != content.reference) {
            const auto own = number_of(row[*pct]);
            html += comparison_sentence(*name, own && reference_pct ? std::optional(*own - *reference_pct) : std::nullopt,
                                        "walk with", "of the way in shade", "walk shade value", content.reference);
        }
        const auto gain = gained ? number_of(row[*gained]) : std::nullopt;
        const auto more = extra ? number_of(row[*extra]) : std::nullopt;
        if (content.sun_aversion > 0 && gain && more)
            html += fmt::format("<li>Seeking shade, {} {:.1f} m of shade for {:.1f} m more walking.</li>\n",
                                *name == "everyone" ? std::string("everyone gains")
                                                    : "people in group " + escape_html(*name) + " gain",
                                *gain, *more);
    }
    return html + "</ul>\n";
}

constexpr std::array<TableColumn, 8> plan_columns = {{{"id", "Id", 0},
                                                     {"name", "Name", 0},
                                                     {"trees", "Trees", 0},
                                                     {"canopy_pct_now", "Canopy % now", 1},
                                                     {"canopy_pct_plan", "Canopy % plan", 1},
                                                     {"score_now", "Score now", 0},
                                                     {"score_plan", "Score plan", 0},
                                                     {"cost", "Cost", 0}}};

/// The plan's rows in rank order (the ranking table's), units without a rank after them in
/// plan.csv's order.
std::vector<const std::vector<FieldValue>*> plan_rows_by_rank(const ReportContent& content) {
    std::map<std::string, std::int64_t> rank_of;
    const auto id = column_of(content.priority, "id");
    const auto rank = column_of(content.priority, "rank");
    if (id && rank)
        for (const auto& row : content.priority.rows) {
            const auto* key = std::get_if<std::string>(&row[*id]);
            const auto* value = std::get_if<std::int64_t>(&row[*rank]);
            if (key && value) rank_of.emplace(*key, *value);
        }
    const auto plan_id = column_of(content.plan, "id");
    const auto rank_at = [&](const std::vector<FieldValue>* row) {
        const auto* key = plan_id ? std::get_if<std::string>(&(*row)[*plan_id]) : nullptr;
        const auto found = key ? rank_of.find(*key) : rank_of.end();
        return found == rank_of.end() ? std::numeric_limits<std::int64_t>::max() : found->second;
    };
    std::vector<const std::vector<FieldValue>*> rows;
    for (const auto& row : content.plan.rows) rows.push_back(&row);
    std::stable_sort(rows.begin(), rows.end(), [&](const auto* a, const auto* b) { return rank_at(a) < rank_at(b); });
    return rows;
}

std::string score_words(std::optional<double> score) {
    return score ? fmt::format("{:.0f}", *score) : std::string("none");
}

/// The words of a rule of plan.json's "comparison".
std::string rule_words(const std::string& name) {
    if (name == "plan") return "This plan";
    if (name == "by_rank") return "By rank alone";
    if (name == "in_proportion_to_gap") return "In proportion to the gap";
    return escape_html(name);
}

std::string plan_html(const ReportContent& content) {
    const OutputTable& plan = content.plan;
    if (plan.columns.empty()) return {};
    const PlanSummary& summary = content.plan_summary;
    std::string html = "<h2>Plan</h2>\n";
    html += fmt::format("<p id=\"plan-totals\">{} of {} trees planted", summary.trees_planted, summary.trees_asked);
    if (summary.cost) html += fmt::format(", at a cost of {:.0f}", *summary.cost);
    html += fmt::format(". City score {} now, {} with the plan. The sites are on the map.</p>\n",
                        score_words(summary.city_score_now), score_words(summary.city_score_plan));

    // The units, before and after; the cost only when a cost per tree was given.
    ShownColumns shown;
    for (const auto& column : plan_columns) {
        const auto index = column_of(plan, column.name);
        if (!index) continue;
        if (std::string_view(column.name) == "cost" &&
            std::none_of(plan.rows.begin(), plan.rows.end(), [&](const auto& row) { return number_of(row[*index]).has_value(); }))
            continue;
        shown.emplace_back(*index, &column);
    }
    html += table_html("plan", shown, plan_rows_by_rank(content));

    // The plan beside the two simple rules on the same trees.
    if (!summary.comparison.empty()) {
        html += "<h3>Against two simple rules</h3>\n<table id=\"plan-comparison\"><thead><tr><th>Allocation</th>"
                "<th>Trees</th><th>Objective</th><th>People reached</th><th>People &times; canopy points</th></tr>"
                "</thead><tbody>\n";
        for (const auto& rule : summary.comparison)
            html += fmt::format("<tr><td>{}</td><td>{}</td><td>{:.2f}</td><td>{:.0f}</td><td>{:.1f}</td></tr>\n",
                                rule_words(rule.name), rule.trees, rule.objective, rule.people_reached,
                                rule.people_canopy_points);
        html += "</tbody></table>\n";
        const auto find = [&](const char* name) -> const PlanRule* {
            for (const auto& rule : summary.comparison)
                if (rule.name == name) return &rule;
            return nullptr;
        };
        const PlanRule* mine = find("plan");
        const PlanRule* by_rank = find("by_rank");
        const PlanRule* proportion = find("in_proportion_to_gap");
        if (mine && by_rank && proportion)
            html += fmt::format("<p id=\"plan-comparison-words\">With the same {} trees, the plan closes {:.2f} of "
                                "equity-weighted gap (priority &times; people &times; canopy gain), against {:.2f} "
                                "planting by rank alone and {:.2f} planting in proportion to the gap.</p>\n",
                                mine->trees, mine->objective, by_rank->objective, proportion->objective);
    }

    // Each group's canopy now and with the plan (equity.csv's two scenarios).
    const OutputTable& equity = content.equity;
    const auto group = column_of(equity, "group");
    const auto canopy = column_of(equity, "canopy_pct");
    if (group && canopy && column_of(equity, "scenario")) {
        const auto now_rows = rows_of(equity, "now");
        const auto plan_rows = rows_of(equity, "plan");
        html += "<h3>Canopy by group, now and with the plan</h3>\n<table id=\"plan-equity\"><thead><tr><th>Group</th>"
                "<th>Canopy % now</th><th>Canopy % plan</th><th>Change (points)</th></tr></thead><tbody>\n";
        for (const auto* now_row : now_rows) {
            const auto* name = std::get_if<std::string>(&(*now_row)[*group]);
            if (!name) continue;
            const std::vector<FieldValue>* plan_row = nullptr;
            for (const auto* row : plan_rows)
                if (const auto* other = std::get_if<std::string>(&(*row)[*group]); other && *other == *name) plan_row = row;
            const auto before = number_of((*now_row)[*canopy]);
            const auto after = plan_row ? number_of((*plan_row)[*canopy]) : std::nullopt;
            html += "<tr><td>" + escape_html(*name) + "</td><td>" + text_of((*now_row)[*canopy], 1) + "</td><td>" +
                    (plan_row ? text_of((*plan_row)[*canopy], 1) : std::string("&ndash;")) + "</td><td>" +
                    (before && after ? fmt::format("{:+.1f}", *after - *before) : std::string("&ndash;")) +
                    "</td></tr>\n";
        }
        html += "</tbody></table>\n";
    }
    return html;
}

std::string model_html(const ReportContent& content) {
    std::string html = "<h2>Model</h2>\n<p>Model <strong>" + escape_html(content.model_name) + "</strong>";
    if (content.model_weights.empty()) return html + ".</p>\n";
    html += ", with these weights:</p>\n<table id=\"weights\"><thead><tr><th>Variable</th><th>Weight</th></tr></thead>"
            "<tbody>\n";
    for (const auto& weight : content.model_weights)
        html += fmt::format("<tr><td>{}</td><td>{:g}</td></tr>\n", escape_html(weight.first), weight.second);
    return html + "</tbody></table>\n";
}

std::string warnings_html(const std::vector<std::string>& warnings) {
    std::string html = "<h2>Warnings</h2>\n";
    if (warnings.empty()) return html + "<p>The run gave no warnings.</p>\n";
    html += "<ul id=\"warnings\">\n";
    for (const auto& warning : warnings) html += "<li>" + escape_html(warning) + "</li>\n";
    return html + "</ul>\n";
}

// Popups are built with textContent, so no text from the data is parsed as HTML.
constexpr const char* map_script = R"js(
(function () {
  var units = JSON.parse(document.getElementById('shadegap-units').textContent);
  var classes = JSON.parse(document.getElementById('shadegap-classes').textContent);
  var fields = [['rank', 'Rank', 0], ['score', 'Score', 0], ['canopy_pct', 'Canopy %', 1], ['goal_pct', 'Goal %', 1],
                ['gap_pct', 'Gap (points)', 1], ['population', 'Population', 0], ['trees_needed', 'Trees needed', 0]];
  function colour(score) {
    if (score === null || score === undefined) return 'NO_SCORE';
    for (var i = 0; i < classes.length; i++) if (score <= classes[i].upper) return classes[i].colour;
    return classes.length ? classes[classes.length - 1].colour : 'NO_SCORE';
  }
  function popup(p) {
    var box = document.createElement('div');
    var title = document.createElement('strong');
    title.textContent = p.name || p.id;
    box.appendChild(title);
    var table = document.createElement('table');
    fields.forEach(function (f) {
      var row = table.insertRow();
      row.insertCell().textContent = f[1];
      var v = p[f[0]];
      row.insertCell().textContent = v === null || v === undefined ? '\u2013' : typeof v === 'number' ? v.toFixed(f[2]) : String(v);
    });
    box.appendChild(table);
    return box;
  }
  var map = L.map('map', {attributionControl: false, zoomSnap: 0.25});
  var layer = L.geoJSON(units, {
    style: function (f) { return {color: '#444', weight: 1, fillColor: colour(f.properties.score), fillOpacity: 0.8}; },
    onEachFeature: function (f, l) { l.bindPopup(popup(f.properties)); }
  }).addTo(map);
  var bounds = layer.getBounds();
  var routesText = document.getElementById('shadegap-routes');
  if (routesText) {
    var shades = JSON.parse(document.getElementById('shadegap-shade-classes').textContent);
    var shadeColour = function (pct) {
      if (pct === null || pct === undefined) return 'NO_SCORE';
      for (var i = 0; i < shades.length; i++) if (pct <= shades[i].upper) return shades[i].colour;
      return shades[shades.length - 1].colour;
    };
    var routeFields = [['walk_m', 'Walk (m)', 0], ['shaded_m', 'Shaded (m)', 0], ['walk_shade_pct', 'In shade %', 1]];
    var routePopup = function (p) {
      var box = document.createElement('div');
      var title = document.createElement('strong');
      title.textContent = 'Walk of group ' + p.group;
      box.appendChild(title);
      var table = document.createElement('table');
      routeFields.forEach(function (f) {
        var row = table.insertRow();
        row.insertCell().textContent = f[1];
        var v = p[f[0]];
        row.insertCell().textContent = typeof v === 'number' ? v.toFixed(f[2]) : '\u2013';
      });
      box.appendChild(table);
      return box;
    };
    var routes = L.geoJSON(JSON.parse(routesText.textContent), {
      style: function (f) { return {color: shadeColour(f.properties.walk_shade_pct), weight: 2, opacity: 0.9}; },
      onEachFeature: function (f, l) { l.bindPopup(routePopup(f.properties)); }
    }).addTo(map);
    if (routes.getBounds().isValid()) bounds = bounds.isValid() ? bounds.extend(routes.getBounds()) : routes.getBounds();
  }
  var sitesText = document.getElementById('shadegap-sites');
  if (sitesText) {
    var sitePopup = function (p) {
      var box = document.createElement('div');
      var title = document.createElement('strong');
      title.textContent = 'Tree ' + p.order;
      box.appendChild(title);
      var table = document.createElement('table');
      [['unit_id', 'Unit'], ['order', 'Order'], ['site_id', 'Site']].forEach(function (f) {
        var row = table.insertRow();
        row.insertCell().textContent = f[1];
        var v = p[f[0]];
        row.insertCell().textContent = v === null || v === undefined ? '\u2013' : String(v);
      });
      box.appendChild(table);
      return box;
    };
    var sites = L.geoJSON(JSON.parse(sitesText.textContent), {
      pointToLayer: function (f, latlng) {
        return L.circleMarker(latlng, {radius: 4, color: '#00441b', weight: 1, fillColor: '#41ab5d', fillOpacity: 0.9});
      },
      onEachFeature: function (f, l) { l.bindPopup(sitePopup(f.properties)); }
    }).addTo(map);
    if (sites.getBounds().isValid()) bounds = bounds.isValid() ? bounds.extend(sites.getBounds()) : sites.getBounds();
  }
  if (bounds.isValid()) map.fitBounds(bounds); else map.setView([0, 0], 1);
})();
)js";

constexpr const char* page_style = R"css(
body { font-family: sans-serif; margin: 1em 2em; color: #222; }
#map { height: 520px; border: 1px solid #999; background: #f4f4f0; }
.legend { margin: .5em 0; line-height: 1.5; }
.swatch { display: inline-block; width: 1.2em; height: .9em; border: 1px solid #666; vertical-align: middle; }
table { border-collapse: collapse; margin: .5em 0; }
th, td { border: 1px solid #ccc; padding: 2px 8px; text-align: right; }
th { background: #eee; }
svg text { font-size: 13px; }
.site-dot { display: inline-block; width: .7em; height: .7em; border-radius: 50%; border: 1px solid #00441b;
            background: #41ab5d; vertical-align: middle; }
)css";

}  // namespace

std::string escape_html(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (const char c : text) {
        switch (c) {
            case '&': out += "&amp;"; break;
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '"': out += "&quot;"; break;
            case '\'': out += "&#39;"; break;
            default: out += c;
        }
    }
    return out;
}

std::string build_report_html(const ReportContent& content) {
    const auto classes = score_classes(content.priority);
    std::string script = map_script;
    for (std::size_t at = script.find("NO_SCORE"); at != std::string::npos; at = script.find("NO_SCORE", at))
        script.replace(at, 8, no_score_colour);
    std::string html;
    html += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
    html += "<title>shadegap report: " + escape_html(content.model_name) + "</title>\n";
    html += "<style>\n" + detail::leaflet_css() + "\n</style>\n<style>" + page_style + "</style>\n</head>\n<body>\n";
    html += "<h1>Where to plant trees first</h1>\n<p>Model " + escape_html(content.model_name) + ", " +
            std::to_string(content.priority.rows.size()) + " ranking units. Click a unit for its numbers.</p>\n";
    html += "<div id=\"map\"></div>\n" + legend_html(classes, content.priority);
    if (!content.routes_geojson.empty()) html += routes_legend_html();
    if (!content.sites_geojson.empty())
        html += "<div class=\"legend\" id=\"sites-legend\"><span class=\"site-dot\"></span> a planted tree "
                "(click for its unit and order)</div>\n";
    html += "<h2>Ranking</h2>\n" + ranked_table_html(content.priority);
    html += equity_html(content);
    html += plan_html(content);
    html += walks_html(content);
    html += model_html(content);
    html += warnings_html(content.warnings);
    html += "<script type=\"application/json\" id=\"shadegap-units\">" + script_safe(content.priority_geojson) +
            "</script>\n";
    html += "<script type=\"application/json\" id=\"shadegap-classes\">" + classes_json(classes) + "</script>\n";
    if (!content.routes_geojson.empty()) {
        html += "<script type=\"application/json\" id=\"shadegap-routes\">" + script_safe(content.routes_geojson) +
                "</script>\n";
        html += "<script type=\"application/json\" id=\"shadegap-shade-classes\">" + classes_json(shade_classes()) +
                "</script>\n";
    }
    if (!content.sites_geojson.empty())
        html += "<script type=\"application/json\" id=\"shadegap-sites\">" + script_safe(content.sites_geojson) +
                "</script>\n";
    html += "<script>\n" + detail::leaflet_js() + "\n</script>\n<script>" + script + "</script>\n</body>\n</html>\n";
    return html;
}

}  // namespace shadegap
