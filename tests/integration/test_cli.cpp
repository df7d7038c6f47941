// The built `shadegap` program: help against the docs, exit codes, one-line errors, info and models.
// SPDX-License-Identifier: MIT
#include "fixtures.hpp"
#include "run_binary.hpp"

#include "shadegap/model.hpp"
#include "shadegap/options.hpp"

#include <catch2/catch.hpp>

#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

using namespace shadegap;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;

namespace {

const std::string source_dir = SHADEGAP_SOURCE_DIR;

std::string slurp(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

using test::Outcome;
using test::lines_of;
using test::require_one_line_error;

/// Runs the binary with `args`, stdout and stderr captured.
Outcome run_shadegap(const std::vector<std::string>& args) { return test::run_binary(SHADEGAP_BINARY, args); }

/// Every `--long-option` that a help text mentions.
std::set<std::string> options_in(const std::string& help) {
    std::set<std::string> options;
    static const std::regex option(R"((?:^|[\s,(])(--[a-z][a-z0-9-]*))");
    for (auto it = std::sregex_iterator(help.begin(), help.end(), option); it != std::sregex_iterator(); ++it)
        options.insert((*it)[1]);
    return options;
}

}  // namespace

TEST_CASE("every option in a command's --help is on its page in docs/cli", "[cli]") {
    for (const std::string command : {"run", "check", "info", "models", "merge"}) {
        const Outcome help = run_shadegap({command, "--help"});
        REQUIRE(help.status == 0);
        CHECK(help.err.empty());
        const std::string page_path = source_dir + "/docs/cli/shadegap-" + command + ".md";
        const std::string page = slurp(page_path);
        INFO(page_path);
        REQUIRE_FALSE(page.empty());
        const std::set<std::string> options = options_in(help.out);
        CHECK_FALSE(options.empty());
        for (const std::string& option : options) {
            INFO("option " << option << " of shadegap " << command);
            CHECK_THAT(page, Contains(option));
        }
        for (const std::string section :
             {"## NAME", "## SYNOPSIS", "## DESCRIPTION", "## OPTIONS", "## EXIT STATUS", "## EXAMPLES", "## SEE ALSO"}) {
            INFO("section " << section);
            CHECK_THAT(page, Contains(section + "\n"));
        }
    }
    const Outcome help = run_shadegap({"--help"});
    REQUIRE(help.status == 0);
    const std::string overview = slurp(source_dir + "/docs/cli/shadegap.md");
    for (const std::string& option : options_in(help.out)) CHECK_THAT(overview, Contains(option));
    for (const std::string command : {"run", "check", "info", "models", "walks", "plan", "merge"})
        CHECK_THAT(overview, Contains("shadegap-" + command + ".md"));
}

// docs/cli stays prose written by hand; this ties it to the table of options, and the
// table to what --help shows.
TEST_CASE("every run option of the table is on its command's page, key and flag, and --help shows only its flags",
          "[cli]") {
    const std::set<std::string> reporting{"--help", "--quiet", "--progress", "--verbose"};
    for (const std::string command : {"run", "check", "walks", "plan"}) {
        // The walks and plan pages document their own options and refer to shadegap-run.md for the rest.
        const bool own_page = command == "walks" || command == "plan";
        const std::string page = slurp(source_dir + "/docs/cli/shadegap-" + (own_page ? command : "run") + ".md");
        REQUIRE_FALSE(page.empty());
        std::set<std::string> table_flags;
        for (const RunOption& option : run_options()) {
            if (!takes_option(command, option)) continue;
            const bool is_table = option.type == OptionType::RoleColumns || option.type == OptionType::RoleFactors;
            const bool on_page = !own_page || option.command == command;
            for (const std::string& key : option.keys()) {
                INFO(command << " key " << key);
                if (on_page) CHECK_THAT(page, Contains(is_table ? "`[" + key + "]`" : "`" + key + "`"));
            }
            for (const std::string& flag : option.flags()) {
                INFO(command << " flag " << flag);
                if (on_page) CHECK_THAT(page, Contains("`" + flag));
                table_flags.insert(flag);
            }
        }
        const Outcome help = run_shadegap({command, "--help"});
        REQUIRE(help.status == 0);
        // Flags that start an option's line (not those a help text mentions).
        static const std::regex line_start(R"((?:^|\n)\s+(?:-[a-z],)?(--[a-z][a-z0-9-]*(?:,--[a-z][a-z0-9-]*)*))");
        std::set<std::string> shown;
        for (auto it = std::sregex_iterator(help.out.begin(), help.out.end(), line_start);
             it != std::sregex_iterator(); ++it) {
            std::stringstream names((*it)[1]);
            for (std::string name; std::getline(names, name, ',');) shown.insert(name);
        }
        for (const std::string& flag : shown) {
            INFO("shadegap " << command << " --help shows " << flag);
            CHECK((table_flags.count(flag) == 1 || reporting.count(flag) == 1));
        }
        for (const std::string& flag : table_flags) {
            INFO("shadegap " << command << " --help lacks " << flag);
            CHECK(shown.count(flag) == 1);
        }
    }
}

TEST_CASE("bad usage exits 2 with one line on stderr", "[cli]") {
    const Outcome unknown_option = run_shadegap({"run", "--bogus"});
    require_one_line_error(unknown_option, 2);
    CHECK_THAT(unknown_option.err, Contains("--bogus: unknown option"));
    CHECK_THAT(unknown_option.err, Contains("(hint: see shadegap run --help)"));

    const Outcome unknown_command = run_shadegap({"plant"});
    require_one_line_error(unknown_command, 2);
    CHECK_THAT(unknown_command.err, Contains("plant: unknown command (commands: run, check, info, models"));

    require_one_line_error(run_shadegap({"run", "--threads", "two"}), 2);
    require_one_line_error(run_shadegap({"info"}), 2);

    const Outcome no_out = run_shadegap({"run", "--canopy", "c.tif", "--units", "u.gpkg", "--unit-id", "GEOID"});
    require_one_line_error(no_out, 2);
    CHECK_THAT(no_out.err, StartsWith("shadegap: error: --out: required"));
}

TEST_CASE("shadegap without a command prints its help on stderr and exits 2", "[cli]") {
    const Outcome outcome = run_shadegap({});
    CHECK(outcome.status == 2);
    CHECK(outcome.out.empty());
    CHECK_THAT(outcome.err, Contains("Usage: shadegap"));
    for (const std::string command : {"run", "check", "info", "models"}) CHECK_THAT(outcome.err, Contains(command));
}

TEST_CASE("the --version option prints the version on stdout", "[cli]") {
    const Outcome outcome = run_shadegap({"--version"});
    CHECK(outcome.status == 0);
    CHECK(std::regex_match(outcome.out, std::regex("shadegap [0-9]+\\.[0-9]+\\.[0-9]+\n")));
    CHECK(outcome.err.empty());
}

TEST_CASE("models lists the built-in models and prints one", "[cli]") {
    const Outcome list = run_shadegap({"models"});
    CHECK(list.status == 0);
    CHECK(list.err.empty());
    const std::vector<std::string> lines = lines_of(list.out);
    CHECK(lines.size() == builtin_model_names().size());
    CHECK_THAT(list.out, Contains("tree-equity  "));
    CHECK_THAT(list.out, Contains("canopy-gap  "));

    const Outcome one = run_shadegap({"models", "tree-equity"});
    CHECK(one.status == 0);
    CHECK(one.err.empty());
    CHECK(one.out == builtin_model_text("tree-equity"));

    test::TempDir dir;
    const std::string path = dir.file("mine.toml");
    std::ofstream(path) << builtin_model_text("canopy-gap");
    const Outcome file = run_shadegap({"models", path});
    CHECK(file.status == 0);
    CHECK(file.out == builtin_model_text("canopy-gap"));
}

TEST_CASE("models with an unknown name exits 1 and lists the names", "[cli]") {
    const Outcome outcome = run_shadegap({"models", "nope"});
    require_one_line_error(outcome, 1);
    CHECK_THAT(outcome.err, Contains("nope: "));
    CHECK_THAT(outcome.err, Contains("tree-equity"));
    CHECK_THAT(outcome.err, Contains("(hint: see shadegap models)"));
}

TEST_CASE("info describes a raster: size, CRS, pixel size, values and canopy kind", "[cli]") {
    test::TempDir dir;
    const std::string path = dir.file("tiny.tif");
    // 4 columns × 3 rows of 10 m cells in UTM 18N, values 0 and 1.
    test::write_raster(path, 4, 3, 500000, 4100000, 10, {0, 1, 1, 0, 1, 1, 0, 0, 1, 0, 1, 1}, 32618);
    const Outcome outcome = run_shadegap({"info", path});
    INFO(outcome.out << outcome.err);
    CHECK(outcome.status == 0);
    CHECK(outcome.err.empty());
    CHECK_THAT(outcome.out, StartsWith(path + "\n"));
    CHECK_THAT(outcome.out, Contains("driver       GTiff"));
    CHECK_THAT(outcome.out, Contains("size         4 × 3 cells"));
    CHECK_THAT(outcome.out, Contains("WGS 84 / UTM zone 18N (EPSG:32618)"));
    CHECK_THAT(outcome.out, Contains("projected, unit m"));
    CHECK_THAT(outcome.out, Contains("pixel size   10 × 10 m"));
    CHECK_THAT(outcome.out, Contains("extent       x 500000 to 500040, y 4099970 to 4100000 m"));
    CHECK_THAT(outcome.out, Contains("data type    Byte"));
    CHECK_THAT(outcome.out, Contains("nodata       none"));
    CHECK_THAT(outcome.out, Contains("values       0, 1 (sampled; min 0, max 1)"));
    CHECK_THAT(outcome.out, Contains("canopy kind  binary"));

    const Outcome json = run_shadegap({"info", "--json", path});
    CHECK(json.status == 0);
    CHECK_THAT(json.out, Contains("\"columns\": 4"));
    CHECK_THAT(json.out, Contains("\"rows\": 3"));
    CHECK_THAT(json.out, Contains("\"authority\": \"EPSG:32618\""));
    CHECK_THAT(json.out, Contains("\"canopy_kind_guess\": \"binary\""));
}

TEST_CASE("info guesses the canopy kind from the values", "[cli]") {
    test::TempDir dir;
    const double nodata = 255;
    const std::string classes = dir.file("classes.tif");
    test::write_raster(classes, 3, 2, 0, 6, 1, {1, 2, 3, 4, 255, 1}, 32618, GDT_Byte, &nodata);
    const Outcome land_cover = run_shadegap({"info", classes});
    CHECK_THAT(land_cover.out, Contains("nodata       255"));
    CHECK_THAT(land_cover.out, Contains("values       1, 2, 3, 4 (sampled; min 1, max 4)"));
    CHECK_THAT(land_cover.out, Contains("canopy kind  classes=…: 4 distinct whole values"));
    CHECK_THAT(land_cover.out, Contains("e.g. classes=1"));

    const std::string fraction = dir.file("fraction.tif");
    test::write_raster(fraction, 2, 2, 0, 2, 1, {0, 0.25, 0.5, 1}, 32618, GDT_Float32);
    CHECK_THAT(run_shadegap({"info", fraction}).out, Contains("canopy kind  fraction"));

    std::vector<double> percents;
    for (int i = 0; i < 25; ++i) percents.push_back(i * 4);
    const std::string percent = dir.file("percent.tif");
    test::write_raster(percent, 5, 5, 0, 5, 1, percents, 32618);
    CHECK_THAT(run_shadegap({"info", percent}).out, Contains("canopy kind  percent"));

    const std::string height = dir.file("height.tif");
    test::write_raster(height, 2, 2, 0, 2, 1, {0.5, 3.25, 12.5, 130.75}, 32618, GDT_Float32);
    CHECK_THAT(run_shadegap({"info", height}).out, Contains("canopy kind  min=…: values from 0.5 to 130.75"));
}

TEST_CASE("info describes a vector layer: geometry, count, CRS and fields", "[cli]") {
    test::TempDir dir;
    const std::string path = dir.file("units.geojson");
    std::ofstream(path) << R"({"type": "FeatureCollection", "features": [
{"type": "Feature", "properties": {"GEOID": "A1", "POP": 120},
 "geometry": {"type": "Polygon", "coordinates": [[[-76.3, 36.9], [-76.2, 36.9], [-76.2, 37.0], [-76.3, 36.9]]]}},
{"type": "Feature", "properties": {"GEOID": "A2", "POP": 80},
 "geometry": {"type": "Polygon", "coordinates": [[[-76.2, 36.9], [-76.1, 36.9], [-76.1, 37.0], [-76.2, 36.9]]]}}
]})";
    const Outcome outcome = run_shadegap({"info", path});
    INFO(outcome.out << outcome.err);
    CHECK(outcome.status == 0);
    CHECK(outcome.err.empty());
    CHECK_THAT(outcome.out, Contains("driver       GeoJSON"));
    CHECK_THAT(outcome.out, Contains("layer units"));
    CHECK_THAT(outcome.out, Contains("geometry   Polygon"));
    CHECK_THAT(outcome.out, Contains("features   2"));
    CHECK_THAT(outcome.out, Contains("crs        WGS 84"));
    CHECK_THAT(outcome.out, Contains("extent     x -76.3 to -76.1, y 36.9 to 37"));
    CHECK_THAT(outcome.out, Contains("GEOID (String)"));
    CHECK_THAT(outcome.out, Contains("POP (Integer)"));
}

TEST_CASE("info on a missing or unreadable file exits 1 naming the file", "[cli]") {
    test::TempDir dir;
    const std::string missing = dir.file("missing.tif");
    const Outcome absent = run_shadegap({"info", missing});
    require_one_line_error(absent, 1);
    CHECK(absent.err == "shadegap: error: " + missing + ": no such file\n");

    const std::string text = dir.file("notes.txt");
    std::ofstream(text) << "not a raster\n";
    const Outcome unreadable = run_shadegap({"info", text});
    require_one_line_error(unreadable, 1);
    CHECK_THAT(unreadable.err, StartsWith("shadegap: error: " + text + ": not a raster or vector dataset GDAL can open"));
}

TEST_CASE("run and check name a missing input and where it came from", "[cli]") {
    test::TempDir dir;
    const Outcome flag = run_shadegap({"run", "--canopy", dir.file("none.tif"), "--units", dir.file("u.gpkg"),
                                       "--unit-id", "GEOID", "--out", dir.file("out")});
    require_one_line_error(flag, 1);
    CHECK_THAT(flag.err, Contains(dir.file("none.tif") + ": no such file (--canopy)"));

    const std::string project = dir.file("city.toml");
    std::ofstream(project) << "canopy = \"landcover.tif\"\nunits = \"blocks.gpkg\"\nunit_id = \"GEOID\"\nout = \"out\"\n";
    const Outcome file = run_shadegap({"check", project});
    require_one_line_error(file, 1);
    CHECK_THAT(file.err, Contains(dir.file("landcover.tif") + ": no such file (canopy in " + project + ")"));
    CHECK_FALSE(std::filesystem::exists(dir.file("out")));
}

TEST_CASE("check and run the sample city: a clean report on stderr, nothing on stdout", "[cli]") {
    test::TempDir dir;
    const std::string project = source_dir + "/sample-rasters/city.toml";
    const std::string out = dir.file("demo-output");

    const Outcome check = run_shadegap({"check", project, "--out", out});
    INFO(check.err);
    CHECK(check.status == 0);
    CHECK(check.out.empty());
    CHECK_THAT(check.err, StartsWith(project + ": ok — canopy "));
    CHECK_FALSE(std::filesystem::exists(out));

    const Outcome run = run_shadegap({"run", project, "--out", out, "-v"});
    INFO(run.err);
    REQUIRE(run.status == 0);
    CHECK(run.out.empty());
    const std::vector<std::string> lines = lines_of(run.err);
    REQUIRE_FALSE(lines.empty());
    CHECK_THAT(run.err, Contains("] overlay\n"));
    CHECK(std::regex_search(run.err, std::regex(R"(^\[[0-9]+\.[0-9]{2} s\] load$)", std::regex::multiline)));
    CHECK_THAT(lines.back(), StartsWith("ranked 8 neighbourhoods (from 50 census units); city score "));
    CHECK_THAT(lines.back(), Contains("wrote priority.geojson, priority.csv, priority.csvt, units.csv, units.csvt, run.json in " + out));
    for (const std::string name : {"priority.geojson", "priority.csv", "units.csv", "run.json"})
        CHECK(std::filesystem::exists(out + "/" + name));

    const Outcome again = run_shadegap({"run", project, "--out", out, "--quiet"});
    require_one_line_error(again, 1);
    CHECK_THAT(again.err, Contains("(hint: use --overwrite"));

    const Outcome quiet = run_shadegap({"run", project, "--out", out, "--quiet", "--overwrite"});
    CHECK(quiet.status == 0);
    CHECK(quiet.out.empty());
    CHECK(quiet.err.empty());
}

// Every `$ shadegap ...` command of docs/guide.md, in order, on a copy of the sample city
// in a fresh folder beside the outputs scripts/demo leaves (as a new user follows the
// guide on a fresh clone, after section 1's scripts/demo): each exits 0, and
// the summary line the guide prints after `run` is the one the run prints.
TEST_CASE("the user guide's commands run in order on a fresh copy", "[cli][docs]") {
    const std::string guide = slurp(source_dir + "/docs/guide.md");
    REQUIRE_FALSE(guide.empty());
    struct Command {
        std::string args;      ///< after "shadegap "
        std::string printed;   ///< the line the guide shows after it, if any
    };
    std::vector<Command> commands;
    const auto lines = test::lines_of(guide);
    for (std::size_t i = 0; i < lines.size(); ++i) {
        static const std::string prompt = "    $ shadegap ";
        if (lines[i].rfind(prompt, 0) != 0) continue;
        Command command{lines[i].substr(prompt.size()), ""};
        while (!command.args.empty() && command.args.back() == '\\' && i + 1 < lines.size()) {
            ++i;
            command.args = command.args.substr(0, command.args.size() - 1) + " " +
                           lines[i].substr(lines[i].find_first_not_of(' '));
        }
        if (i + 1 < lines.size() && lines[i + 1].rfind("    ", 0) == 0 && lines[i + 1].rfind(prompt, 0) != 0 &&
            lines[i + 1].find_first_not_of(' ') != std::string::npos)
            command.printed = lines[i + 1].substr(4);
        commands.push_back(command);
    }
    REQUIRE(commands.size() >= 8);

    test::TempDir clone;
    std::filesystem::copy(source_dir + "/sample-rasters", clone.file("sample-rasters"),
                          std::filesystem::copy_options::recursive);
    // Section 1 runs scripts/demo first: its outputs are there when the guide goes on.
    std::filesystem::create_directories(clone.file("demo-output/shade-equity"));
    for (const char* name : {"shade.tif", "shade.json", "priority.geojson", "priority.csv", "units.csv", "run.json",
                             "shade-equity/priority.geojson", "shade-equity/run.json"})
        std::ofstream(clone.file(std::string("demo-output/") + name)) << "left by scripts/demo\n";
    for (const Command& command : commands) {
        INFO("shadegap " << command.args);
        test::TempDir capture;
        const std::string shell = "cd " + test::shell_quoted(clone.path().string()) + " && " +
                                  test::shell_quoted(SHADEGAP_BINARY) + " " + command.args + " >" +
                                  test::shell_quoted(capture.file("out")) + " 2>" +
                                  test::shell_quoted(capture.file("err")) + " </dev/null";
        const int raw = std::system(shell.c_str());
        const std::string err = test::read_text(capture.file("err"));
        INFO("stderr: " << err);
        REQUIRE(WIFEXITED(raw));
        CHECK(WEXITSTATUS(raw) == 0);
        if (command.args.rfind("run ", 0) == 0 && !command.printed.empty()) {
            const auto err_lines = test::lines_of(err);
            REQUIRE_FALSE(err_lines.empty());
            CHECK(err_lines.back() == command.printed);
        }
    }
}
