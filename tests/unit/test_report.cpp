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
