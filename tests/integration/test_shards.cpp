// `run --shard I/N` and `merge`, through the binary: the merged outputs are those of one run,
// byte for byte (run.json but its timings and output folder), and bad shard sets are refused.
// SPDX-License-Identifier: MIT
#include "fixtures.hpp"
#include "run_binary.hpp"

#include <catch2/catch.hpp>
#include <gdal.h>
#include <gdal_utils.h>
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

namespace {

/// While alive, the process works in `dir` (the project's relative paths name its files).
class WorkIn {
public:
    explicit WorkIn(const std::string& dir) : m_saved(fs::current_path()) { fs::current_path(dir); }
    ~WorkIn() { fs::current_path(m_saved); }
    WorkIn(const WorkIn&) = delete;
    WorkIn& operator=(const WorkIn&) = delete;

private:
    fs::path m_saved;
};

const std::vector<std::string> city_files = {"city.toml", "landcover.tif", "blocks.gpkg", "acs.csv", "acs.csvt",
                                             "neighbourhoods.gpkg"};

/// The sample city's files copied into `dir` (new files: their time of change is now).
void copy_city(const std::string& dir) {
    fs::create_directories(dir);
    for (const std::string& name : city_files) fs::copy_file(sample + name, dir + "/" + name);
}

/// Shard I/N of the city whose files are in `dir`, run there with relative paths, into `folder`.
std::string shard_in(const std::string& dir, int i, int n, const std::string& folder) {
    const WorkIn here(dir);
    const auto outcome =
        run_tool({"run", "city.toml", "--shard", std::to_string(i) + "/" + std::to_string(n), "--out", folder, "--quiet"});
    INFO(outcome.err);
    REQUIRE(outcome.status == 0);
    return folder;
}

test::Outcome merge_in(const std::string& dir, const std::vector<std::string>& shards, const std::string& out) {
    const WorkIn here(dir);
    return run_tool(with(with({"merge"}, shards), {"--out", out, "--quiet"}));
}

}  // namespace

TEST_CASE("merge accepts shards measured on copies of the inputs, whatever their times of change",
          "[shards][cli]") {
    test::TempDir dir;
    // Two machines, each with its own copy of the data at the same relative paths: the
    // copies are new files, so their times of change differ from the first's.
    copy_city(dir.file("a"));
    copy_city(dir.file("b"));
    fs::last_write_time(dir.file("b/landcover.tif"), fs::last_write_time(dir.file("a/landcover.tif")) + std::chrono::hours(2));
    fs::last_write_time(dir.file("b/acs.csv"), fs::last_write_time(dir.file("a/acs.csv")) - std::chrono::hours(3));
    const std::vector<std::string> shards = {shard_in(dir.file("a"), 1, 2, dir.file("s1")),
                                             shard_in(dir.file("b"), 2, 2, dir.file("s2"))};
    const std::string one = dir.file("one");
    {
        const WorkIn here(dir.file("a"));
        const auto run = run_tool({"run", "city.toml", "--out", one, "--quiet"});
        INFO(run.err);
        REQUIRE(run.status == 0);
    }
    // Merged on the second machine, and then after every input was touched on the first.
    const auto on_b = merge_in(dir.file("b"), shards, dir.file("merged-b"));
    INFO(on_b.err);
    REQUIRE(on_b.status == 0);
    require_same_outputs(one, dir.file("merged-b"));
    for (const std::string& name : city_files)
        fs::last_write_time(dir.file("a/" + name), fs::last_write_time(dir.file("a/" + name)) + std::chrono::hours(1));
    const auto on_a = merge_in(dir.file("a"), shards, dir.file("merged-a"));
    INFO(on_a.err);
    REQUIRE(on_a.status == 0);
    require_same_outputs(one, dir.file("merged-a"));

    // A second machine whose copy of the join table differs (here in its last byte, a digit):
    // its shard is of another run, and the message says which input differs.
    std::string csv = test::read_text(dir.file("b/acs.csv"));
    const std::size_t digit = csv.find_last_of("0123456789");
    REQUIRE(digit != std::string::npos);
    csv[digit] = csv[digit] == '9' ? '8' : static_cast<char>(csv[digit] + 1);
    std::ofstream(dir.file("b/acs.csv"), std::ios::binary) << csv;
    const std::string other = shard_in(dir.file("b"), 2, 2, dir.file("s2-other"));
    const auto mixed = merge_in(dir.file("a"), {shards[0], other}, dir.file("merged-mixed"));
    test::require_one_line_error(mixed, 1);
    CHECK_THAT(mixed.err, Catch::Matchers::Contains(other + ": is shard 2/2 of another run than " + shards[0] +
                                                    " (its join acs.csv has other contents"));
    CHECK(!fs::exists(dir.file("merged-mixed")));
}

TEST_CASE("merge refuses shards whose inputs changed since they were measured, at the same size", "[shards][cli]") {
    test::TempDir dir;
    copy_city(dir.file("a"));
    const std::vector<std::string> shards = {shard_in(dir.file("a"), 1, 2, dir.file("s1")),
                                             shard_in(dir.file("a"), 2, 2, dir.file("s2"))};
    const auto refused = [&](const std::string& name, const std::string& what) {
        const auto outcome = merge_in(dir.file("a"), shards, dir.file("merged"));
        test::require_one_line_error(outcome, 1);
        CHECK_THAT(outcome.err, Catch::Matchers::Contains(shards[0] + ": " + name + " is not what the shard measured: "
                                                          "here it " + what));
        CHECK(!fs::exists(dir.file("merged")));
    };
    const auto keep_time = [&](const std::string& name, const fs::file_time_type& time) {
        fs::last_write_time(dir.file("a/" + name), time);
    };

    // The join table with one digit changed: the same size and, set back, the same time of change.
    const std::string csv_path = dir.file("a/acs.csv");
    const fs::file_time_type csv_time = fs::last_write_time(csv_path);
    std::string csv = test::read_text(csv_path);
    const std::string original_csv = csv;
    const std::size_t digit = csv.find_first_of("123456789", csv.find('\n') + 1 + 13);  // a figure after the GEOID
    REQUIRE(digit != std::string::npos);
    csv[digit] = csv[digit] == '9' ? '8' : static_cast<char>(csv[digit] + 1);
    std::ofstream(csv_path, std::ios::binary) << csv;
    keep_time("acs.csv", csv_time);
    REQUIRE(fs::file_size(csv_path) == original_csv.size());
    refused("join acs.csv", "has other contents");
    std::ofstream(csv_path, std::ios::binary) << original_csv;
    {
        const auto outcome = merge_in(dir.file("a"), shards, dir.file("merged-again"));
        INFO(outcome.err);
        CHECK(outcome.status == 0);  // the same bytes again: accepted
    }

    // The canopy raster with one pixel changed, in place and at the same size: an uncompressed
    // tiled copy (4 MB, so only its first and last MiB are hashed), one cell of the first tile
    // (within the first MiB) changed from class 1 to 2. The shards are measured again on it.
    const std::string tif = dir.file("a/landcover.tif");
    {
        GDALAllRegister();
        GDALDatasetH source = GDALOpen((sample + "landcover.tif").c_str(), GA_ReadOnly);
        REQUIRE(source);
        char* argv[] = {const_cast<char*>("-co"), const_cast<char*>("TILED=YES"), const_cast<char*>("-co"),
                        const_cast<char*>("COMPRESS=NONE"), nullptr};
        GDALTranslateOptions* options = GDALTranslateOptionsNew(argv, nullptr);
        GDALDatasetH copy = GDALTranslate(tif.c_str(), source, options, nullptr);
        GDALTranslateOptionsFree(options);
        REQUIRE(copy);
        GDALClose(copy);
        GDALClose(source);
    }
    REQUIRE(fs::file_size(tif) > (std::uintmax_t{2} << 20));
    const std::vector<std::string> raster_shards = {shard_in(dir.file("a"), 1, 2, dir.file("r1")),
                                                    shard_in(dir.file("a"), 2, 2, dir.file("r2"))};
    const fs::file_time_type tif_time = fs::last_write_time(tif);
    const auto tif_size = fs::file_size(tif);
    {
        GDALDatasetH dataset = GDALOpen(tif.c_str(), GA_Update);
        REQUIRE(dataset);
        GDALRasterBandH band = GDALGetRasterBand(dataset, 1);
        std::vector<unsigned char> row(256);
        REQUIRE(GDALRasterIO(band, GF_Read, 0, 0, 256, 1, row.data(), 256, 1, GDT_Byte, 0, 0) == CE_None);
        const auto canopy = std::find(row.begin(), row.end(), static_cast<unsigned char>(1));
        REQUIRE(canopy != row.end());
        *canopy = 2;
        REQUIRE(GDALRasterIO(band, GF_Write, 0, 0, 256, 1, row.data(), 256, 1, GDT_Byte, 0, 0) == CE_None);
        GDALClose(dataset);
    }
    keep_time("landcover.tif", tif_time);
    REQUIRE(fs::file_size(tif) == tif_size);
    const auto outcome = merge_in(dir.file("a"), raster_shards, dir.file("merged"));
    test::require_one_line_error(outcome, 1);
    CHECK_THAT(outcome.err, Catch::Matchers::Contains(raster_shards[0] + ": canopy landcover.tif is not what the shard "
                                                      "measured: here it has other bytes in its first or last MiB"));
    CHECK(!fs::exists(dir.file("merged")));
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
