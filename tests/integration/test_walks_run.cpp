// `shadegap walks` through the binary: every agent's walk against the hand formula of its own
// start, the tables per unit and group and equity.csv against those walks, the same bytes at
// any thread count, the degenerate inputs, and the Walks section of report.html.
// SPDX-License-Identifier: MIT
#include "csv_rows.hpp"
#include "fixtures.hpp"
#include "run_binary.hpp"

#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include <cmath>
#include <fstream>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

namespace {

namespace test = shadegap::test;
using test::number;
using test::row_where;

constexpr double east0 = 500000;
constexpr double north0 = 4100000;

std::string rectangle(double xa, double ya, double xb, double yb) {
    const auto p = [](double x, double y) { return std::to_string(east0 + x) + " " + std::to_string(north0 + y); };
    return "POLYGON((" + p(xa, ya) + "," + p(xb, ya) + "," + p(xb, yb) + "," + p(xa, yb) + "," + p(xa, ya) + "))";
}

std::string point(double x, double y) {
    return "POINT(" + std::to_string(east0 + x) + " " + std::to_string(north0 + y) + ")";
}

std::string line(const std::vector<std::pair<double, double>>& points) {
    std::string text = "LINESTRING(";
    for (std::size_t i = 0; i < points.size(); ++i)
        text += (i ? "," : "") + std::to_string(east0 + points[i].first) + " " + std::to_string(north0 + points[i].second);
    return text + ")";
}

/// walks.csv's row of ranking unit `id` and `group`.
test::CsvRow walks_row(const test::CsvTable& table, const std::string& id, const std::string& group) {
    return test::row_where(table, {{"id", id}, {"group", group}});
}


/// One route of routes.geojson: its properties and its start (start_x, start_y: the raster's CRS,
/// EPSG:32618, at full precision; the GeoJSON's own coordinates have 7 decimals of a degree),
/// in metres from (east0, north0).
struct Route {
    std::string unit;
    std::string group;
    double walk_m = 0;
    double shaded_m = 0;
    double x = 0;
    double y = 0;
};

std::vector<Route> read_routes(const std::string& path) {
    GDALDatasetUniquePtr dataset(GDALDataset::Open(path.c_str(), GDAL_OF_VECTOR));
    REQUIRE(dataset);
    OGRLayer* layer = dataset->GetLayer(0);
    OGRSpatialReference utm;
    utm.importFromEPSG(32618);
    utm.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
    std::vector<Route> routes;
    for (auto& feature : *layer) {
        OGRGeometry* geometry = feature->GetGeometryRef();
        REQUIRE(geometry);
        REQUIRE(geometry->transformTo(&utm) == OGRERR_NONE);
        const OGRLineString* points = geometry->toLineString();
        const double x = feature->GetFieldAsDouble("start_x") - east0;
        const double y = feature->GetFieldAsDouble("start_y") - north0;
        // The line starts at the start, to the GeoJSON's 7 decimals of a degree (GDAL 3.6 also
        // rounds a longitude ending in 9999 up: -74.99999903 is written -75.0, 9 cm here).
        CHECK(points->getX(0) - east0 == Approx(x).margin(0.15));
        CHECK(points->getY(0) - north0 == Approx(y).margin(0.15));
        routes.push_back({feature->GetFieldAsString("unit_id"), feature->GetFieldAsString("group"),
                          feature->GetFieldAsDouble("walk_m"), feature->GetFieldAsDouble("shaded_m"), x, y});
    }
    return routes;
}

/// The city of the tests: a 100 m × 100 m binary canopy raster (UTM 18N) with canopy west of
/// x = 30; one street y = 50 from x = 0 to 100, given in WGS 84; one school 2 m north of it at
/// x = 10, given in NAD83. Census units: E (x 60..100, y 45..55) with 30 people, all of group
/// a; W (x 0..8, y 45..55) with 20 people, all of group b.
struct City {
    test::TempDir dir;
    std::string canopy = dir.file("canopy.tif");
    std::string units = dir.file("units.gpkg");
    std::string streets = dir.file("streets.gpkg");
    std::string destinations = dir.file("destinations.gpkg");
    City() {
        std::vector<double> cells(100 * 100);
        for (int row = 0; row < 100; ++row)
            for (int col = 0; col < 100; ++col) cells[static_cast<std::size_t>(row * 100 + col)] = col < 30 ? 1 : 0;
        test::write_raster(canopy, 100, 100, east0, north0 + 100, 1.0, cells, 32618);
        test::write_layer(units, "GPKG", "units", 32618,
                          {{rectangle(60, 45, 100, 55), {{"GEOID", "E"}}, {{"population", 30}, {"a", 30}, {"b", 0}, {"pctpov", 0.2}}},
                           {rectangle(0, 45, 8, 55), {{"GEOID", "W"}}, {{"population", 20}, {"a", 0}, {"b", 20}, {"pctpov", 0.5}}}});
        test::write_layer(streets, "GPKG", "streets", 4326, {{line({{0, 50}, {100, 50}}), {{"name", "Main"}}, {}}},
                          32618);
        test::write_layer(destinations, "GPKG", "destinations", 4269,
                          {{point(10, 52), {{"kind", "school"}}, {}}, {point(90, 90), {{"kind", "park"}}, {}}}, 32618);
    }
    /// The walks of the tests, with other streets, destinations or kind filter (empty: none).
    std::vector<std::string> args(const std::string& out, const std::string& kind = "kind=school",
                                  const std::string& destinations_path = "", const std::string& streets_path = "") const {
        std::vector<std::string> args = {"walks", "--canopy", canopy, "--units", units, "--unit-id", "GEOID",
                                         "--allow-missing-variables", "--streets",
                                         streets_path.empty() ? streets : streets_path, "--destinations",
                                         destinations_path.empty() ? destinations : destinations_path,
                                         "--equity-group", "a=a", "--equity-group", "b=b", "--agents-per-person",
                                         "0.5", "--routes", "1000", "--out", out};
        if (!kind.empty()) args.insert(args.end(), {"--destination-kind", kind});
        return args;
    }
};

/// An agent starting at (x, y): |y − 50| m onto the street, along it to x = 10, 2 m to the
/// school. Canopy (shade 1) west of x = 30 only.
double walk_of(double x, double y) {
    return std::abs(y - 50) + std::abs(x - 10) + 2;
}
double shaded_of(double x, double y) {
    if (x < 30) return std::abs(y - 50) + std::abs(x - 10) + 2;  // all of W's walks lie in the canopy
    return 20 + 2;  // east agents: the 20 m from x = 30 to x = 10, and the school's 2 m
}

}  // namespace

TEST_CASE("walks: each agent's walk and shade follow from its start, the tables from the walks", "[walks][cli]") {
    City city;
    const std::string out = city.dir.file("out");
    const auto outcome = test::run_binary(SHADEGAP_BINARY, city.args(out));
    INFO(outcome.err);
    REQUIRE(outcome.status == 0);

    // 0.5 agents per person: E 15 agents of everyone and 15 of a; W 10 and 10 of b.
    const auto routes = read_routes(out + "/routes.geojson");
    REQUIRE(routes.size() == 50);
    std::map<std::string, std::pair<double, double>> sums;  // group → (Σ walk, Σ shaded), equal weights per group
    std::map<std::pair<std::string, std::string>, int> counts;
    for (const Route& r : routes) {
        INFO(r.unit << " " << r.group << " start " << r.x << ", " << r.y);
        CHECK(r.walk_m == Approx(walk_of(r.x, r.y)).margin(1e-6));
        CHECK(r.shaded_m == Approx(shaded_of(r.x, r.y)).margin(1e-6));
        CHECK((r.unit == "E" ? r.x >= 60 : r.x <= 8));
        sums[r.group].first += r.walk_m;
        sums[r.group].second += r.shaded_m;
        ++counts[{r.unit, r.group}];
    }
    CHECK(counts[{"E", "everyone"}] == 15);
    CHECK(counts[{"E", "a"}] == 15);
    CHECK(counts[{"W", "everyone"}] == 10);
    CHECK(counts[{"W", "b"}] == 10);

    // walks.csv: each unit's rows from its agents (each stands for 2 people).
    const auto walks = test::read_csv(out + "/walks.csv");
    REQUIRE(walks.header == std::vector<std::string>{"id", "group", "agents", "walk_m", "shaded_m", "walk_shade_pct",
                                                     "share_below_25pct", "no_destination", "people"});
    REQUIRE(walks.rows.size() == 6);
    CHECK(walks.rows[0].at("group") == "everyone");
    double east_walk = 0, east_shaded = 0, east_below = 0;
    for (const Route& r : routes) {
        if (r.unit != "E" || r.group != "everyone") continue;
        east_walk += r.walk_m;
        east_shaded += r.shaded_m;
        east_below += r.shaded_m < 0.25 * r.walk_m ? 1 : 0;  // 22 m of more than 88 m
    }
    const auto e = walks_row(walks, "E", "everyone");
    CHECK(number(e, "agents") == 15);
    CHECK(number(e, "people") == Approx(30).epsilon(1e-12));
    CHECK(number(e, "walk_m") == Approx(east_walk / 15).epsilon(1e-9));
    CHECK(number(e, "shaded_m") == Approx(east_shaded / 15).epsilon(1e-9));
    CHECK(number(e, "walk_shade_pct") == Approx(100 * east_shaded / east_walk).epsilon(1e-9));
    CHECK(number(e, "share_below_25pct") == Approx(east_below / 15).margin(1e-12));
    CHECK(number(e, "no_destination") == 0);
    const auto w = walks_row(walks, "W", "b");
    CHECK(number(w, "walk_shade_pct") == Approx(100).epsilon(1e-9));
    CHECK(number(w, "share_below_25pct") == 0);
    CHECK(number(walks_row(walks, "W", "a"), "agents") == 0);
    CHECK(walks_row(walks, "W", "a").at("walk_m").empty());

    // equity.csv: each group's own agents (a lives in E only, b in W only).
    const auto equity = test::read_csv(out + "/equity.csv");
    std::map<std::string, std::map<std::string, std::string>> by_group;
    for (const auto& row : equity.rows) by_group[row.at("group")] = row;
    const double a_pct = 100 * sums["a"].second / sums["a"].first;
    const double everyone_pct = 100 * (sums["everyone"].second) / (sums["everyone"].first);
    CHECK(number(by_group["a"], "walk_shade_pct") == Approx(a_pct).epsilon(1e-9));
    CHECK(number(by_group["b"], "walk_shade_pct") == Approx(100).epsilon(1e-9));
    CHECK(number(by_group["everyone"], "walk_shade_pct") == Approx(everyone_pct).epsilon(1e-9));
    CHECK(number(by_group["a"], "walk_shade_diff_pct") == Approx(a_pct - everyone_pct).epsilon(1e-9));
    CHECK(number(by_group["b"], "walk_shade_ratio") == Approx(100 / everyone_pct).epsilon(1e-9));
    const std::string disparity = test::read_text(out + "/disparity.csv");
    CHECK(disparity.find("gini,walk_shade,") != std::string::npos);

    const std::string summary = test::read_text(out + "/walks.json");
    CHECK(summary.find("\"filtered_out\": 1") != std::string::npos);  // the park
    CHECK(summary.find("\"components\": 1") != std::string::npos);
}

TEST_CASE("walks: the same bytes at 1 and 2 threads, other bytes with another seed", "[walks][cli]") {
    City city;
    std::map<std::string, std::string> bytes;
    for (const std::string threads : {"1", "2"}) {
        auto args = city.args(city.dir.file("out" + threads));
        args.insert(args.end(), {"--threads", threads, "--sun-aversion", "2"});
        const auto outcome = test::run_binary(SHADEGAP_BINARY, args);
        INFO(outcome.err);
        REQUIRE(outcome.status == 0);
        bytes[threads] = test::read_text(city.dir.file("out" + threads) + "/walks.csv") +
                         test::read_text(city.dir.file("out" + threads) + "/routes.geojson");
    }
    CHECK(bytes["1"] == bytes["2"]);
    auto args = city.args(city.dir.file("seed7"));
    args.insert(args.end(), {"--seed", "7", "--sun-aversion", "2"});
    REQUIRE(test::run_binary(SHADEGAP_BINARY, args).status == 0);
    CHECK(test::read_text(city.dir.file("seed7") + "/walks.csv") + test::read_text(city.dir.file("seed7") + "/routes.geojson") !=
          bytes["1"]);
}

TEST_CASE("walks: agents beyond --max-walk-m are counted, not dropped", "[walks][cli]") {
    City city;
    const std::string out = city.dir.file("out");
    auto args = city.args(out);
    args.insert(args.end(), {"--max-walk-m", "40"});  // E's walks are at least 52 m, W's at most 9
    const auto outcome = test::run_binary(SHADEGAP_BINARY, args);
    INFO(outcome.err);
    REQUIRE(outcome.status == 0);
    const auto walks = test::read_csv(out + "/walks.csv");
    const auto e = walks_row(walks, "E", "everyone");
    CHECK(number(e, "agents") == 15);
    CHECK(number(e, "no_destination") == 15);
    CHECK(e.at("walk_m").empty());
    CHECK(number(walks_row(walks, "W", "everyone"), "no_destination") == 0);
    CHECK(outcome.err.find("15 of 25 agents of everyone (30 of 50 residents) reach no destination within 40 m") !=
          std::string::npos);
}

TEST_CASE("walks: wrong streets and destinations are one-line errors and write nothing", "[walks][cli][bad]") {
    City city;
    const std::string out = city.dir.file("out");
    const auto fails = [&](std::vector<std::string> args, const std::string& message) {
        const auto outcome = test::run_binary(SHADEGAP_BINARY, args);
        INFO(outcome.err);
        test::require_one_line_error(outcome, outcome.status == 2 ? 2 : 1);
        CHECK(outcome.status != 0);
        CHECK(outcome.err.find(message) != std::string::npos);
        CHECK_FALSE(std::filesystem::exists(out));
    };
    const std::string empty = city.dir.file("empty.gpkg");
    test::write_layer(empty, "GPKG", "destinations", 4326, {});
    fails(city.args(out, "", empty), "holds no destination point (0 features)");
    fails(city.args(out, "kind=hospital"), "no destination has kind=hospital (of 2 features)");
    fails(city.args(out, "type=school"), "no field 'type' for --destination-kind (fields: kind)");
    fails(city.args(out, "kind=school", "", city.units), "is a Polygon, not a line");
    fails(city.args(out, "school"), "--destination-kind: expected FIELD=V1,V2,... (e.g. kind=school)");
    const std::string table = city.dir.file("schools.csv");
    {
        std::ofstream csv(table);
        csv << "name,lon,lat\nA,-75,37\n";
    }
    fails(city.args(out, "", table), "layer 'schools' has no geometry (--destinations takes points)");
    auto both = city.args(out);
    both.insert(both.end(), {"--agents", "100"});
    fails(both, "--agents: cannot be combined with --agents-per-person");
    const auto missing = test::run_binary(SHADEGAP_BINARY, {"walks", "--canopy", city.canopy, "--units", city.units,
                                                            "--unit-id", "GEOID", "--out", out});
    test::require_one_line_error(missing, 2);
    CHECK(missing.err.find("--streets: required") != std::string::npos);
    // run does not take the walks flags.
    const auto run = test::run_binary(SHADEGAP_BINARY, {"run", "--streets", city.streets});
    CHECK(run.status == 2);
    CHECK(run.err.find("--streets: unknown option") != std::string::npos);
}

// A destination 200 m from the only street, beyond --max-walk-m 150: it is warned about and
// nobody reaches it; the school still serves the agents.
TEST_CASE("walks: a destination off the network is warned about and reached by nobody", "[walks][cli]") {
    City city;
    const std::string far = city.dir.file("far.gpkg");
    test::write_layer(far, "GPKG", "destinations", 32618,
                      {{point(10, 52), {{"kind", "school"}}, {}}, {point(95, 250), {{"kind", "school"}}, {}}});
    const std::string out = city.dir.file("out");
    auto args = city.args(out, "kind=school", far);
    args.insert(args.end(), {"--max-walk-m", "150"});
    const auto outcome = test::run_binary(SHADEGAP_BINARY, args);
    INFO(outcome.err);
    REQUIRE(outcome.status == 0);
    CHECK(outcome.err.find("1 destinations lie more than 150 m from every street: nobody reaches them") !=
          std::string::npos);
    const std::string summary = test::read_text(out + "/walks.json");
    CHECK(summary.find("\"farther_than_max_walk_from_streets\": 1") != std::string::npos);
    CHECK(summary.find("\"code\": \"walks-destination-off-street\"") != std::string::npos);
    for (const auto& route : read_routes(out + "/routes.geojson"))
        CHECK(route.walk_m == Approx(walk_of(route.x, route.y)).margin(1e-6));  // all to the school
}

namespace {

/// A number as report.html prints it: fixed, `decimals` after the point.
std::string fixed(double value, int decimals) {
    char text[64];
    std::snprintf(text, sizeof text, "%.*f", decimals, value);
    return text;
}

std::size_t count_of(const std::string& text, const std::string& what) {
    std::size_t n = 0;
    for (std::size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + what.size())) ++n;
    return n;
}

}  // namespace

TEST_CASE("walks --report: the Walks section shows walks.json's figures, the map K routes", "[walks][cli][report]") {
    City city;
    const std::string out = city.dir.file("out");
    auto args = city.args(out);
    for (std::size_t i = 0; i + 1 < args.size(); ++i)
        if (args[i] == "--routes") args[i + 1] = "7";
    args.push_back("--report");
    const auto outcome = test::run_binary(SHADEGAP_BINARY, args);
    INFO(outcome.err);
    REQUIRE(outcome.status == 0);
    const std::string html = test::read_text(out + "/report.html");
    const auto summary = nlohmann::json::parse(test::read_text(out + "/walks.json"));

    const auto section = html.find("<h2>Walks</h2>");
    REQUIRE(section != std::string::npos);
    const auto table_end = html.find("</table>", section);
    REQUIRE(table_end != std::string::npos);
    const std::string table = html.substr(section, table_end - section);
    std::map<std::string, double> pct;
    REQUIRE(summary.at("groups").size() == 3);
    for (const auto& g : summary.at("groups")) {
        const std::string group = g.at("group").get<std::string>();
        pct[group] = g.at("walk_shade_pct").get<double>();
        // group, agents, people, mean walk, mean shaded, % in shade, % under 25 %, without destination
        const std::string row = "<tr><td>" + group + "</td><td>" + std::to_string(g.at("agents").get<long>()) +
                                "</td><td>" + fixed(g.at("people").get<double>(), 0) + "</td><td>" +
                                fixed(g.at("walk_m").get<double>(), 0) + "</td><td>" +
                                fixed(g.at("shaded_m").get<double>(), 0) + "</td><td>" + fixed(pct[group], 1) +
                                "</td><td>" + fixed(100 * g.at("share_below_25pct").get<double>(), 1) + "</td><td>" +
                                std::to_string(g.at("no_destination").get<long>()) + "</td></tr>";
        INFO(row);
        CHECK(table.find(row) != std::string::npos);
    }
    CHECK(pct["b"] == Approx(100).epsilon(1e-9));  // W's walks lie all in the canopy
    // a (east, mostly in the sun) walks in less shade than everyone, b in more.
    REQUIRE(pct["a"] < pct["everyone"]);
    CHECK(html.find("<li>People in group a walk with " + fixed(std::round((pct["everyone"] - pct["a"]) * 10) / 10, 1) +
                    " points less of the way in shade than everyone.</li>") != std::string::npos);
    CHECK(html.find("<li>People in group b walk with " + fixed(std::round((100 - pct["everyone"]) * 10) / 10, 1) +
                    " points more of the way in shade than everyone.</li>") != std::string::npos);

    // The routes layer: routes.geojson as written, its 7 features.
    const std::string routes = test::read_text(out + "/routes.geojson");
    CHECK(count_of(routes, "\"type\": \"Feature\"") == 7);
    const std::string open = "<script type=\"application/json\" id=\"shadegap-routes\">";
    const auto start = html.find(open);
    REQUIRE(start != std::string::npos);
    const std::string embedded = html.substr(start + open.size(), html.find("</script>", start) - start - open.size());
    CHECK(count_of(embedded, "\"type\": \"Feature\"") == 7);
    CHECK(embedded == routes);
}
