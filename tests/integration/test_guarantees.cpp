// The guarantees of docs/reliability.md, through the built binary: the same bytes on every
// run, a killed run leaves the output folder as it was, every warning reaches both stderr
// and run.json, and no input is modified.
// SPDX-License-Identifier: MIT
#include "fixtures.hpp"
#include "spawn_binary.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <signal.h>

#include <chrono>
#include <fstream>
#include <filesystem>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace {

namespace fs = std::filesystem;
namespace test = shadegap::test;

const std::string sample_dir = std::string(SHADEGAP_SOURCE_DIR) + "/sample-rasters/";
const char* const output_names[] = {"priority.geojson", "priority.csv", "units.csv", "run.json"};

using Outcome = test::SpawnOutcome;

/// Runs the binary in `cwd`. With `signal`, sends it once stderr contains `when`.
Outcome run_binary(const std::vector<std::string>& args, const std::string& cwd, int signal = 0,
                   const std::string& when = "") {
    test::Spawn spawn;
    spawn.cwd = cwd;
    spawn.signal = signal;
    spawn.signal_when = when;
    return test::spawn_binary(SHADEGAP_BINARY, args, spawn);
}

/// Every entry of a folder (hidden ones included) with its bytes; folders map to "<folder>".
std::map<std::string, std::string> contents_of(const std::string& folder) {
    std::map<std::string, std::string> contents;
    for (const auto& entry : fs::directory_iterator(folder)) {
        const std::string name = entry.path().filename().string();
        contents[name] = entry.is_directory() ? "<folder>" : test::read_text(entry.path().string());
    }
    return contents;
}

/// run.json without what varies from run to run: the stage timings and the output paths.
std::string normalised_run_json(const std::string& text) {
    nlohmann::json j = nlohmann::json::parse(text);
    for (const char* key : {"timings_s", "outputs"}) j.erase(key);
    return j.dump(2);
}

/// A copy of the sample city's inputs in a fresh folder, with its project file.
struct SampleCopy {
    test::TempDir dir;
    SampleCopy() {
        for (const char* name : {"landcover.tif", "blocks.gpkg", "neighbourhoods.gpkg", "acs.csv", "acs.csvt", "city.toml"})
            fs::copy_file(sample_dir + name, dir.file(name));
    }
    std::string path() const { return dir.path().string(); }
};

std::string joined_names(const std::map<std::string, std::string>& contents) {
    std::string text;
    for (const auto& [name, bytes] : contents) text += (text.empty() ? "" : ", ") + name;
    return text;
}

}  // namespace

// Two runs of the same inputs with the same thread count, and runs with 1 and 3 threads:
// every output byte for byte the same (run.json once its timings and output paths are
// left out). test_sample_run.cpp checks the GeoJSON and units.csv of 1, 2, 3 and 8
// threads in-process; this goes through the binary and covers all four files.
TEST_CASE("outputs are byte-identical across repeated runs and thread counts", "[guarantees][determinism]") {
    SampleCopy sample;
    std::map<std::string, std::map<std::string, std::string>> runs;
    for (const std::string label : {"a2", "b2", "c1", "d3"}) {
        const std::string threads = label.substr(1);
        const Outcome outcome =
            run_binary({"run", "city.toml", "--out", "out-" + label, "--threads", threads}, sample.path());
        INFO("stderr: " << outcome.err);
        REQUIRE(outcome.status == 0);
        runs[label] = contents_of(sample.dir.file("out-" + label));
        REQUIRE(runs[label].size() == 6);
    }
    for (const std::string label : {"b2", "c1", "d3"}) {
        INFO("run " << label << " against run a2");
        for (const char* name : {"priority.geojson", "priority.csv", "priority.csvt", "units.csv", "units.csvt"}) {
            INFO(name);
            CHECK(runs[label][name] == runs["a2"][name]);
        }
        nlohmann::json a = nlohmann::json::parse(runs["a2"]["run.json"]);
        nlohmann::json other = nlohmann::json::parse(runs[label]["run.json"]);
        // The thread count is recorded; it must be the only difference besides timings (and
        // the warning that a count above this machine's cores was capped).
        a.erase("threads");
        other.erase("threads");
        for (nlohmann::json* j : {&a, &other}) {
            nlohmann::json kept = nlohmann::json::array();
            for (const auto& w : j->at("warnings"))
                if (w.at("code") != "threads-capped") kept.push_back(w);
            (*j)["warnings"] = kept;
        }
        CHECK(normalised_run_json(other.dump()) == normalised_run_json(a.dump()));
    }
}

// An output folder holding the outputs of an earlier run (canopy-gap model) is rerun with
// --overwrite (tree-equity) and the run is killed as each stage starts, right before
// the outputs move into place (the bar at 99 %) and after. The folder afterwards holds
// either the earlier four files, unchanged, or (when the run finished first) the new four
// files, complete: never a partial file, and never a mixture except after a SIGKILL
// during the renames themselves (then each file is still whole, earlier or new). SIGTERM leaves nothing else; SIGKILL, which no program
// can catch, may leave the hidden temporary folder `.shadegap-tmp-*` with the unfinished
// new files, which a later run ignores.
TEST_CASE("a run killed at any stage leaves the output folder as it was", "[guarantees][faults]") {
    SampleCopy sample;
    const std::string out = sample.dir.file("out");
    const std::vector<std::string> earlier_args = {"run", "city.toml", "--out", "out", "--model", "canopy-gap",
                                                   "--threads", "2"};
    const std::vector<std::string> new_args = {"run", "city.toml", "--out", "out", "--overwrite", "--progress",
                                               "--threads", "2"};
    REQUIRE(run_binary(earlier_args, sample.path()).status == 0);
    const auto earlier = contents_of(out);
    REQUIRE(earlier.size() == 6);
    // What the interrupted run would write when left alone.
    REQUIRE(run_binary({"run", "city.toml", "--out", "complete", "--threads", "2"}, sample.path()).status == 0);
    const auto complete = contents_of(sample.dir.file("complete"));
    REQUIRE(complete.at("units.csv") != earlier.at("units.csv"));

    const std::vector<std::string> moments = {"load", "align", "overlay", "allocate", "model", "write", " 99%", "100%"};
    for (const int signal : {SIGKILL, SIGTERM}) {
        int stopped_midway = 0;
        for (const auto& moment : moments) {
            INFO((signal == SIGKILL ? "SIGKILL" : "SIGTERM") << " when stderr shows '" << moment << "'");
            const Outcome outcome = run_binary(new_args, sample.path(), signal, moment);
            INFO("exit status " << outcome.status << ", killed by " << outcome.killed_by);
            auto after = contents_of(out);
            std::set<std::string> temporaries;
            for (const auto& [name, bytes] : after)
                if (name.rfind(".shadegap-tmp-", 0) == 0) temporaries.insert(name);
            for (const auto& name : temporaries) {
                CHECK(signal == SIGKILL);
                after.erase(name);
                fs::remove_all(fs::path(out) / name);
            }
            INFO("left in the output folder: " << joined_names(after));
            const bool unchanged = after == earlier;
            bool replaced = after.size() == 6 && after.count("run.json") == 1;
            for (const char* name : {"priority.geojson", "priority.csv", "priority.csvt", "units.csv", "units.csvt"})
                replaced = replaced && after.count(name) == 1 && after.at(name) == complete.at(name);
            // Each file is whole: the earlier one or the new one (run.json varies by its timings).
            REQUIRE(after.size() == 6);
            for (const auto& [name, bytes] : after) {
                INFO(name);
                const bool whole = bytes == earlier.at(name) ||
                                   (name == "run.json" ? nlohmann::json::accept(bytes) : bytes == complete.at(name));
                CHECK(whole);
            }
            // SIGKILL while the four finished files are renamed into place (microseconds,
            // which the bar at 99 % announces, but a loaded machine can delay any signal
            // into them) may leave some new and some earlier files: a limit of renaming
            // files one by one (docs/reliability.md). A caught signal never does.
            if (signal == SIGTERM) CHECK((unchanged || replaced));
            if (unchanged) ++stopped_midway;
            if (signal == SIGTERM) {
                // Caught while running: stopped with 143 and nothing changed. Once the new
                // outputs are in place the run ends normally (0), or, after it has put back
                // the default action, the signal ends it; never 143 with outputs replaced.
                CHECK(temporaries.empty());
                if (unchanged) CHECK(outcome.status == 143);
                else CHECK((outcome.status == 0 || outcome.killed_by == SIGTERM));
            }
            if (!unchanged) {
                // Put the earlier outputs back for the next moment.
                for (const auto& [name, bytes] : earlier) {
                    std::ofstream file(out + "/" + name, std::ios::binary);
                    file << bytes;
                }
            }
        }
        // The first stages last long enough for the signal to land in them.
        CHECK(stopped_midway >= 3);
    }
}

// Inputs that produce several kinds of warning: a null geometry, a bow-tie, a ring left
// open (GeoJSON), a unit half outside the raster and one wholly outside it. Every
// warning line on stderr is a warning of run.json (subject: message), and the reverse.
TEST_CASE("every warning reaches both stderr and run.json", "[guarantees][warnings]") {
    test::TempDir dir;
    const std::string raster = dir.file("canopy.tif");
    std::vector<double> values(100);
    for (int i = 0; i < 100; ++i) values[static_cast<std::size_t>(i)] = (i % 10) < 5 ? 1 : 0;
    test::write_raster(raster, 10, 10, 500000, 4100010, 1.0, values, 32618);
    const auto square = [](double x0, double y0, double x1, double y1) {
        std::ostringstream wkt;
        wkt.precision(17);
        wkt << "POLYGON((" << 500000 + x0 << " " << 4100000 + y0 << "," << 500000 + x1 << " " << 4100000 + y0 << ","
            << 500000 + x1 << " " << 4100000 + y1 << "," << 500000 + x0 << " " << 4100000 + y1 << ","
            << 500000 + x0 << " " << 4100000 + y0 << "))";
        return wkt.str();
    };
    const auto feature = [](const std::string& id, const std::string& wkt) {
        return test::TestFeature{wkt, {{"GEOID", id}}, {{"population", 100}}};
    };
    const std::string gpkg = dir.file("units.gpkg");
    test::write_layer(gpkg, "GPKG", "units", 32618,
                      {feature("full", square(0, 0, 4, 4)),
                       feature("null", ""),
                       feature("bowtie", "POLYGON((500000 4100000,500002 4100002,500002 4100000,500000 4100002,"
                                         "500000 4100000))"),
                       feature("half", square(8, 2, 12, 4)),
                       feature("outside", square(20, 20, 22, 22))});
    const std::string geojson = dir.file("open.geojson");
    {
        std::ofstream file(geojson);
        file << R"({"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"EPSG:32618"}},)"
             << R"("features":[{"type":"Feature","properties":{"GEOID":"open","population":10},)"
             << R"("geometry":{"type":"Polygon","coordinates":[[[500000,4100000],[500004,4100000],)"
             << R"([500004,4100004],[500000,4100004]]]}}]})";
    }
    std::size_t cases_with_warnings = 0;
    for (const std::string& units : {gpkg, geojson}) {
        INFO("units " << units);
        const std::string out = dir.file("out-" + fs::path(units).extension().string().substr(1));
        const Outcome outcome = run_binary({"run", "--canopy", raster, "--units", units, "--unit-id", "GEOID",
                                            "--model", "canopy-gap", "--out", out, "--threads", "1"},
                                           dir.path().string());
        INFO("stderr: " << outcome.err);
        REQUIRE(outcome.status == 0);
        std::multiset<std::string> on_stderr;
        std::istringstream lines(outcome.err);
        for (std::string line; std::getline(lines, line);)
            if (line.rfind("shadegap: warning: ", 0) == 0) on_stderr.insert(line.substr(19));
        std::multiset<std::string> in_run_json;
        std::set<std::string> codes;
        const nlohmann::json run_json = nlohmann::json::parse(test::read_text(out + "/run.json"));
        for (const auto& w : run_json.at("warnings")) {
            const std::string subject = w.at("subject").get<std::string>();
            in_run_json.insert((subject.empty() ? "" : subject + ": ") + w.at("message").get<std::string>());
            codes.insert(w.at("code").get<std::string>());
        }
        CHECK(on_stderr == in_run_json);
        CHECK(on_stderr.size() >= 1);
        if (units == gpkg) {
            for (const char* code : {"geometry-missing", "geometry-repaired", "nodata-share", "outside-raster"}) {
                INFO("code " << code);
                CHECK(codes.count(code) == 1);
            }
        } else {
            CHECK(codes.count("geometry-repaired") == 1);
        }
        cases_with_warnings += on_stderr.empty() ? 0 : 1;
    }
    CHECK(cases_with_warnings == 2);
}

// `check` and `run` (twice, the second with --overwrite) on a copy of the sample city with
// a model file of its own: every input file (the GeoPackages, which SQLite opens, the
// GeoTIFF, the CSV and its .csvt, the project and model files) keeps its bytes and its
// modification time, and no file appears beside them (no .aux.xml, -wal, -shm, -journal).
TEST_CASE("no input is modified", "[guarantees][inputs]") {
    SampleCopy sample;
    fs::copy_file(std::string(SHADEGAP_SOURCE_DIR) + "/models/tree-equity.toml", sample.dir.file("model.toml"));
    std::map<std::string, fs::file_time_type> times;
    for (const auto& entry : fs::directory_iterator(sample.path()))
        times[entry.path().filename().string()] = entry.last_write_time();
    const auto before = contents_of(sample.path());
    const std::string out = (fs::temp_directory_path() / ("shadegap-guarantee-out-" + std::to_string(::getpid()))).string();
    fs::remove_all(out);
    REQUIRE(run_binary({"check", "city.toml", "--model", "model.toml", "--out", out}, sample.path()).status == 0);
    REQUIRE(run_binary({"run", "city.toml", "--model", "model.toml", "--out", out}, sample.path()).status == 0);
    REQUIRE(run_binary({"run", "city.toml", "--model", "model.toml", "--out", out, "--overwrite"}, sample.path()).status == 0);
    fs::remove_all(out);
    const auto after = contents_of(sample.path());
    INFO("before: " << joined_names(before) << "\nafter: " << joined_names(after));
    REQUIRE(after.size() == before.size());
    for (const auto& [name, bytes] : before) {
        INFO(name);
        REQUIRE(after.count(name) == 1);
        CHECK(after.at(name) == bytes);
        CHECK(fs::last_write_time(sample.dir.file(name)) == times.at(name));
    }
}

// A run killed by SIGKILL leaves its hidden temporary folder behind. The next run on the
// folder removes the folders of this host whose process no longer runs, with a warning in
// stderr and run.json, and leaves alone those of a live process, of another host, and of
// the older unnumbered form.
TEST_CASE("a later run removes the temporary folders of killed runs, and only those", "[guarantees][faults]") {
    SampleCopy sample;
    const std::string out = sample.dir.file("out");
    REQUIRE(run_binary({"run", "city.toml", "--out", "out", "--threads", "1"}, sample.path()).status == 0);
    char host[256] = {};
    REQUIRE(gethostname(host, sizeof host - 1) == 0);
    // 999999999 is above any Linux pid_max (at most 2^22): no process has it.
    const std::string dead = std::string(".shadegap-tmp-") + host + "-999999999-7";
    const std::string alive = std::string(".shadegap-tmp-") + host + "-" + std::to_string(getpid()) + "-8";
    const std::string elsewhere = ".shadegap-tmp-another-host-999999999-9";
    const std::string old_form = ".shadegap-tmp-123456789";
    for (const std::string& name : {dead, alive, elsewhere, old_form}) {
        fs::create_directory(fs::path(out) / name);
        std::ofstream(fs::path(out) / name / "priority.csv") << "partial";
    }
    const Outcome outcome = run_binary({"run", "city.toml", "--out", "out", "--overwrite", "--threads", "1"},
                                       sample.path());
    INFO("stderr: " << outcome.err);
    REQUIRE(outcome.status == 0);
    CHECK_FALSE(fs::exists(fs::path(out) / dead));
    for (const std::string& name : {alive, elsewhere, old_form}) {
        INFO(name);
        CHECK(fs::exists(fs::path(out) / name / "priority.csv"));
    }
    const std::string message =
        "removed the temporary folder of an earlier run that was killed (process 999999999 no longer runs)";
    // The subject is the folder as the user named it (--out out, relative to the run's folder).
    CHECK(outcome.err.find("shadegap: warning: out/" + dead + ": " + message) !=
          std::string::npos);
    const nlohmann::json run_json = nlohmann::json::parse(test::read_text(out + "/run.json"));
    int stale = 0;
    for (const auto& w : run_json.at("warnings")) {
        if (w.at("code") != "stale-temporary") continue;
        ++stale;
        CHECK(w.at("message") == message);
    }
    CHECK(stale == 1);
}
