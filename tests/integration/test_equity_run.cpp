// `run --equity-group`: equity.csv and disparity.csv through the binary, against values
// worked out by hand (the five-unit example of the equity issue).
// SPDX-License-Identifier: MIT
#include "csv_rows.hpp"
#include "fixtures.hpp"
#include "run_binary.hpp"

#include <catch2/catch.hpp>

#include <fstream>
#include <map>
#include <string>
#include <vector>

namespace {

namespace test = shadegap::test;
using test::number;
using test::row_where;

constexpr double origin_x = 500000;
constexpr double origin_y = 4100000;

/// Five census units, one 20 m × 1 m row each, over a binary raster of 1 m cells whose row k
/// has canopy in its first 2, 3, 5, 8, 7 cells: canopy 0.10, 0.15, 0.25, 0.40, 0.35.
/// Populations 1000, 2000, 1500, 500, 1000; people of colour 800, 1400, 600, 100, 150; the
/// others (white here) the rest; median income 20, 35, 50, 80, 120 k$.
struct FiveUnits {
    test::TempDir dir;
    std::string raster = dir.file("canopy.tif");
    std::string units = dir.file("units.gpkg");
    std::string out = dir.file("out");

    FiveUnits() {
        const int canopy_cells[] = {2, 3, 5, 8, 7};
        std::vector<double> values;
        for (int row = 0; row < 5; ++row)  // row 0 is the top: unit U1 lies at the top
            for (int col = 0; col < 20; ++col) values.push_back(col < canopy_cells[row] ? 1 : 0);
        test::write_raster(raster, 20, 5, origin_x, origin_y + 5, 1.0, values, 32618);
        const double population[] = {1000, 2000, 1500, 500, 1000};
        const double poc[] = {800, 1400, 600, 100, 150};
        const double income[] = {20, 35, 50, 80, 120};
        std::vector<test::TestFeature> features;
        for (int k = 0; k < 5; ++k) {
            const double top = origin_y + 5 - k;
            const std::string wkt = "POLYGON((" + std::to_string(origin_x) + " " + std::to_string(top - 1) + "," +
                                    std::to_string(origin_x + 20) + " " + std::to_string(top - 1) + "," +
                                    std::to_string(origin_x + 20) + " " + std::to_string(top) + "," + std::to_string(origin_x) +
                                    " " + std::to_string(top) + "," + std::to_string(origin_x) + " " +
                                    std::to_string(top - 1) + "))";
            features.push_back({wkt,
                                {{"GEOID", "U" + std::to_string(k + 1)}},
                                {{"population", population[k]},
                                 {"poc", poc[k]},
                                 {"poc_moe", 0.2 * poc[k]},
                                 {"white", population[k] - poc[k]},
                                 {"poc_share", poc[k] / population[k]},
                                 {"overcount", population[k] + (k == 0 ? 50 : 0)},
                                 {"income", income[k]}}});
        }
        test::write_layer(units, "GPKG", "units", 32618, features);
    }

    std::vector<std::string> args(const std::vector<std::string>& extra) const {
        std::vector<std::string> a = {"run", "--canopy", raster, "--units", units, "--unit-id", "GEOID",
                                      "--model", "canopy-gap", "--out", out, "--threads", "1"};
        a.insert(a.end(), extra.begin(), extra.end());
        return a;
    }
};



}  // namespace

// By hand: everyone's canopy μ = Σ n x / Σ n = 1325 / 6000 = 0.2208333; people of colour
// (800·0.10 + 1400·0.15 + 600·0.25 + 100·0.40 + 150·0.35) / 3050 = 532.5 / 3050 = 0.1745902;
// the others 792.5 / 2950 = 0.2686441. The goal of canopy-gap at these densities (over
// 8,000 people/km²) is 0.40 × 0.5 = 0.20: U1 and U2 are below it, so below_goal_share is
// 3000/6000 for everyone, 2200/3050 for people of colour, 800/2950 for the others.
// Concentration by income (fractional ranks 1/12, 1/3, 29/48, 19/24, 11/12): CI 0.2405660,
// Erreygers 4μ·CI = 0.2125, Wagstaff CI/(1 − μ) = 0.3087479; dissimilarity 0.450125.
TEST_CASE("equity.csv and disparity.csv of five units worked out by hand", "[equity][cli]") {
    FiveUnits c;
    const auto outcome = test::run_binary(SHADEGAP_BINARY, c.args({"--equity-group", "poc=poc", "--equity-group",
                                                                   "white=white", "--rank-by", "income"}));
    INFO(outcome.err);
    REQUIRE(outcome.status == 0);

    const auto equity = test::read_csv(c.out + "/equity.csv");
    REQUIRE(equity.header == std::vector<std::string>{"group", "population", "canopy_pct", "shade_pct", "heat_c",
                                                      "walk_shade_pct", "below_goal_share", "canopy_diff_pct",
                                                      "canopy_ratio", "shade_diff_pct", "shade_ratio",
                                                      "walk_shade_diff_pct", "walk_shade_ratio"});
    REQUIRE(equity.rows.size() == 3);
    CHECK(equity.rows[0].at("group") == "everyone");
    const auto everyone = row_where(equity, "group", "everyone");
    const auto poc = row_where(equity, "group", "poc");
    const auto white = row_where(equity, "group", "white");
    CHECK(number(everyone, "population") == 6000);
    CHECK(number(poc, "population") == 3050);
    CHECK(number(everyone, "canopy_pct") == Approx(100 * 1325.0 / 6000).epsilon(1e-12));
    CHECK(number(poc, "canopy_pct") == Approx(100 * 532.5 / 3050).epsilon(1e-12));
    CHECK(number(white, "canopy_pct") == Approx(100 * 792.5 / 2950).epsilon(1e-12));
    CHECK(number(poc, "canopy_pct") == Approx(17.45902).margin(1e-5));
    CHECK(number(white, "canopy_pct") == Approx(26.86441).margin(1e-5));
    CHECK(number(poc, "canopy_diff_pct") == Approx(100 * (532.5 / 3050 - 1325.0 / 6000)).epsilon(1e-12));
    CHECK(number(poc, "canopy_ratio") == Approx((532.5 / 3050) / (1325.0 / 6000)).epsilon(1e-12));
    CHECK(number(everyone, "canopy_diff_pct") == Approx(0).margin(1e-12));
    CHECK(number(everyone, "below_goal_share") == Approx(0.5).epsilon(1e-12));
    CHECK(number(poc, "below_goal_share") == Approx(2200.0 / 3050).epsilon(1e-12));
    CHECK(number(white, "below_goal_share") == Approx(800.0 / 2950).epsilon(1e-12));
    for (const char* empty : {"shade_pct", "heat_c", "walk_shade_pct", "shade_diff_pct", "shade_ratio",
                              "walk_shade_diff_pct", "walk_shade_ratio"})
        CHECK(everyone.at(empty).empty());

    const auto disparity = test::read_csv(c.out + "/disparity.csv");
    REQUIRE(disparity.header == std::vector<std::string>{"measure", "exposure", "value", "low", "high"});
    const auto value = [&](const std::string& measure, const std::string& exposure) {
        for (const auto& row : disparity.rows)
            if (row.at("measure") == measure && row.at("exposure") == exposure) return number(row, "value");
        FAIL("no " << measure << " of " << exposure);
        return 0.0;
    };
    CHECK(value("concentration_index", "canopy") == Approx(0.2405660).margin(1e-7));
    CHECK(value("erreygers", "canopy") == Approx(0.2125).margin(1e-7));
    CHECK(value("wagstaff", "canopy") == Approx(0.3087479).margin(1e-7));
    CHECK(value("dissimilarity", "poc|white") == Approx(0.450125).margin(1e-7));
    for (const auto& row : disparity.rows) {
        CHECK(row.at("low").empty());
        CHECK(row.at("high").empty());
    }

    // With white as the reference, white's differences are 0 and poc's are against white.
    const auto again = test::run_binary(SHADEGAP_BINARY, c.args({"--equity-group", "poc=poc", "--equity-group",
                                                                 "white=white", "--reference", "white", "--overwrite"}));
    REQUIRE(again.status == 0);
    const auto by_white = test::read_csv(c.out + "/equity.csv");
    CHECK(number(row_where(by_white, "group", "white"), "canopy_diff_pct") == Approx(0).margin(1e-12));
    CHECK(number(row_where(by_white, "group", "poc"), "canopy_diff_pct") ==
          Approx(100 * (532.5 / 3050 - 792.5 / 2950)).epsilon(1e-12));
    // Without --rank-by there is no concentration index.
    CHECK(test::read_text(c.out + "/disparity.csv").find("concentration_index") == std::string::npos);
}

// A group column that is not there (poc looks close: "poccount" contains it), a reference
// that is no group, and 'everyone' as a name.
TEST_CASE("equity options that do not fit the data", "[equity][cli]") {
    FiveUnits c;
    auto outcome = test::run_binary(SHADEGAP_BINARY, c.args({"--equity-group", "black=POC_COUNT"}));
    CHECK(outcome.status == 1);
    CHECK(outcome.err == "shadegap: error: " + c.units + ": field 'POC_COUNT' for 'equity_group.black' not found "
                         "(close: 'poc') (hint: give the column with --equity-group black=FIELD)\n");
    outcome = test::run_binary(SHADEGAP_BINARY, c.args({"--equity-group", "poc=poc", "--reference", "asian"}));
    CHECK(outcome.status == 2);
    CHECK(outcome.err == "shadegap: error: --reference: no group 'asian' (groups: everyone, poc)\n");
    // A column of shares (0.8, 0.7, ...) given as a group's count would weigh 0.8 for 800 people.
    outcome = test::run_binary(SHADEGAP_BINARY, c.args({"--equity-group", "poc=poc_share"}));
    CHECK(outcome.status == 1);
    CHECK(outcome.err == "shadegap: error: " + c.units + ": field 'poc_share' for 'equity_group.poc' holds shares "
                         "(every value within 0–1), not counts of people (hint: give the column that counts the "
                         "group's people (e.g. B03002_004E), or multiply the share by the population)\n");
    // A count above its unit's population (U1: 1050 of 1000) is warned about.
    outcome = test::run_binary(SHADEGAP_BINARY, c.args({"--equity-group", "all=overcount"}));
    CHECK(outcome.status == 0);
    CHECK_THAT(outcome.err, Catch::Contains("shadegap: warning: " + c.units + ": 1 census unit(s) count more people "
                                            "in 'overcount' than their population ('U1': 1050 of 1000)\n"));
    outcome = test::run_binary(SHADEGAP_BINARY, c.args({"--equity-group", "everyone=poc"}));
    CHECK(outcome.status == 2);
    CHECK(outcome.err == "shadegap: error: --equity-group everyone=poc: 'everyone' is the name of all residents; "
                         "choose another name\n");
}

// How sure is a rank, in closed form. A model whose score is 100 × (1 − x) (constant goal,
// no canopy, one variable x taken as it is, floor 0, no rounding) ranks the unit of larger
// x first. A has x = 0.50, B x = 0.45, each with a margin of error 1.645 × 0.05 (standard
// error 0.05): P(A first) = P(x_A > x_B) = Φ(0.05 / √(0.05² + 0.05²)) = Φ(0.7071068) =
// 0.7602499. The share of 4,000 draws with A first (p_top: the top 10 % of two units is the
// first) must agree within 4 Monte Carlo standard errors (√(0.76 × 0.24 / 4000) = 0.0068).
// The same seed gives the same bytes at 1 and 2 threads.
TEST_CASE("rank uncertainty from margins of error agrees with the normal distribution", "[equity][draws]") {
    test::TempDir dir;
    const std::string raster = dir.file("canopy.tif");
    test::write_raster(raster, 8, 1, origin_x, origin_y + 1, 1.0, std::vector<double>(8, 0), 32618);
    const std::string wkt_a = "POLYGON((500000 4100000,500004 4100000,500004 4100001,500000 4100001,500000 4100000))";
    const std::string wkt_b = "POLYGON((500004 4100000,500008 4100000,500008 4100001,500004 4100001,500004 4100000))";
    const std::string units = dir.file("units.gpkg");
    test::write_layer(units, "GPKG", "units", 32618,
                      {{wkt_a, {{"GEOID", "A"}}, {{"population", 100}, {"x", 0.50}, {"x_moe", 1.645 * 0.05}}},
                       {wkt_b, {{"GEOID", "B"}}, {{"population", 100}, {"x", 0.45}, {"x_moe", 1.645 * 0.05}}}});
    const std::string model = dir.file("linear.toml");
    std::ofstream(model) << "[model]\nname = \"linear\"\ncoverage = \"canopy\"\n"
                            "[goal]\nmethod = \"constant\"\nbaseline = 0.4\n"
                            "[population]\ncolumn = \"population\"\n"
                            "[priority]\nfloor = 0.0\n"
                            "[[priority.variables]]\nname = \"x\"\ncolumn = \"x\"\nweight = 1.0\n"
                            "normalise = \"none\"\nscale = 1.0\n"
                            "[score]\nmax = 100\nrounding = \"none\"\n";
    const auto run = [&](const std::string& out, const std::string& threads, const std::string& seed) {
        const auto outcome = test::run_binary(
            SHADEGAP_BINARY, {"run", "--canopy", raster, "--units", units, "--unit-id", "GEOID", "--model", model,
                              "--moe", "x=x_moe", "--draws", "4000", "--seed", seed, "--out", dir.file(out),
                              "--threads", threads});
        INFO(outcome.err);
        REQUIRE(outcome.status == 0);
        return test::read_csv(dir.file(out) + "/priority.csv");
    };
    const auto table = run("out1", "1", "7");
    REQUIRE(table.rows.size() == 2);
    const auto a = row_where(table, "id", "A");
    const auto b = row_where(table, "id", "B");
    CHECK(number(a, "rank") == 1);
    CHECK(number(a, "p_top") == Approx(0.7602499).margin(4 * 0.0068));
    CHECK(number(a, "p_top") + number(b, "p_top") == Approx(1.0).margin(1e-12));
    CHECK(number(a, "rank_low") == 1);
    CHECK(number(a, "rank_high") == 2);
    CHECK(number(b, "rank_low") == 1);
    CHECK(number(b, "rank_high") == 2);
    run("out2", "2", "7");
    CHECK(test::read_text(dir.file("out1/priority.csv")) == test::read_text(dir.file("out2/priority.csv")));
    CHECK(test::read_text(dir.file("out1/priority.geojson")) == test::read_text(dir.file("out2/priority.geojson")));
    run("out3", "2", "8");
    CHECK(test::read_text(dir.file("out3/priority.csv")) != test::read_text(dir.file("out1/priority.csv")));
}

// Intervals of the disparity indices over draws of the groups' counts (--moe on poc only):
// the dissimilarity of poc and white moves, so its 90 % interval holds the estimate with a
// width above 0; Gini, Theil and Atkinson weigh everyone, whom nothing draws: their
// intervals are the value itself. The same seed gives the same bytes at 1 and 2 threads.
TEST_CASE("disparity intervals from draws of the group counts", "[equity][draws]") {
    FiveUnits c;
    const auto run = [&](const std::string& threads) {
        auto args = c.args({"--equity-group", "poc=poc", "--equity-group", "white=white", "--moe", "poc=poc_moe",
                            "--draws", "500", "--overwrite"});
        args[12] = threads;  // after --threads
        const auto outcome = test::run_binary(SHADEGAP_BINARY, args);
        INFO(outcome.err);
        REQUIRE(outcome.status == 0);
        return test::read_text(c.out + "/disparity.csv");
    };
    const std::string one = run("1");
    CHECK(run("2") == one);
    const auto table = test::read_csv(c.out + "/disparity.csv");
    for (const auto& row : table.rows) {
        INFO(row.at("measure") << " " << row.at("exposure"));
        const double value = number(row, "value");
        if (row.at("measure") == "dissimilarity") {
            CHECK(number(row, "low") < value);
            CHECK(number(row, "high") > value);
        } else {
            CHECK(number(row, "low") == value);
            CHECK(number(row, "high") == value);
        }
    }
    // Margins on the groups only leave the ranking fixed: no rank columns.
    CHECK(test::read_csv(c.out + "/priority.csv").header.at(3) == "score");
}

// Each person keeps their census unit's canopy whatever the ranking units: ranking two
// neighbourhoods that cut the five units in odd places gives the same equity.csv and
// disparity.csv, byte for byte, as ranking the units themselves.
TEST_CASE("equity.csv is the same whatever the ranking units", "[equity][cli]") {
    FiveUnits c;
    const std::vector<std::string> groups = {"--equity-group", "poc=poc", "--equity-group", "white=white",
                                             "--rank-by", "income"};
    auto outcome = test::run_binary(SHADEGAP_BINARY, c.args(groups));
    REQUIRE(outcome.status == 0);
    const std::string equity = test::read_text(c.out + "/equity.csv");
    const std::string disparity = test::read_text(c.out + "/disparity.csv");
    const std::string nbhd = c.dir.file("nbhd.gpkg");
    test::write_layer(nbhd, "GPKG", "nbhd", 32618,
                      {{"POLYGON((500000 4100000,500007 4100000,500007 4100005,500000 4100005,500000 4100000))",
                        {{"nid", "WEST"}}, {}},
                       {"POLYGON((500007 4100000,500020 4100000,500020 4100005,500007 4100005,500007 4100000))",
                        {{"nid", "EAST"}}, {}}});
    auto args = c.args(groups);
    for (const char* extra : {"--neighbourhoods", "NBHD", "--neighbourhood-id", "nid", "--overwrite"})
        args.push_back(extra == std::string("NBHD") ? nbhd : extra);
    outcome = test::run_binary(SHADEGAP_BINARY, args);
    INFO(outcome.err);
    REQUIRE(outcome.status == 0);
    CHECK(test::read_csv(c.out + "/priority.csv").rows.size() == 2);
    CHECK(test::read_text(c.out + "/equity.csv") == equity);
    CHECK(test::read_text(c.out + "/disparity.csv") == disparity);
}
