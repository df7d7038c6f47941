// `run --shard I/N` and `merge`, through the binary: the merged outputs are those of one run,
// byte for byte (run.json but its timings and output folder), and bad shard sets are refused.
// SPDX-License-Identifier: MIT
#include "fixtures.hpp"
#include "run_binary.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;
namespace test = shadegap::test;

const std::string sample = std::string(SHADEGAP_SOURCE_DIR) + "/sample-rasters/";

/// The sample city's project with neighbourhoods (split by residential land), equity groups,
/// rank uncertainty from draws and a heat raster (the canopy heights stand in for one: any
/// raster of numbers on any grid), a report and a GeoPackage: every table `run` writes.
std::vector<std::string> city_options() {
    return {sample + "city.toml",
            "--equity-group", "black=black", "--equity-group", "white=white", "--rank-by", "median_income",
            "--moe", "pctpov=linguistic", "--draws", "20", "--seed", "7",
            "--heat", sample + "canopy_height.tif", "--residential-classes", "2,3",
            "--block-size", "300", "--threads", "2", "--quiet"};
}

std::vector<std::string> with(std::vector<std::string> args, const std::vector<std::string>& more) {
    args.insert(args.end(), more.begin(), more.end());
    return args;
}

test::Outcome run_tool(const std::vector<std::string>& args) {
    return test::run_binary(SHADEGAP_BINARY, args);
}

/// run.json without what may differ between a run and a merge: the timings, and the output
/// folder in the paths of "outputs" (their names stay).
std::string comparable_run_json(const std::string& path) {
    nlohmann::json j = nlohmann::json::parse(test::read_text(path));
    j.erase("timings_s");
    for (auto& output : j.at("outputs")) output = fs::path(output.get<std::string>()).filename().string();
    return j.dump(2);
}

std::vector<std::string> names_in(const std::string& dir) {
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(dir)) names.push_back(entry.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
}

/// Every file of `expected` is in `actual` with the same bytes (run.json as above), and no other.
void require_same_outputs(const std::string& expected, const std::string& actual) {
    REQUIRE(names_in(expected) == names_in(actual));
    for (const std::string& name : names_in(expected)) {
        INFO("output " << name);
        if (name == "run.json") {
            CHECK(comparable_run_json(expected + "/" + name) == comparable_run_json(actual + "/" + name));
        } else {
            const std::string a = test::read_text(expected + "/" + name), b = test::read_text(actual + "/" + name);
            CHECK(a.size() == b.size());
            CHECK((a == b));
        }
    }
}

/// Shards 1..N of `options` into dir/shards-N/I, each checked.
std::vector<std::string> measure_shards(const test::TempDir& dir, const std::vector<std::string>& options, int n) {
    std::vector<std::string> folders;
    for (int i = 1; i <= n; ++i) {
        const std::string folder = dir.file("shards-" + std::to_string(n) + "/" + std::to_string(i));
        const auto outcome = run_tool(with(with({"run"}, options), {"--shard", std::to_string(i) + "/" + std::to_string(n), "--out", folder}));
        INFO("shard " << i << "/" << n << ": " << outcome.err);
        REQUIRE(outcome.status == 0);
        CHECK(outcome.err.empty());
        CHECK(names_in(folder) == std::vector<std::string>{"shard.json", "sums.tsv"});
        folders.push_back(folder);
    }
    return folders;
}

}  // namespace

TEST_CASE("merge of 1, 2, 3 and 7 shards writes the one run's outputs byte for byte", "[shards][cli]") {
    test::TempDir dir;
    const std::vector<std::string> options = with(city_options(), {"--report", "--format", "gpkg"});
    const std::string one = dir.file("one");
    const auto run = run_tool(with(with({"run"}, options), {"--out", one}));
    INFO(run.err);
    REQUIRE(run.status == 0);
    REQUIRE(fs::exists(one + "/equity.csv"));

    std::size_t units_in_shards = 0;
    for (const int n : {1, 2, 3, 7}) {
        INFO(n << " shards");
        const std::vector<std::string> folders = measure_shards(dir, options, n);
        std::size_t units = 0;
        for (const std::string& folder : folders) {
            const auto manifest = nlohmann::json::parse(test::read_text(folder + "/shard.json"));
            units += manifest.at("units").get<std::size_t>();
            CHECK(manifest.at("census_units").get<std::size_t>() == 50);
        }
        CHECK(units == 50);  // every census unit in exactly one shard (merge checks it too)
        units_in_shards += units;
        // In reverse order: merge puts them in shard order itself.
        std::vector<std::string> args{"merge"};
        args.insert(args.end(), folders.rbegin(), folders.rend());
        const std::string merged = dir.file("merged-" + std::to_string(n));
        const auto merge = run_tool(with(args, {"--out", merged, "--threads", "2", "--quiet"}));
        INFO(merge.err);
        REQUIRE(merge.status == 0);
        CHECK(merge.err.empty());
        require_same_outputs(one, merged);
    }
    CHECK(units_in_shards == 4 * 50);
}

TEST_CASE("merge of census units ranked alone, without neighbourhoods, equals one run", "[shards][cli]") {
    test::TempDir dir;
    // The sample city's project without its neighbourhoods.
    std::ofstream(dir.file("units.toml"))
        << "canopy = \"" << sample << "landcover.tif\"\ncanopy_kind = \"classes=1\"\nwater_classes = [4]\n"
        << "units = \"" << sample << "blocks.gpkg\"\nunit_id = \"GEOID\"\njoin = \"" << sample
        << "acs.csv\"\njoin_key = \"GEOID\"\n";
    const std::vector<std::string> options = {dir.file("units.toml"), "--equity-group", "black=black", "--quiet"};
    const std::string one = dir.file("one");
    const auto run = run_tool(with(with({"run"}, options), {"--out", one}));
    INFO(run.err);
    REQUIRE(run.status == 0);
    const std::vector<std::string> folders = measure_shards(dir, options, 3);
    const std::string merged = dir.file("merged");
    const auto merge = run_tool(with(with({"merge"}, folders), {"--out", merged, "--quiet"}));
    INFO(merge.err);
    REQUIRE(merge.status == 0);
    require_same_outputs(one, merged);
}

TEST_CASE("merge refuses a shard set that is not one whole run, naming the folder", "[shards][cli]") {
    test::TempDir dir;
    const std::vector<std::string> options = {sample + "city.toml", "--quiet"};
    const std::vector<std::string> three = measure_shards(dir, options, 3);
    const std::vector<std::string> two = measure_shards(dir, options, 2);
    const std::string out = dir.file("merged");
    const auto refused = [&](const std::vector<std::string>& folders, const std::string& named, const std::string& what) {
        const auto outcome = run_tool(with(with({"merge"}, folders), {"--out", out}));
        test::require_one_line_error(outcome, 1);
        CHECK_THAT(outcome.err, Catch::Matchers::Contains(named + ": " + what));
        CHECK(!fs::exists(out));
    };
    refused({three[0], three[2]}, three[0], "shard 2/3 is missing");
    refused({three[0], three[1], three[2], three[1]}, three[1], "is shard 2/3 again");
    refused({three[0], two[1], three[2]}, two[1], "is shard 2/2 of a run in 2 shards");
    refused({three[0], dir.file("nothing")}, dir.file("nothing"), "no such folder");
    refused({three[0], sample}, sample, "holds no shard.json");

    // Another run: the same city with another canopy kind.
    test::TempDir other_dir;
    const std::vector<std::string> other =
        measure_shards(other_dir, {sample + "city.toml", "--canopy-kind", "classes=1,2", "--quiet"}, 3);
    refused({three[0], other[1], three[2]}, other[1], "is shard 2/3 of another run than " + three[0] +
                                                          " (option canopy_kind is \"classes=1,2\", not \"classes=1\")");
}

TEST_CASE("merge refuses shards whose inputs changed since they were measured", "[shards][cli]") {
    test::TempDir dir;
    for (const char* name : {"city.toml", "landcover.tif", "blocks.gpkg", "acs.csv", "acs.csvt", "neighbourhoods.gpkg"})
        fs::copy_file(sample + name, dir.file(name));
    const std::vector<std::string> shards = measure_shards(dir, {dir.file("city.toml"), "--quiet"}, 2);
    // The join table touched after the shards were measured: it may hold other people now.
    fs::last_write_time(dir.file("acs.csv"), fs::last_write_time(dir.file("acs.csv")) + std::chrono::hours(1));
    const std::string out = dir.file("merged");
    const auto outcome = run_tool(with(with({"merge"}, shards), {"--out", out}));
    test::require_one_line_error(outcome, 1);
    CHECK_THAT(outcome.err, Catch::Matchers::Contains(shards[0] + ": the shard measured join " + dir.file("acs.csv")));
    CHECK(!fs::exists(out));
}

TEST_CASE("run --shard refuses a share that is not I/N with 1 <= I <= N", "[shards][cli]") {
    test::TempDir dir;
    for (const char* bad : {"0/3", "4/3", "3", "a/b", "1/0"}) {
        INFO(bad);
        const auto outcome = run_tool({"run", sample + "city.toml", "--shard", bad, "--out", dir.file("out")});
        test::require_one_line_error(outcome, 2);
        CHECK_THAT(outcome.err, Catch::Matchers::Contains("--shard: expected I/N with 1 ≤ I ≤ N"));
        CHECK(!fs::exists(dir.file("out")));
    }
}
