// Project files: keys, relative paths, [fields] and every error message of read_project_file.
// SPDX-License-Identifier: MIT
#include "fixtures.hpp"

#include "shadegap/config.hpp"
#include "shadegap/error.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <set>
#include <string>

using namespace shadegap;
using Catch::Matchers::Contains;

namespace {

std::string write_project(const test::TempDir& dir, const std::string& name, const std::string& text) {
    const std::string path = dir.file(name);
    std::filesystem::create_directories(std::filesystem::path(path).parent_path());
    std::ofstream(path) << text;
    return path;
}

/// The message read_project_file throws for `text`, or "no error".
std::string error_for(const std::string& text) {
    test::TempDir dir;
    const std::string path = write_project(dir, "city.toml", text);
    try {
        (void)read_project_file(path);
    } catch (const InputError& error) {
        CHECK(error.subject() == path);
        return error.what();
    }
    return "no error";
}

}  // namespace

TEST_CASE("a project file sets every option, paths relative to its folder", "[config]") {
    test::TempDir dir;
    const std::string folder = (dir.path() / "project").string();
    const std::string path = write_project(dir, "project/city.toml", R"(
canopy = "rasters/landcover.tif"
canopy_kind = "classes=1,2"
water_classes = [4, 11]
units = "blocks.gpkg"
units_layer = "blocks"
unit_id = "GEOID"
join = "../shared/acs.csv"
join_key = "GEOID"
neighbourhoods = "/data/neighbourhoods.gpkg"
neighbourhoods_layer = "neighbourhoods"
neighbourhood_id = "nbhd_id"
neighbourhood_name = "name"
model = "models/custom.toml"
out = "out"
overwrite = true
threads = 4
block_size = 512

[fields]
population = "POP"
poverty = "pctpov"
)");
    const RunConfig config = read_project_file(path);
    CHECK(config.project_file == path);
    CHECK(config.canopy == folder + "/rasters/landcover.tif");
    CHECK(config.canopy_kind.to_string() == "classes=1,2");
    CHECK(config.water_classes == std::vector<double>{4, 11});
    CHECK(config.units == folder + "/blocks.gpkg");
    CHECK(config.units_layer == "blocks");  // layer and field names are not paths
    CHECK(config.unit_id == "GEOID");
    CHECK(config.join == (dir.path() / "shared/acs.csv").string());  // ".." is folded away
    CHECK(config.join_key == "GEOID");
    CHECK(config.neighbourhoods == "/data/neighbourhoods.gpkg");  // absolute: unchanged
    CHECK(config.neighbourhoods_layer == "neighbourhoods");
    CHECK(config.neighbourhood_id == "nbhd_id");
    CHECK(config.neighbourhood_name == "name");
    CHECK(config.group_by.empty());
    CHECK(config.model == folder + "/models/custom.toml");
    CHECK(config.out == folder + "/out");
    CHECK(config.overwrite);
    CHECK(config.threads == 4);
    CHECK(config.block_size == 512);
    CHECK(config.fields == std::map<std::string, std::string>{{"population", "POP"}, {"poverty", "pctpov"}});
}

TEST_CASE("a project file leaves unset keys at their defaults", "[config]") {
    test::TempDir dir;
    const RunConfig config = read_project_file(write_project(dir, "min.toml", "canopy = \"c.tif\"\n"));
    const RunConfig defaults;
    CHECK(config.canopy == (dir.path() / "c.tif").string());
    CHECK(config.canopy_kind.to_string() == defaults.canopy_kind.to_string());
    CHECK(config.model == "tree-equity");
    CHECK(config.threads == 0);
    CHECK(config.block_size == 0);
    CHECK_FALSE(config.overwrite);
    CHECK(config.water_classes.empty());
    CHECK(config.fields.empty());
}

TEST_CASE("a model name is not a path, a model file is", "[config]") {
    test::TempDir dir;
    CHECK(read_project_file(write_project(dir, "a.toml", "model = \"canopy-gap\"\n")).model == "canopy-gap");
    CHECK(read_project_file(write_project(dir, "b.toml", "model = \"mine.toml\"\n")).model ==
          (dir.path() / "mine.toml").string());
}

TEST_CASE("GDAL virtual paths and connection strings stay as written", "[config]") {
    test::TempDir dir;
    const RunConfig config = read_project_file(write_project(
        dir, "v.toml", "canopy = \"/vsizip/tiles.zip/a.tif\"\nunits = \"PG:dbname=city\"\n"));
    CHECK(config.canopy == "/vsizip/tiles.zip/a.tif");
    CHECK(config.units == "PG:dbname=city");
}

TEST_CASE("water classes may be a comma-separated string", "[config]") {
    test::TempDir dir;
    const RunConfig config = read_project_file(write_project(dir, "w.toml", "water_classes = \"4, 5.5\"\n"));
    CHECK(config.water_classes == std::vector<double>{4, 5.5});
}

TEST_CASE("a missing project file is named", "[config]") {
    test::TempDir dir;
    const std::string path = dir.file("nowhere.toml");
    CHECK_THROWS_WITH(read_project_file(path), path + ": no such file");
}

TEST_CASE("a folder is not a project file", "[config]") {
    test::TempDir dir;
    CHECK_THROWS_WITH(read_project_file(dir.path().string()), Contains("is a folder"));
}

TEST_CASE("a TOML syntax error gives the file and the line", "[config]") {
    const std::string message = error_for("canopy = \"a.tif\"\nthreads = = 2\n");
    CHECK_THAT(message, Contains("city.toml: line 2: "));
}

TEST_CASE("a project file records the keys it set, by their canonical names", "[config]") {
    const RunConfig config = parse_project_file(
        "neighborhoods = \"n.gpkg\"\nthreads = 2\n[fields]\npopulation = \"POP\"\n[scale]\npoverty = 0.01\n",
        "/city/project.toml");
    CHECK(config.project_keys == std::set<std::string>{"neighbourhoods", "threads", "fields", "fields.population",
                                                       "scale", "scale.poverty"});
    CHECK(config.neighbourhoods == "/city/n.gpkg");
    CHECK(parse_project_file("model = \"canopy-gap\"\n", "/city/p.toml").model == "canopy-gap");
    CHECK(parse_project_file("model = \"m.toml\"\n", "/city/p.toml").model == "/city/m.toml");
    CHECK(parse_project_file("units = \"PG:dbname=city\"\n", "/city/p.toml").units == "PG:dbname=city");
}

TEST_CASE("an unknown key is named with the list of known keys", "[config]") {
    const std::string message = error_for("canopy = \"a.tif\"\ncolour = \"green\"\n");
    CHECK_THAT(message, Contains("city.toml: unknown key 'colour'"));
    CHECK_THAT(message, Contains("known keys: canopy, canopy_kind, water_classes"));
    CHECK_THAT(message, Contains("[fields]"));
}

TEST_CASE("a value of the wrong type is quoted with what was expected", "[config]") {
    CHECK_THAT(error_for("threads = \"two\"\n"),
               Contains("city.toml: key 'threads': expected an integer ≥ 0, got \"two\""));
    CHECK_THAT(error_for("threads = -1\n"), Contains("key 'threads': expected an integer ≥ 0, got -1"));
    CHECK_THAT(error_for("threads = 2.5\n"), Contains("key 'threads': expected an integer ≥ 0, got 2.5"));
    CHECK_THAT(error_for("block_size = \"big\"\n"), Contains("key 'block_size': expected an integer ≥ 0"));
    CHECK_THAT(error_for("overwrite = \"yes\"\n"), Contains("key 'overwrite': expected true or false, got \"yes\""));
    CHECK_THAT(error_for("canopy = 3\n"), Contains("city.toml: key 'canopy': expected a string, got 3"));
    CHECK_THAT(error_for("unit_id = [\"GEOID\"]\n"), Contains("key 'unit_id': expected a string"));
    CHECK_THAT(error_for("model = true\n"), Contains("key 'model': expected a string, got true"));
}

TEST_CASE("bad water classes are quoted", "[config]") {
    CHECK_THAT(error_for("water_classes = [\"a\"]\n"), Contains("key 'water_classes': expected numbers"));
    CHECK_THAT(error_for("water_classes = \"4,x\"\n"),
               Contains("key 'water_classes': expected numbers, as [4, 5] or \"4,5\", got \"4,x\""));
    CHECK_THAT(error_for("water_classes = \"\"\n"), Contains("key 'water_classes'"));
    CHECK_THAT(error_for("water_classes = 4\n"), Contains("key 'water_classes': expected numbers"));
}

TEST_CASE("a bad canopy kind names the key", "[config]") {
    const std::string message = error_for("canopy_kind = \"leafy\"\n");
    CHECK_THAT(message, Contains("city.toml: key 'canopy_kind': "));
    CHECK_THAT(message, Contains("leafy"));
}

TEST_CASE("[fields] must map roles to column names", "[config]") {
    CHECK_THAT(error_for("[fields]\npopulation = 3\n"),
               Contains("city.toml: key 'fields.population': expected a column name (a string), got 3"));
    CHECK_THAT(error_for("fields = \"POP\"\n"), Contains("key 'fields': expected a table"));
    CHECK_THAT(error_for("[output]\ndir = \"x\"\n"), Contains("unknown key 'output'"));
}

// parse_project_file (the fuzz target's entry point) reads text as read_project_file reads
// the file at `path`: no file is opened.
TEST_CASE("project text parses as the file it names", "[config]") {
    const RunConfig config = parse_project_file("units = \"blocks.gpkg\"\nthreads = 2\n", "/city/project.toml");
    CHECK(config.project_file == "/city/project.toml");
    CHECK(config.units == "/city/blocks.gpkg");
    CHECK(config.threads == 2);
    CHECK_THROWS_WITH(parse_project_file("threads = = 2\n", "/city/project.toml"),
                      Contains("/city/project.toml: line 1: "));
}

TEST_CASE("a project file sets the shade raster, its mask and the mask's classes", "[config]") {
    test::TempDir dir;
    const std::string path = write_project(dir, "city/city.toml",
                                           "shade = \"../shade/shade.tif\"\nshade_mask = \"walkable\"\n"
                                           "building_classes = [5]\nwalkable_classes = \"2,3,6\"\n");
    const RunConfig config = read_project_file(path);
    CHECK(config.shade == (dir.path() / "shade/shade.tif").lexically_normal().string());
    CHECK(config.shade_mask == ShadeMaskKind::Walkable);
    CHECK(config.building_classes == std::vector<double>{5});
    CHECK(config.walkable_classes == std::vector<double>{2, 3, 6});

    CHECK(read_project_file(write_project(dir, "plain.toml", "")).shade_mask == ShadeMaskKind::Land);
    CHECK_THAT(error_for("shade_mask = \"paths\"\n"),
               Contains("key 'shade_mask': expected \"land\" or \"walkable\", got \"paths\""));
    CHECK_THAT(error_for("walkable_classes = [\"road\"]\n"), Contains("key 'walkable_classes': expected numbers"));
}
