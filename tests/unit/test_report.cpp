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
