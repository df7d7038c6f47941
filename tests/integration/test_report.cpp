// `run --report`: report.html through the binary — one map feature per unit, escaped texts,
// nothing fetched from the network, the ranked table in rank order, the equity section.
// SPDX-License-Identifier: MIT
#include "fixtures.hpp"
#include "run_binary.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <regex>
#include <string>
#include <vector>

namespace {

namespace test = shadegap::test;

constexpr double origin_x = 500000;
constexpr double origin_y = 4100000;

/// Four census units, one 20 m × 1 m row each with 1000 people, with canopy in their first
/// 1, 3, 2, 0 cells of a 1 m binary raster (5, 15, 10, 0 %), all below canopy-gap's goal at
/// this density (20 %): the least canopy ranks first, U4, U1, `<b>&`, U2. The third unit's
/// id is `<b>&`, which the page must show escaped.
struct FourUnits {
    test::TempDir dir;
    std::string raster = dir.file("canopy.tif");
    std::string units = dir.file("units.gpkg");
    std::string out = dir.file("out");
    std::vector<std::string> ids = {"U1", "U2", "<b>&", "U4"};

    FourUnits() {
        const int canopy_cells[] = {1, 3, 2, 0};
        std::vector<double> values;
        for (int row = 0; row < 4; ++row)
            for (int col = 0; col < 20; ++col) values.push_back(col < canopy_cells[row] ? 1 : 0);
        test::write_raster(raster, 20, 4, origin_x, origin_y + 4, 1.0, values, 32618);
        std::vector<test::TestFeature> features;
        for (int k = 0; k < 4; ++k) {
            const double top = origin_y + 4 - k;
            const std::string x0 = std::to_string(origin_x), x1 = std::to_string(origin_x + 20);
            const std::string y0 = std::to_string(top - 1), y1 = std::to_string(top);
            const std::string wkt = "POLYGON((" + x0 + " " + y0 + "," + x1 + " " + y0 + "," + x1 + " " + y1 + "," + x0 +
                                    " " + y1 + "," + x0 + " " + y0 + "))";
            features.push_back({wkt, {{"GEOID", ids[k]}}, {{"population", 1000.0}, {"poc", 100.0 * (k + 1)}}});
        }
        test::write_layer(units, "GPKG", "units", 32618, features);
    }

    std::vector<std::string> args(const std::vector<std::string>& extra) const {
        std::vector<std::string> a = {"run",     "--canopy", raster, "--units", units, "--unit-id", "GEOID",
                                      "--model", "canopy-gap", "--out", out, "--threads", "1", "--report"};
        a.insert(a.end(), extra.begin(), extra.end());
        return a;
    }
};

std::size_t count_of(const std::string& text, const std::string& what) {
    std::size_t n = 0;
    for (std::size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + what.size())) ++n;
    return n;
}

/// The text between the first `begin` and the next `end`.
std::string between(const std::string& text, const std::string& begin, const std::string& end) {
    const auto from = text.find(begin);
    REQUIRE(from != std::string::npos);
    const auto to = text.find(end, from + begin.size());
    REQUIRE(to != std::string::npos);
    return text.substr(from + begin.size(), to - from - begin.size());
}

}  // namespace

TEST_CASE("report.html holds the map, the ranked table and the equity section, escaped and offline",
          "[report][cli]") {
    FourUnits c;
    const auto outcome = test::run_binary(SHADEGAP_BINARY, c.args({"--equity-group", "poc=poc"}));
    INFO(outcome.err);
    REQUIRE(outcome.status == 0);
    CHECK(outcome.err.find("warning") == std::string::npos);
    const std::string html = test::read_text(c.out + "/report.html");
    CHECK(test::read_text(c.out + "/run.json").find(c.out + "/report.html") != std::string::npos);

    // One map feature per ranking unit, the same GeoJSON as priority.geojson.
    const std::string units = between(html, "<script type=\"application/json\" id=\"shadegap-units\">", "</script>");
    CHECK(count_of(units, "\"Feature\"") == 4);
    std::string geojson = test::read_text(c.out + "/priority.geojson");
    geojson = std::regex_replace(geojson, std::regex("<"), "\\u003c");
    geojson = std::regex_replace(geojson, std::regex(">"), "\\u003e");
    geojson = std::regex_replace(geojson, std::regex("&"), "\\u0026");
    CHECK(units == geojson);

    // Every text from the data escaped.
    CHECK(html.find("<b>&") == std::string::npos);
    CHECK(count_of(html, "&lt;b&gt;&amp;") >= 2);  // the table's id and name cells

    // Nothing fetched: no remote script, style, image, font or tile layer. Leaflet's own
    // source (the script before ours) holds URLs in comments and in its attribution prefix,
    // which the page turns off: it is left out of the search for src= and href=.
    const std::size_t own_start = html.rfind("<script>");
    const std::size_t leaflet_start = html.rfind("<script>", own_start - 1);
    REQUIRE(leaflet_start != std::string::npos);
    const std::string page = html.substr(0, leaflet_start) + html.substr(own_start);
    const std::regex remote(R"re((src|href)\s*=\s*["']?\s*(https?:)?//)re", std::regex::icase);
    CHECK_FALSE(std::regex_search(page, remote));
    CHECK(page.find("http") == std::string::npos);
    CHECK(html.find("<link") == std::string::npos);
    CHECK(html.find("@import") == std::string::npos);
    CHECK(html.find("@font-face") == std::string::npos);
    CHECK_FALSE(std::regex_search(html, std::regex(R"re(url\(\s*["']?(https?:)?//)re")));
    CHECK_FALSE(std::regex_search(html, std::regex(R"re(<script[^>]*\ssrc=)re")));
    const std::string own_script = html.substr(own_start);
    CHECK(own_script.find("tileLayer") == std::string::npos);
    CHECK(own_script.find("attributionControl: false") != std::string::npos);
    CHECK(own_script.find("http") == std::string::npos);

    // The ranked table in rank order: ranks 1..4, least canopy first.
    const std::string table = between(html, "<table id=\"ranking\">", "</table>");
    std::vector<std::string> ranks, ids;
    const std::regex row(R"re(<tr><td>([^<]*)</td><td>([^<]*)</td>)re");
    for (auto it = std::sregex_iterator(table.begin(), table.end(), row); it != std::sregex_iterator(); ++it) {
        ranks.push_back((*it)[1]);
        ids.push_back((*it)[2]);
    }
    CHECK(ranks == std::vector<std::string>{"1", "2", "3", "4"});
    CHECK(ids == std::vector<std::string>{"U4", "U1", "&lt;b&gt;&amp;", "U2"});

    // The equity chart and its words: poc canopy (100·5 + 200·15 + 300·10 + 400·0) / 1000
    // = 6.5 %, everyone's 7.5 %: 1.0 point less.
    CHECK(html.find("<svg id=\"equity-chart\"") != std::string::npos);
    CHECK(html.find("People in group poc live with 1.0 points less canopy than everyone.") != std::string::npos);
    CHECK(html.find("canopy-gap") != std::string::npos);
}

TEST_CASE("without --report there is no report.html", "[report][cli]") {
    FourUnits c;
    std::vector<std::string> args = c.args({});
    args.pop_back();
    const auto outcome = test::run_binary(SHADEGAP_BINARY, args);
    INFO(outcome.err);
    REQUIRE(outcome.status == 0);
    CHECK_FALSE(std::filesystem::exists(c.out + "/report.html"));
}
