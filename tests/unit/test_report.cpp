// report.cpp: escaping, and the page built from plain tables without the pipeline.
// SPDX-License-Identifier: MIT
#include "shadegap/report.hpp"

#include <catch2/catch.hpp>

using namespace shadegap;

TEST_CASE("escape_html replaces the five characters HTML gives meaning", "[report]") {
    CHECK(escape_html("<b>&") == "&lt;b&gt;&amp;");
    CHECK(escape_html("O'Neil \"Park\"") == "O&#39;Neil &quot;Park&quot;");
    CHECK(escape_html("Mariner's Row – 5 %") == "Mariner&#39;s Row – 5 %");
    CHECK(escape_html("") == "");
}

TEST_CASE("every text of the data is escaped in the page", "[report]") {
    using Type = OutputColumn::Type;
    ReportContent content;
    content.priority_geojson = R"({"type": "FeatureCollection", "features": [{"type": "Feature", "properties": )"
                               R"({"name": "</script><b>&"}, "geometry": null}]})";
    content.priority.columns = {{"id", Type::Text}, {"name", Type::Text}, {"rank", Type::Integer}, {"score", Type::Real}};
    content.priority.rows = {{std::string("A&1"), std::string("</script><b>&"), std::int64_t{1}, 12.0}};
    content.equity.columns = {{"group", Type::Text}, {"canopy_pct", Type::Real}, {"canopy_diff_pct", Type::Real}};
    content.equity.rows = {{std::string("everyone"), 20.0, 0.0}, {std::string("<i>g"), 15.0, -5.0}};
    content.model_name = "<model>";
    content.model_weights = {{"pov<erty", 0.5}};
    content.warnings = {"units.gpkg: <warned> & noted"};
    const std::string html = build_report_html(content);
    CHECK(html.find("<b>&") == std::string::npos);
    CHECK(html.find("</script><b>") == std::string::npos);
    CHECK(html.find("\\u003c/script\\u003e\\u003cb\\u003e\\u0026") != std::string::npos);  // in the GeoJSON
    CHECK(html.find("<td>&lt;/script&gt;&lt;b&gt;&amp;</td>") != std::string::npos);     // in the table
    CHECK(html.find("<td>A&amp;1</td>") != std::string::npos);
    CHECK(html.find("People in group &lt;i&gt;g live with 5.0 points less canopy than everyone.") != std::string::npos);
    CHECK(html.find(">&lt;i&gt;g</text>") != std::string::npos);  // the bar chart's label
    CHECK(html.find("&lt;model&gt;") != std::string::npos);
    CHECK(html.find("pov&lt;erty") != std::string::npos);
    CHECK(html.find("units.gpkg: &lt;warned&gt; &amp; noted") != std::string::npos);
    CHECK(html.find("<model>") == std::string::npos);
    CHECK(html.find("<warned>") == std::string::npos);
}

TEST_CASE("without equity columns the page has no equity section", "[report]") {
    ReportContent content;
    content.priority_geojson = R"({"type": "FeatureCollection", "features": []})";
    content.model_name = "canopy-gap";
    const std::string html = build_report_html(content);
    CHECK(html.find("equity-chart") == std::string::npos);
    CHECK(html.find("The run gave no warnings.") != std::string::npos);
}

TEST_CASE("the walks section: the table per group, the sentences against the reference, the routes layer",
          "[report][walks]") {
    using Type = OutputColumn::Type;
    ReportContent content;
    content.priority_geojson = R"({"type": "FeatureCollection", "features": []})";
    content.reference = "w&b";
    content.max_walk_m = 1600;
    content.sun_aversion = 2;
    content.walks_by_group.columns = {{"group", Type::Text},           {"agents", Type::Integer},
                                      {"people", Type::Real},          {"no_destination", Type::Integer},
                                      {"walk_m", Type::Real},          {"shaded_m", Type::Real},
                                      {"walk_shade_pct", Type::Real},  {"share_below_25pct", Type::Real},
                                      {"shade_gained_m", Type::Real},  {"extra_walk_m", Type::Real}};
    content.walks_by_group.rows = {
        {std::string("everyone"), std::int64_t{40}, 80.0, std::int64_t{2}, 412.6, 103.2, 25.01, 0.4567, 12.34, 5.66},
        {std::string("w&b"), std::int64_t{10}, 20.0, std::int64_t{0}, 300.0, 120.0, 40.0, 0.25, 10.0, 2.0},
        {std::string("<low>"), std::int64_t{20}, 40.0, std::int64_t{2}, 500.0, 90.0, 18.04, 0.75, 14.0, 8.0},
        {std::string("high"), std::int64_t{10}, 20.0, std::int64_t{0}, 200.0, 110.0, 55.0, 0.0, 1.0, 0.5},
        {std::string("nobody"), std::int64_t{0}, 0.0, std::int64_t{0}, std::monostate{}, std::monostate{},
         std::monostate{}, std::monostate{}, std::monostate{}, std::monostate{}}};
    content.routes_geojson = R"({"type": "FeatureCollection", "features": [{"type": "Feature", "properties": )"
                             R"({"group": "</script>", "walk_m": 10.0}, "geometry": null}]})";
    const std::string html = build_report_html(content);
    CHECK(html.find("<h2>Walks</h2>") != std::string::npos);
    CHECK(html.find("up to 1600 m") != std::string::npos);
    CHECK(html.find("sun aversion 2: a metre in the sun counts 3 m") != std::string::npos);
    CHECK(html.find("<th>Group</th><th>Agents</th><th>People</th><th>Mean walk (m)</th><th>Mean shaded (m)</th>"
                    "<th>% of the walk in shade</th><th>% under 25 % shade</th><th>Without destination</th>"
                    "<th>Shade gained (m)</th><th>Extra walk (m)</th>") != std::string::npos);
    // Metres whole, percentages to one decimal, the share under 25 % as a percentage.
    CHECK(html.find("<tr><td>everyone</td><td>40</td><td>80</td><td>413</td><td>103</td><td>25.0</td><td>45.7</td>"
                    "<td>2</td><td>12.3</td><td>5.7</td></tr>") != std::string::npos);
    CHECK(html.find("<tr><td>&lt;low&gt;</td><td>20</td><td>40</td><td>500</td><td>90</td><td>18.0</td><td>75.0</td>"
                    "<td>2</td><td>14.0</td><td>8.0</td></tr>") != std::string::npos);
    CHECK(html.find("<tr><td>nobody</td><td>0</td><td>0</td><td>&ndash;</td><td>&ndash;</td><td>&ndash;</td>"
                    "<td>&ndash;</td><td>0</td><td>&ndash;</td><td>&ndash;</td></tr>") != std::string::npos);
    // Against the reference group w&b (40 %): <low> 18.04 − 40 = −21.96, high 55 − 40 = 15.
    CHECK(html.find("<li>People in group &lt;low&gt; walk with 22.0 points less of the way in shade than people in "
                    "group w&amp;b.</li>") != std::string::npos);
    CHECK(html.find("<li>People in group high walk with 15.0 points more of the way in shade than people in group "
                    "w&amp;b.</li>") != std::string::npos);
    CHECK(html.find("<li>People in group nobody have no walk shade value to compare.</li>") != std::string::npos);
    CHECK(html.find("<li>People in group w&amp;b walk") == std::string::npos);  // not compared with itself
    CHECK(html.find("<li>People in group everyone") == std::string::npos);
    CHECK(html.find("<li>Seeking shade, everyone gains 12.3 m of shade for 5.7 m more walking.</li>") != std::string::npos);
    CHECK(html.find("<li>Seeking shade, people in group &lt;low&gt; gain 14.0 m of shade for 8.0 m more walking.</li>") !=
          std::string::npos);
    CHECK(html.find("<low>") == std::string::npos);
    // The routes: embedded script-safe, with their legend and colour classes.
    CHECK(html.find("<script type=\"application/json\" id=\"shadegap-routes\">") != std::string::npos);
    CHECK(html.find("\"group\": \"\\u003c/script\\u003e\"") != std::string::npos);
    CHECK(html.find("id=\"routes-legend\"") != std::string::npos);
    CHECK(html.find("{\"upper\":20,\"colour\":\"#d73027\"}") != std::string::npos);
}

TEST_CASE("without walks the page has no walks section and no routes layer", "[report][walks]") {
    ReportContent content;
    content.priority_geojson = R"({"type": "FeatureCollection", "features": []})";
    const std::string html = build_report_html(content);
    CHECK(html.find("<h2>Walks</h2>") == std::string::npos);
    CHECK(html.find("id=\"shadegap-routes\"") == std::string::npos);
    CHECK(html.find("routes-legend") == std::string::npos);
}

TEST_CASE("the plan section: units in rank order before and after, totals, the two simple rules, groups, sites",
          "[report][plan]") {
    using Type = OutputColumn::Type;
    ReportContent content;
    content.priority_geojson = R"({"type": "FeatureCollection", "features": []})";
    content.priority.columns = {{"id", Type::Text}, {"name", Type::Text}, {"rank", Type::Integer}, {"score", Type::Real}};
    content.priority.rows = {{std::string("B<1>"), std::string("Bay & Co"), std::int64_t{1}, 10.0},
                             {std::string("A"), std::monostate{}, std::int64_t{2}, 80.0}};
    // plan.csv's order is the ranking table's (A first); the report shows rank order (B first).
    content.plan.columns = {{"id", Type::Text},           {"name", Type::Text},         {"trees", Type::Integer},
                            {"canopy_pct_now", Type::Real}, {"canopy_pct_plan", Type::Real}, {"score_now", Type::Real},
                            {"score_plan", Type::Real},   {"cost", Type::Real}};
    content.plan.rows = {
        {std::string("A"), std::monostate{}, std::int64_t{0}, 30.04, 30.04, 80.0, 80.0, 0.0},
        {std::string("B<1>"), std::string("Bay & Co"), std::int64_t{3}, 0.0, 5.66, 10.0, 24.6, 1500.0}};
    content.plan_summary.trees_asked = 4;
    content.plan_summary.trees_planted = 3;
    content.plan_summary.cost = 1500.0;
    content.plan_summary.city_score_now = 33.4;
    content.plan_summary.city_score_plan = 42.6;
    content.plan_summary.comparison = {{"plan", 3, 13.936, 200, 1393.5},
                                       {"by_rank", 3, 13.936, 200, 1393.5},
                                       {"in_proportion_to_gap", 3, 9.29, 300, 1100.04}};
    content.equity.columns = {{"scenario", Type::Text}, {"group", Type::Text}, {"canopy_pct", Type::Real},
                              {"canopy_diff_pct", Type::Real}};
    content.equity.rows = {{std::string("now"), std::string("everyone"), 20.0, 0.0},
                           {std::string("now"), std::string("<i>g"), 15.0, -5.0},
                           {std::string("plan"), std::string("everyone"), 22.3, 0.0},
                           {std::string("plan"), std::string("<i>g"), 19.0, -3.5}};
    content.sites_geojson = R"({"type": "FeatureCollection", "features": [{"type": "Feature", "properties": )"
                            R"({"site_id": 7, "unit_id": "B</script>", "order": 1}, "geometry": null}]})";
    content.model_name = "canopy-gap";
    const std::string html = build_report_html(content);
    const auto at = [&](const std::string& text) { return html.find(text); };

    // The units, rank order, escaped; canopy to one decimal, scores whole, cost whole.
    const std::string row_b = "<tr><td>B&lt;1&gt;</td><td>Bay &amp; Co</td><td>3</td><td>0.0</td><td>5.7</td>"
                              "<td>10</td><td>25</td><td>1500</td></tr>";
    const std::string row_a = "<tr><td>A</td><td>&ndash;</td><td>0</td><td>30.0</td><td>30.0</td><td>80</td>"
                              "<td>80</td><td>0</td></tr>";
    REQUIRE(at("<table id=\"plan\">") != std::string::npos);
    CHECK(at("<th>Id</th><th>Name</th><th>Trees</th><th>Canopy % now</th><th>Canopy % plan</th><th>Score now</th>"
             "<th>Score plan</th><th>Cost</th>") != std::string::npos);
    REQUIRE(at(row_b) != std::string::npos);
    REQUIRE(at(row_a) != std::string::npos);
    CHECK(at(row_b) < at(row_a));
    // The totals from plan.json.
    CHECK(at("<p id=\"plan-totals\">3 of 4 trees planted, at a cost of 1500. City score 33 now, 43 with the plan.") !=
          std::string::npos);
    // The two simple rules: a table and one sentence.
    CHECK(at("<tr><td>This plan</td><td>3</td><td>13.94</td><td>200</td><td>1393.5</td></tr>") != std::string::npos);
    CHECK(at("<tr><td>By rank alone</td><td>3</td><td>13.94</td><td>200</td><td>1393.5</td></tr>") != std::string::npos);
    CHECK(at("<tr><td>In proportion to the gap</td><td>3</td><td>9.29</td><td>300</td><td>1100.0</td></tr>") !=
          std::string::npos);
    CHECK(at("With the same 3 trees, the plan closes 13.94 of equity-weighted gap (priority &times; people &times; "
             "canopy gain), against 13.94 planting by rank alone and 9.29 planting in proportion to the gap.") !=
          std::string::npos);
    // Each group's canopy now → plan; the equity chart shows now's rows only.
    CHECK(at("<tr><td>everyone</td><td>20.0</td><td>22.3</td><td>+2.3</td></tr>") != std::string::npos);
    CHECK(at("<tr><td>&lt;i&gt;g</td><td>15.0</td><td>19.0</td><td>+4.0</td></tr>") != std::string::npos);
    CHECK(at("<h2>Canopy by group (now)</h2>") != std::string::npos);
    CHECK(at(">15.0 %</text>") != std::string::npos);
    CHECK(at(">19.0 %</text>") == std::string::npos);
    CHECK(at("People in group &lt;i&gt;g live with 5.0 points less canopy than everyone.") != std::string::npos);
    CHECK(at("3.5 points less canopy") == std::string::npos);
    // The sites: embedded script-safe, a circle-marker layer, a legend line.
    CHECK(at("<script type=\"application/json\" id=\"shadegap-sites\">") != std::string::npos);
    CHECK(at("\"unit_id\": \"B\\u003c/script\\u003e\"") != std::string::npos);
    CHECK(at("B</script>") == std::string::npos);
    CHECK(at("L.circleMarker") != std::string::npos);
    CHECK(at("id=\"sites-legend\"") != std::string::npos);
    CHECK(at("Bay & Co") == std::string::npos);
}

TEST_CASE("without a plan the page has no plan section and no sites layer", "[report][plan]") {
    ReportContent content;
    content.priority_geojson = R"({"type": "FeatureCollection", "features": []})";
    const std::string html = build_report_html(content);
    CHECK(html.find("<h2>Plan</h2>") == std::string::npos);
    CHECK(html.find("id=\"shadegap-sites\"") == std::string::npos);
    CHECK(html.find("sites-legend") == std::string::npos);
}
