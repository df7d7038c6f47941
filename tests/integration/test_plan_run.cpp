// `shadegap plan` through the binary against a plan worked out by hand: where the sites may
// go, the canopy the crowns add, the scores with them, budget and survival, equity now and
// with the plan, and bad plan options.
// SPDX-License-Identifier: MIT
#include "csv_rows.hpp"
#include "fixtures.hpp"
#include "run_binary.hpp"

#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace {

namespace test = shadegap::test;
using test::number;
using test::row_where;

constexpr double east0 = 500000;
constexpr double north0 = 4100000;
constexpr double crown = 55.74;

std::string rectangle(double xa, double ya, double xb, double yb) {
    const auto p = [](double x, double y) { return std::to_string(east0 + x) + " " + std::to_string(north0 + y); };
    return "POLYGON((" + p(xa, ya) + "," + p(xb, ya) + "," + p(xb, yb) + "," + p(xa, yb) + "," + p(xa, ya) + "))";
}



/// A 120 m × 40 m land cover of 1 m cells (UTM 18N): road (6) everywhere but a 20 m × 20 m
/// patch of grass (2) at x 80..100, y 10..30. Census units A (x 0..60, 100 people) and
/// B (x 60..120, 200 people); model canopy-gap, one canopy cell (in A, far from the grass).
/// Both units are denser than 8,000/km², so the goal is 0.40 × 0.5 = 0.2: A's gap is
/// 0.2 − 1/2400, B's 0.2 (gap_max); the population is min-max normalised: priority 0 for A,
/// 1 for B. Every tree goes to B, on
/// its grass; with --spacing 9 the crowns (radius 4.21 m) neither overlap nor leave B.
struct Lot {
    test::TempDir dir;
    std::string landcover = dir.file("landcover.tif");
    std::string units = dir.file("units.gpkg");
    Lot() {
        std::vector<double> cells(120 * 40, 6.0);
        for (int row = 0; row < 40; ++row)
            for (int col = 0; col < 120; ++col) {
                const double y = 39.5 - row;
                if (col >= 80 && col < 100 && y > 10 && y < 30) cells[static_cast<std::size_t>(row * 120 + col)] = 2;
            }
        cells[static_cast<std::size_t>(4 * 120 + 5)] = 1;  // one canopy cell in A, at (5.5, 35.5)
        test::write_raster(landcover, 120, 40, east0, north0 + 40, 1.0, cells, 32618);
        test::write_layer(units, "GPKG", "units", 32618,
                          {{rectangle(0, 0, 60, 40), {{"GEOID", "A"}}, {{"population", 100}}},
                           {rectangle(60, 0, 120, 40), {{"GEOID", "B"}}, {{"population", 200}}}});
    }
    std::vector<std::string> args(const std::string& out, const std::vector<std::string>& extra) const {
        std::vector<std::string> args = {"plan", "--canopy", landcover, "--canopy-kind", "classes=1",
                                         "--landcover", landcover, "--plantable-classes", "2,3",
                                         "--units", units, "--unit-id", "GEOID", "--model", "canopy-gap",
                                         "--spacing", "9", "--out", out};
        args.insert(args.end(), extra.begin(), extra.end());
        return args;
    }
};

double value_at(const std::string& raster, double x, double y) {
    GDALDatasetUniquePtr dataset(GDALDataset::Open(raster.c_str(), GDAL_OF_RASTER));
    double transform[6];
    dataset->GetGeoTransform(transform);
    const int col = static_cast<int>(std::floor((x - transform[0]) / transform[1]));
    const int row = static_cast<int>(std::floor((y - transform[3]) / transform[5]));
    double value = -1;
    REQUIRE(dataset->GetRasterBand(1)->RasterIO(GF_Read, col, row, 1, 1, &value, 1, 1, GDT_Float64, 0, 0) == CE_None);
    return value;
}

}  // namespace

TEST_CASE("plan: three trees on B's grass add three crowns of canopy and the score follows", "[plan][cli]") {
    Lot lot;
    const std::string out = lot.dir.file("out");
    const auto outcome = test::run_binary(SHADEGAP_BINARY, lot.args(out, {"--trees", "3", "--cost-per-tree", "450"}));
    INFO(outcome.err);
    REQUIRE(outcome.status == 0);

    const auto plan = test::read_csv(out + "/plan.csv");
    const auto a = row_where(plan, "id", "A");
    const auto b = row_where(plan, "id", "B");
    CHECK(number(a, "trees") == 0);  // priority 0: worth nothing
    CHECK(number(b, "trees") == 3);
    CHECK(number(b, "cost") == Approx(1350));
    CHECK(number(b, "plantable_m2") == Approx(400).epsilon(1e-9));
    CHECK(number(a, "plantable_m2") == Approx(0).margin(1e-9));
    CHECK(number(b, "canopy_pct_now") == Approx(0).margin(1e-12));
    CHECK(number(b, "planted_m2") == Approx(3 * crown).epsilon(1e-9));
    const double canopy_plan = 3 * crown / 2400;
    CHECK(number(b, "canopy_pct_plan") == Approx(100 * canopy_plan).epsilon(1e-9));
    CHECK(number(b, "score_now") == 0);
    // After: B's gap 0.2 − canopy_plan; A's 0.2 − 1/2400 is now the largest (gap_max);
    // score = floor(100 (1 − gap / gap_max · priority)).
    const double a_gap = 0.2 - 1.0 / 2400;
    CHECK(number(b, "score_plan") == std::floor(100 * (1 - (0.2 - canopy_plan) / a_gap)));
    CHECK(number(a, "score_plan") == number(a, "score_now"));
    // The sites fit: a 20 m square holds at most 9 points 9 m apart.
    CHECK(number(b, "sites") >= 3);
    CHECK(number(b, "sites") <= 9);

    // sites.geojson: three planted sites on grass in B, 9 m apart, in planting order.
    GDALDatasetUniquePtr sites(GDALDataset::Open((out + "/sites.geojson").c_str(), GDAL_OF_VECTOR));
    REQUIRE(sites);
    std::vector<std::pair<double, double>> points;
    int order = 0;
    for (auto& feature : *sites->GetLayer(0)) {
        CHECK(feature->GetFieldAsInteger("order") == ++order);
        CHECK(std::string(feature->GetFieldAsString("unit_id")) == "B");
        const double x = feature->GetFieldAsDouble("x");
        const double y = feature->GetFieldAsDouble("y");
        CHECK(value_at(lot.landcover, x, y) == 2);
        points.emplace_back(x, y);
    }
    REQUIRE(points.size() == 3);
    for (std::size_t i = 0; i < points.size(); ++i)
        for (std::size_t j = i + 1; j < points.size(); ++j)
            CHECK(std::hypot(points[i].first - points[j].first, points[i].second - points[j].second) >= 9);
    const std::string summary = test::read_text(out + "/plan.json");
    CHECK(summary.find("\"planted\": 3") != std::string::npos);
}

// The same plan under the Tree Equity Score: with poverty the only variable (A 0.2, B 0.5),
// min-max normalised, priority = 0.1 + 0.9 N: A 0.1, B 1. A's tree is worth
// 0.1 · 100 · 55.74 / 2400, B's 1 · 200 · 55.74 / 2400: all three go to B. Goals and gaps as
// above; score = floor(100 (1 − gap / gap_max · priority)), gap_max A's 0.2 − 1/2400 after.
TEST_CASE("plan: the re-run score follows the Tree Equity Score by hand", "[plan][cli]") {
    Lot lot;
    test::write_layer(lot.units, "GPKG", "units", 32618,
                      {{rectangle(0, 0, 60, 40), {{"GEOID", "A"}}, {{"population", 100}, {"pctpov", 0.2}}},
                       {rectangle(60, 0, 120, 40), {{"GEOID", "B"}}, {{"population", 200}, {"pctpov", 0.5}}}});
    const std::string out = lot.dir.file("out");
    auto args = lot.args(out, {"--trees", "3", "--allow-missing-variables"});
    for (std::size_t i = 0; i + 1 < args.size(); ++i)
        if (args[i] == "--model") args[i + 1] = "tree-equity";
    const auto outcome = test::run_binary(SHADEGAP_BINARY, args);
    INFO(outcome.err);
    REQUIRE(outcome.status == 0);
    const auto plan = test::read_csv(out + "/plan.csv");
    const auto a = row_where(plan, "id", "A");
    const auto b = row_where(plan, "id", "B");
    CHECK(number(a, "priority") == Approx(0.1).epsilon(1e-12));
    CHECK(number(b, "priority") == Approx(1).epsilon(1e-12));
    CHECK(number(b, "trees") == 3);
    const double canopy_plan = 3 * crown / 2400;
    const double a_gap = 0.2 - 1.0 / 2400;
    CHECK(number(b, "score_now") == std::floor(100 * (1 - 0.2 / 0.2 * 1)));
    CHECK(number(a, "score_now") == std::floor(100 * (1 - a_gap / 0.2 * 0.1)));
    CHECK(number(b, "score_plan") == std::floor(100 * (1 - (0.2 - canopy_plan) / a_gap * 1)));
    CHECK(number(a, "score_plan") == std::floor(100 * (1 - a_gap / a_gap * 0.1)));
}

TEST_CASE("plan: a budget, survival over the years, and the groups' canopy now and with the plan", "[plan][cli]") {
    Lot lot;
    const std::string out = lot.dir.file("out");
    const auto outcome = test::run_binary(
        SHADEGAP_BINARY, lot.args(out, {"--budget", "1000", "--cost-per-tree", "300", "--years", "2", "--survival",
                                        "0.9", "--equity-group", "all=population"}));
    INFO(outcome.err);
    REQUIRE(outcome.status == 0);
    const auto plan = test::read_csv(out + "/plan.csv");
    const auto b = row_where(plan, "id", "B");
    CHECK(number(b, "trees") == 3);  // ⌊1000 / 300⌋
    CHECK(number(b, "planted_m2") == Approx(3 * crown * 0.81).epsilon(1e-9));
    const auto equity = test::read_csv(out + "/equity.csv");
    REQUIRE(equity.header.front() == "scenario");
    std::map<std::string, double> everyone;
    for (const auto& row : equity.rows)
        if (row.at("group") == "everyone") everyone[row.at("scenario")] = number(row, "canopy_pct");
    CHECK(everyone.at("now") == Approx(100 * (100 * 1.0 / 2400) / 300).epsilon(1e-9));
    CHECK(everyone.at("plan") == Approx(100 * (100 * 1.0 / 2400 + 200 * 3 * crown * 0.81 / 2400) / 300).epsilon(1e-9));
}

TEST_CASE("plan: trees beyond what closes the gaps are left and said", "[plan][cli]") {
    Lot lot;
    const std::string out = lot.dir.file("out");
    const auto outcome = test::run_binary(SHADEGAP_BINARY, lot.args(out, {"--trees", "100"}));
    INFO(outcome.err);
    REQUIRE(outcome.status == 0);
    const auto b = row_where(test::read_csv(out + "/plan.csv"), "id", "B");
    // B's gap takes 0.2 · 2400 / 55.74 = 8.6 crowns: 9 trees, if its sites hold them.
    CHECK(number(b, "trees") == std::min(9.0, number(b, "sites")));
    CHECK(outcome.err.find("of 100 trees planted") != std::string::npos);
    // The library names the option by its key ("trees"); the command line shows its flag.
    CHECK(outcome.err.find("shadegap: warning: --trees: ") != std::string::npos);
}

// A canopy raster of heights (canopy where at least 2 m) beside a land cover of classes on
// its grid: the land cover says where trees may go, the heights where canopy is. A 5 m tree
// stands on grass at the centre of B's patch (90.5, 20.5): no site within the crown radius
// r of that cell (its nearest point), and the tree's cell counts as canopy now.
TEST_CASE("plan: a land cover beside a canopy height raster", "[plan][cli]") {
    Lot lot;
    std::vector<double> heights(4800, 0.0);
    heights[static_cast<std::size_t>(19 * 120 + 90)] = 5;  // row 19: y 20..21; column 90: x 90..91
    const std::string canopy = lot.dir.file("canopy_height.tif");
    test::write_raster(canopy, 120, 40, east0, north0 + 40, 1.0, heights, 32618, GDT_Float32);
    const std::string out = lot.dir.file("out");
    auto args = lot.args(out, {"--trees", "40"});
    for (std::size_t i = 0; i + 1 < args.size(); ++i) {
        if (args[i] == "--canopy") args[i + 1] = canopy;
        if (args[i] == "--canopy-kind") args[i + 1] = "min=2";
        if (args[i] == "--spacing") args[i + 1] = "5";
    }
    const auto outcome = test::run_binary(SHADEGAP_BINARY, args);
    INFO(outcome.err);
    REQUIRE(outcome.status == 0);
    const auto b = row_where(test::read_csv(out + "/plan.csv"), "id", "B");
    CHECK(number(b, "plantable_m2") == Approx(400).epsilon(1e-9));  // the land cover's grass
    CHECK(number(b, "canopy_pct_now") == Approx(100.0 / 2400).epsilon(1e-9));  // the heights' one tree
    const double r = std::sqrt(crown / 3.14159265358979323846);
    GDALDatasetUniquePtr sites(GDALDataset::Open((out + "/sites.geojson").c_str(), GDAL_OF_VECTOR));
    REQUIRE(sites);
    int count = 0;
    for (auto& feature : *sites->GetLayer(0)) {
        const double x = feature->GetFieldAsDouble("x") - east0, y = feature->GetFieldAsDouble("y") - north0;
        const double dx = std::max({0.0, 90 - x, x - 91}), dy = std::max({0.0, 20 - y, y - 21});
        CHECK(std::hypot(dx, dy) >= r - 1e-9);
        CHECK(value_at(lot.landcover, x + east0, y + north0) == 2);
        ++count;
    }
    CHECK(count == number(b, "trees"));
    CHECK(count > 0);
}

TEST_CASE("plan: bad plan options are one-line errors", "[plan][cli][bad]") {
    Lot lot;
    const std::string out = lot.dir.file("out");
    const auto fails = [&](const std::vector<std::string>& extra, int status, const std::string& message) {
        const auto outcome = test::run_binary(SHADEGAP_BINARY, lot.args(out, extra));
        INFO(outcome.err);
        test::require_one_line_error(outcome, status);
        CHECK(outcome.err.find(message) != std::string::npos);
        CHECK_FALSE(std::filesystem::exists(out));
    };
    fails({}, 2, "--trees: required; give --trees N, or --budget AMOUNT with --cost-per-tree AMOUNT");
    fails({"--trees", "3", "--budget", "100", "--cost-per-tree", "1"}, 2, "--trees: cannot be combined with --budget");
    fails({"--budget", "100"}, 2, "--budget: needs --cost-per-tree");
    fails({"--trees", "3", "--survival", "1.5"}, 2, "--survival: expected a share of trees alive after a year");
    // A class the land cover does not hold (22 for 2): an error, not a plan of no trees.
    auto typo = lot.args(out, {"--trees", "3"});
    for (std::size_t i = 0; i + 1 < typo.size(); ++i)
        if (typo[i] == "--plantable-classes") typo[i + 1] = "22";
    const auto none = test::run_binary(SHADEGAP_BINARY, typo);
    test::require_one_line_error(none, 1);
    CHECK(none.err.find(lot.landcover + ": has no cell of the plantable classes 22 in any ranking unit") !=
          std::string::npos);
    CHECK_FALSE(std::filesystem::exists(out));
    // A land cover off the canopy raster's grid (shifted by a cell).
    const std::string other = lot.dir.file("other.tif");
    test::write_raster(other, 120, 40, east0 + 1, north0 + 40, 1.0, std::vector<double>(4800, 2.0), 32618);
    auto args = lot.args(out, {"--trees", "3"});
    for (std::size_t i = 0; i + 1 < args.size(); ++i)
        if (args[i] == "--landcover") args[i + 1] = other;
    const auto outcome = test::run_binary(SHADEGAP_BINARY, args);
    test::require_one_line_error(outcome, 1);
    CHECK(outcome.err.find(other + ": its grid") != std::string::npos);
}

// The shade with the planted trees against the same made independently: the test raises
// the canopy heights to 10 m in the cells whose centre lies within the crown radius of each
// site of sites.geojson, casts the same noon with `shadegap shade`, and runs `shadegap run`
// on it: B's shade_pct there is plan.csv's shade_pct_plan.
TEST_CASE("plan --shade: the trees' shadows as an independent shade run gives them", "[plan][cli][shade]") {
    Lot lot;
    const std::string buildings = lot.dir.file("buildings.tif"), heights = lot.dir.file("canopy_height.tif");
    test::write_raster(buildings, 120, 40, east0, north0 + 40, 1.0, std::vector<double>(4800, 0.0), 32618, GDT_Float32);
    test::write_raster(heights, 120, 40, east0, north0 + 40, 1.0, std::vector<double>(4800, 0.0), 32618, GDT_Float32);
    const auto shade = [&](const std::string& canopy_height, const std::string& out) {
        const auto outcome = test::run_binary(SHADEGAP_BINARY, {"shade", "--buildings", buildings, "--canopy-height",
                                                                canopy_height, "--date", "2026-07-15", "--time",
                                                                "09:00-15:00", "--step", "120", "--tz",
                                                                "America/New_York", "--out", out});
        INFO(outcome.err);
        REQUIRE(outcome.status == 0);
    };
    const std::string now = lot.dir.file("shade.tif");
    shade(heights, now);
    const std::string out = lot.dir.file("out");
    const auto outcome = test::run_binary(SHADEGAP_BINARY, lot.args(out, {"--trees", "3", "--shade", now}));
    INFO(outcome.err);
    REQUIRE(outcome.status == 0);
    const auto b = row_where(test::read_csv(out + "/plan.csv"), "id", "B");

    // The planted heights, made here.
    std::vector<double> raised(4800, 0.0);
    const double r = std::sqrt(crown / 3.14159265358979323846);
    GDALDatasetUniquePtr sites(GDALDataset::Open((out + "/sites.geojson").c_str(), GDAL_OF_VECTOR));
    REQUIRE(sites);
    for (auto& feature : *sites->GetLayer(0)) {
        const double x = feature->GetFieldAsDouble("x") - east0, y = feature->GetFieldAsDouble("y") - north0;
        for (int row = 0; row < 40; ++row)
            for (int col = 0; col < 120; ++col)
                if (std::hypot(col + 0.5 - x, 39.5 - row - y) <= r) raised[static_cast<std::size_t>(row * 120 + col)] = 10;
    }
    const std::string planted_heights = lot.dir.file("canopy_height_plan.tif");
    test::write_raster(planted_heights, 120, 40, east0, north0 + 40, 1.0, raised, 32618, GDT_Float32);
    const std::string with_trees = lot.dir.file("shade_plan.tif");
    shade(planted_heights, with_trees);
    const std::string check = lot.dir.file("check");
    const auto run = test::run_binary(SHADEGAP_BINARY, {"run", "--canopy", lot.landcover, "--canopy-kind", "classes=1",
                                                        "--units", lot.units, "--unit-id", "GEOID", "--model",
                                                        "canopy-gap", "--shade", with_trees, "--out", check});
    INFO(run.err);
    REQUIRE(run.status == 0);
    const auto independent = row_where(test::read_csv(check + "/priority.csv"), "id", "B");
    CHECK(number(b, "shade_pct_plan") == Approx(number(independent, "shade_pct")).epsilon(1e-9));
    CHECK(number(b, "shade_pct_plan") > number(b, "shade_pct_now") + 1);  // three trees' crowns and shadows
}

namespace {

/// The text between the first `begin` and the next `end`.
std::string between(const std::string& text, const std::string& begin, const std::string& end) {
    const auto from = text.find(begin);
    REQUIRE(from != std::string::npos);
    const auto to = text.find(end, from + begin.size());
    REQUIRE(to != std::string::npos);
    return text.substr(from + begin.size(), to - from - begin.size());
}

/// JSON embedded by the report, its <, > and & escapes undone by the parser.
nlohmann::json embedded(const std::string& html, const std::string& id) {
    return nlohmann::json::parse(between(html, "<script type=\"application/json\" id=\"" + id + "\">", "</script>"));
}

}  // namespace

TEST_CASE("plan --report --format gpkg: the plan in report.html, sites and units in plan.gpkg", "[plan][cli][report]") {
    Lot lot;
    const std::string out = lot.dir.file("out");
    const auto outcome = test::run_binary(SHADEGAP_BINARY, lot.args(out, {"--trees", "3", "--report", "--format", "gpkg"}));
    INFO(outcome.err);
    REQUIRE(outcome.status == 0);
    const nlohmann::json sites = nlohmann::json::parse(test::read_text(out + "/sites.geojson"));
    REQUIRE(sites.at("features").size() == 3);

    // report.html: B's row of the plan table (name: the id; 3 trees, canopy 0.0 now; B ranks
    // first), the totals, the two simple rules as plan.json has them, and the sites as written.
    const std::string html = test::read_text(out + "/report.html");
    const auto b = row_where(test::read_csv(out + "/plan.csv"), "id", "B");
    const std::string plan_table = between(html, "<table id=\"plan\">", "</table>");
    CHECK(plan_table.find("<tr><td>B</td><td>B</td><td>3</td><td>0.0</td>") != std::string::npos);
    CHECK(plan_table.find("<tr><td>B</td>") < plan_table.find("<tr><td>A</td>"));
    char canopy_plan[32];
    std::snprintf(canopy_plan, sizeof canopy_plan, "<td>%.1f</td>", number(b, "canopy_pct_plan"));
    CHECK(plan_table.find(std::string("<td>3</td><td>0.0</td>") + canopy_plan) != std::string::npos);
    CHECK(html.find("<p id=\"plan-totals\">3 of 3 trees planted.") != std::string::npos);
    const nlohmann::json comparison = nlohmann::json::parse(test::read_text(out + "/plan.json")).at("comparison");
    for (const auto& [rule, words] : std::map<std::string, std::string>{
             {"plan", "This plan"}, {"by_rank", "By rank alone"}, {"in_proportion_to_gap", "In proportion to the gap"}}) {
        const auto& c = comparison.at(rule);
        char row[200];
        std::snprintf(row, sizeof row, "<tr><td>%s</td><td>%lld</td><td>%.2f</td><td>%.0f</td><td>%.1f</td></tr>",
                      words.c_str(), static_cast<long long>(c.at("trees").get<std::int64_t>()),
                      c.at("objective").get<double>(), c.at("people_reached").get<double>(),
                      c.at("people_canopy_points").get<double>());
        INFO(rule);
        CHECK(html.find(row) != std::string::npos);
    }
    CHECK(html.find("id=\"plan-comparison-words\">With the same 3 trees") != std::string::npos);
    CHECK(embedded(html, "shadegap-sites") == sites);

    // plan.gpkg: the sites as points with the x, y of sites.geojson; the units with plan.csv's
    // columns; a default style for each.
    GDALAllRegister();
    GDALDatasetUniquePtr gpkg(GDALDataset::Open((out + "/plan.gpkg").c_str(), GDAL_OF_VECTOR));
    REQUIRE(gpkg);
    OGRLayer* points = gpkg->GetLayerByName("sites");
    REQUIRE(points != nullptr);
    CHECK(wkbFlatten(points->GetGeomType()) == wkbPoint);
    REQUIRE(points->GetFeatureCount() == 3);
    points->ResetReading();
    for (const auto& feature : sites.at("features")) {
        std::unique_ptr<OGRFeature> row(points->GetNextFeature());
        REQUIRE(row);
        const auto& p = feature.at("properties");
        CHECK(row->GetFieldAsDouble("x") == p.at("x").get<double>());
        CHECK(row->GetFieldAsDouble("y") == p.at("y").get<double>());
        CHECK(row->GetFieldAsInteger64("order") == p.at("order").get<std::int64_t>());
        CHECK(std::string(row->GetFieldAsString("unit_id")) == "B");
        const auto* point = row->GetGeometryRef()->toPoint();
        CHECK(point->getX() == p.at("x").get<double>());
        CHECK(point->getY() == p.at("y").get<double>());
    }
    OGRLayer* units = gpkg->GetLayerByName("plan");
    REQUIRE(units != nullptr);
    CHECK(wkbFlatten(units->GetGeomType()) == wkbMultiPolygon);
    REQUIRE(units->GetFeatureCount() == 2);
    std::map<std::string, std::int64_t> trees;
    units->ResetReading();
    for (std::unique_ptr<OGRFeature> row(units->GetNextFeature()); row; row.reset(units->GetNextFeature())) {
        trees[row->GetFieldAsString("id")] = row->GetFieldAsInteger64("trees");
        CHECK(row->GetGeometryRef()->toMultiPolygon()->get_Area() == Approx(60 * 40));
        CHECK(row->GetFieldIndex("canopy_pct_plan") >= 0);
    }
    CHECK(trees == std::map<std::string, std::int64_t>{{"A", 0}, {"B", 3}});
    OGRLayer* styles = gpkg->GetLayerByName("layer_styles");
    REQUIRE(styles != nullptr);
    std::map<std::string, std::string> qml;
    styles->ResetReading();
    for (std::unique_ptr<OGRFeature> row(styles->GetNextFeature()); row; row.reset(styles->GetNextFeature())) {
        CHECK(row->GetFieldAsInteger("useAsDefault") == 1);
        qml[row->GetFieldAsString("f_table_name")] = row->GetFieldAsString("styleQML");
    }
    REQUIRE(qml.size() == 2);
    CHECK(qml.at("sites").find("class=\"SimpleMarker\"") != std::string::npos);
    CHECK(qml.at("plan").find("attr=\"canopy_pct_plan\"") != std::string::npos);
    gpkg.reset();
    CHECK(std::filesystem::exists(out + "/priority.gpkg"));
    CHECK(test::read_text(out + "/run.json").find(out + "/plan.gpkg") != std::string::npos);

    // The same bytes on a second run.
    const std::string again = lot.dir.file("again");
    const auto second = test::run_binary(SHADEGAP_BINARY, lot.args(again, {"--trees", "3", "--report", "--format", "gpkg"}));
    REQUIRE(second.status == 0);
    CHECK(test::read_text(again + "/plan.gpkg") == test::read_text(out + "/plan.gpkg"));
}
