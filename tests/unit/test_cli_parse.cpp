// Argument vectors of `shadegap run` into a RunConfig: flags over the project file, constraints.
// SPDX-License-Identifier: MIT
#include "fixtures.hpp"
#include "options.hpp"

#include "shadegap/config.hpp"
#include "shadegap/error.hpp"

#include <catch2/catch.hpp>

#include <fstream>
#include <string>
#include <vector>

using namespace shadegap;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;

namespace {

/// The smallest complete set of flags.
std::vector<std::string> required_flags() {
    return {"--canopy", "c.tif", "--units", "u.gpkg", "--unit-id", "GEOID", "--out", "out"};
}

std::vector<std::string> with(std::vector<std::string> args, const std::vector<std::string>& more) {
    args.insert(args.end(), more.begin(), more.end());
    return args;
}

/// The UsageError that parsing `args` throws, or a failed test.
UsageError usage_error_for(const std::vector<std::string>& args) {
    try {
        (void)cli::parse_run_arguments(args);
    } catch (const UsageError& error) {
        return error;
    }
    FAIL("no UsageError");
    return UsageError("", "");
}

}  // namespace

TEST_CASE("flags alone make a RunConfig", "[cli]") {
    const RunConfig config = cli::parse_run_arguments(
        {"--canopy", "landcover.tif", "--canopy-kind", "classes=1", "--water-classes", "4,11", "--units",
         "blocks.gpkg", "--units-layer", "blocks", "--unit-id", "GEOID", "--join", "acs.csv", "--join-key",
         "GEOID", "--neighbourhoods", "n.gpkg", "--neighbourhoods-layer", "n", "--neighbourhood-id", "nbhd_id",
         "--neighbourhood-name", "name", "--model", "canopy-gap", "--field", "population=POP", "--out", "out",
         "--overwrite", "--threads", "3", "--block-size", "128", "--quiet"});
    CHECK(config.project_file.empty());
    CHECK(config.canopy == "landcover.tif");  // flags are relative to the working directory: unchanged
    CHECK(config.canopy_kind.to_string() == "classes=1");
    CHECK(config.water_classes == std::vector<double>{4, 11});
    CHECK(config.units == "blocks.gpkg");
    CHECK(config.units_layer == "blocks");
    CHECK(config.unit_id == "GEOID");
    CHECK(config.join == "acs.csv");
    CHECK(config.join_key == "GEOID");
    CHECK(config.neighbourhoods == "n.gpkg");
    CHECK(config.neighbourhoods_layer == "n");
    CHECK(config.neighbourhood_id == "nbhd_id");
    CHECK(config.neighbourhood_name == "name");
    CHECK(config.model == "canopy-gap");
    CHECK(config.fields == std::map<std::string, std::string>{{"population", "POP"}});
    CHECK(config.out == "out");
    CHECK(config.overwrite);
    CHECK(config.threads == 3);
    CHECK(config.block_size == 128);
}

TEST_CASE("defaults hold for the flags not given", "[cli]") {
    const RunConfig config = cli::parse_run_arguments(required_flags());
    CHECK(config.canopy_kind.to_string() == "binary");
    CHECK(config.model == "tree-equity");
    CHECK(config.threads == 0);
    CHECK(config.block_size == 0);
    CHECK_FALSE(config.overwrite);
    CHECK(config.water_classes.empty());
    CHECK(config.fields.empty());
}

TEST_CASE("flags the user gives override the project file, the others keep its values", "[cli]") {
    test::TempDir dir;
    const std::string project = dir.file("city.toml");
    std::ofstream(project) << R"(canopy = "landcover.tif"
canopy_kind = "classes=1"
water_classes = [4]
units = "blocks.gpkg"
unit_id = "GEOID"
threads = 2
overwrite = true
out = "from-file"
model = "canopy-gap"

[fields]
population = "POP"
poverty = "pctpov"
)";
    const RunConfig config = cli::parse_run_arguments(
        {project, "--threads", "8", "--out", "from-flag", "--canopy-kind", "binary", "--field", "poverty=POV2",
         "--field", "heat=temp_diff"});
    CHECK(config.project_file == project);
    CHECK(config.threads == 8);
    CHECK(config.out == "from-flag");
    CHECK(config.canopy_kind.to_string() == "binary");
    CHECK(config.canopy == dir.file("landcover.tif"));
    CHECK(config.units == dir.file("blocks.gpkg"));
    CHECK(config.unit_id == "GEOID");
    CHECK(config.water_classes == std::vector<double>{4});
    CHECK(config.overwrite);
    CHECK(config.model == "canopy-gap");
    // --field replaces the file's mapping role by role.
    CHECK(config.fields ==
          std::map<std::string, std::string>{{"population", "POP"}, {"poverty", "POV2"}, {"heat", "temp_diff"}});
}

TEST_CASE("a flag that equals the default still overrides the file", "[cli]") {
    test::TempDir dir;
    const std::string project = dir.file("city.toml");
    std::ofstream(project) << "canopy = \"c.tif\"\nunits = \"u.gpkg\"\nunit_id = \"ID\"\nout = \"o\"\nthreads = 6\n"
                              "model = \"canopy-gap\"\n";
    const RunConfig config = cli::parse_run_arguments({project, "--threads", "0", "--model", "tree-equity"});
    CHECK(config.threads == 0);
    CHECK(config.model == "tree-equity");
}

TEST_CASE("the --field option takes ROLE=FIELD and is repeatable", "[cli]") {
    const RunConfig config = cli::parse_run_arguments(
        with(required_flags(), {"--field", "population=POP", "--field", "goal=tc_goal", "--field", "a=b=c"}));
    CHECK(config.fields ==
          std::map<std::string, std::string>{{"population", "POP"}, {"goal", "tc_goal"}, {"a", "b=c"}});
    for (const std::string bad : {"population", "=POP", "population="}) {
        const UsageError error = usage_error_for(with(required_flags(), {"--field", bad}));
        CHECK(error.subject() == "--field");
        CHECK_THAT(error.message(), Contains("expected ROLE=FIELD") && Contains("\"" + bad + "\""));
    }
}

TEST_CASE("a --field option does not swallow the project file after it", "[cli]") {
    test::TempDir dir;
    const std::string project = dir.file("city.toml");
    std::ofstream(project) << "canopy = \"c.tif\"\nunits = \"u.gpkg\"\nunit_id = \"ID\"\nout = \"o\"\n";
    const RunConfig config = cli::parse_run_arguments({"--field", "population=POP", project});
    CHECK(config.project_file == project);
    CHECK(config.fields.at("population") == "POP");
}

TEST_CASE("neighbourhoods and --group-by exclude each other", "[cli]") {
    const UsageError flags = usage_error_for(
        with(required_flags(), {"--neighbourhoods", "n.gpkg", "--neighbourhood-id", "id", "--group-by", "WARD"}));
    CHECK_THAT(std::string(flags.what()), Contains("--neighbourhoods") && Contains("--group-by"));

    test::TempDir dir;
    const std::string project = dir.file("city.toml");
    std::ofstream(project) << "neighbourhoods = \"n.gpkg\"\nneighbourhood_id = \"id\"\n";
    const UsageError mixed = usage_error_for(with(required_flags(), {project, "--group-by", "WARD"}));
    CHECK(mixed.subject() == "--group-by");
    CHECK_THAT(mixed.message(), Contains("neighbourhoods in " + project));
}

TEST_CASE("a missing required option is named, flag and project key", "[cli]") {
    const UsageError out = usage_error_for({"--canopy", "c.tif", "--units", "u.gpkg", "--unit-id", "GEOID"});
    CHECK(out.subject() == "--out");
    CHECK_THAT(out.message(), Contains("--out DIR") && Contains("out = \"DIR\" in the project file"));
    CHECK(out.hint() == "see shadegap run --help");

    CHECK(usage_error_for({"--units", "u.gpkg", "--unit-id", "GEOID", "--out", "o"}).subject() == "--canopy");
    CHECK(usage_error_for({"--canopy", "c.tif", "--unit-id", "GEOID", "--out", "o"}).subject() == "--units");
    CHECK(usage_error_for({"--canopy", "c.tif", "--units", "u.gpkg", "--out", "o"}).subject() == "--unit-id");
}

TEST_CASE("options that need a partner say which", "[cli]") {
    CHECK_THAT(usage_error_for(with(required_flags(), {"--join", "acs.csv"})).message(), Contains("--join-key"));
    CHECK_THAT(usage_error_for(with(required_flags(), {"--join-key", "GEOID"})).message(), Contains("--join"));
    const UsageError id = usage_error_for(with(required_flags(), {"--neighbourhoods", "n.gpkg"}));
    CHECK(id.subject() == "--neighbourhoods");
    CHECK_THAT(id.message(), Contains("--neighbourhood-id"));
    const UsageError name = usage_error_for(with(required_flags(), {"--neighbourhood-name", "NAME"}));
    CHECK(name.subject() == "--neighbourhood-name");
    CHECK_THAT(name.message(), Contains("--neighbourhoods"));
}

TEST_CASE("CLI11's parse errors become usage errors naming the option", "[cli]") {
    const UsageError unknown = usage_error_for(with(required_flags(), {"--colour", "green"}));
    CHECK(unknown.subject() == "--colour");
    CHECK(unknown.message() == "unknown option");

    const UsageError threads = usage_error_for(with(required_flags(), {"--threads", "two"}));
    CHECK(threads.subject() == "--threads");
    CHECK(threads.message() == "expected an integer ≥ 0, got \"two\"");
    CHECK(usage_error_for(with(required_flags(), {"--threads", "-1"})).subject() == "--threads");
    CHECK(usage_error_for(with(required_flags(), {"--block-size", "1.5"})).subject() == "--block-size");

    const UsageError water = usage_error_for(with(required_flags(), {"--water-classes", "4,x"}));
    CHECK(water.subject() == "--water-classes");
    CHECK_THAT(water.message(), Contains("\"x\""));

    const UsageError kind = usage_error_for(with(required_flags(), {"--canopy-kind", "leafy"}));
    CHECK(kind.subject() == "--canopy-kind");
    CHECK_THAT(kind.message(), Contains("leafy"));

    const UsageError no_value = usage_error_for({"--canopy"});
    CHECK(no_value.subject() == "--canopy");
    CHECK_THAT(no_value.message(), StartsWith("needs a value"));

    CHECK_THAT(std::string(usage_error_for(with(required_flags(), {"--quiet", "--progress"})).what()),
               Contains("--quiet") && Contains("--progress"));
}

TEST_CASE("a project file's own errors are input errors, not usage errors", "[cli]") {
    test::TempDir dir;
    const std::string project = dir.file("city.toml");
    std::ofstream(project) << "threads = \"two\"\n";
    CHECK_THROWS_AS(cli::parse_run_arguments({project}), InputError);
    CHECK_THROWS_WITH(cli::parse_run_arguments({dir.file("missing.toml")}), Contains("missing.toml: no such file"));
}

TEST_CASE("shade flags: the raster, the mask and its classes, over the project file", "[cli]") {
    const RunConfig flags = cli::parse_run_arguments(with(
        required_flags(), {"--shade", "shade.tif", "--shade-mask", "walkable", "--walkable-classes", "2,3,6",
                           "--building-classes", "5"}));
    CHECK(flags.shade == "shade.tif");
    CHECK(flags.shade_mask == ShadeMaskKind::Walkable);
    CHECK(flags.walkable_classes == std::vector<double>{2, 3, 6});
    CHECK(flags.building_classes == std::vector<double>{5});
    CHECK(cli::parse_run_arguments(required_flags()).shade_mask == ShadeMaskKind::Land);

    test::TempDir dir;
    const std::string project = dir.file("city.toml");
    std::ofstream(project) << "shade = \"s.tif\"\nshade_mask = \"walkable\"\nwalkable_classes = [6]\n";
    const RunConfig over = cli::parse_run_arguments(
        with(required_flags(), {project, "--shade-mask", "land", "--walkable-classes", "2,6"}));
    CHECK(over.shade == dir.file("s.tif"));
    CHECK(over.shade_mask == ShadeMaskKind::Land);
    CHECK(over.walkable_classes == std::vector<double>{2, 6});

    const UsageError error = usage_error_for(with(required_flags(), {"--shade-mask", "paths"}));
    CHECK(error.subject() == "--shade-mask");
    CHECK_THAT(error.message(), Contains("expected land or walkable, got \"paths\""));
}

TEST_CASE("a key that an error names is named as the user gave it", "[cli]") {
    test::TempDir dir;
    const std::string project = dir.file("city.toml");
    std::ofstream(project) << "canopy = \"c.tif\"\nunits = \"u.gpkg\"\nunit_id = \"ID\"\nout = \"o\"\n"
                              "join = \"acs.csv\"\njoin_key = \"GEOID=\"\n[fields]\npoverty = \"pctpov\"\n"
                              "[scale]\npoverty = 0.01\n";
    const UsageError from_file = usage_error_for({project});
    CHECK(from_file.subject() == "join_key in " + project);
    CHECK(from_file.message() == "expected FIELD or UNITS_FIELD=CSV_FIELD, got \"GEOID=\"");
    CHECK(from_file.hint().empty());
    CHECK(usage_error_for({project, "--join-key", "GEOID="}).subject() == "--join-key");

    // The library's later errors (the pipeline's) about roles of [fields] and [scale].
    CLI::App app{"", "run"};
    cli::RunOptions options;
    options.add_to(app);
    std::vector<std::string> args{"GEOID", "--join-key", "heat=temp", "--field", "heat=0.5", "--scale", project};
    app.parse(args);
    (void)options.build();
    CHECK(options.named(UsageError("fields.heat", "m")).subject() == "--field heat=temp");
    CHECK(options.named(UsageError("fields.poverty", "m")).subject() == "fields.poverty in " + project);
    CHECK(options.named(UsageError("scale.heat", "m")).subject() == "--scale heat=0.5");
    CHECK(options.named(UsageError("scale.poverty", "m")).subject() == "scale.poverty in " + project);
    CHECK(options.named(UsageError("canopy", "m")).subject() == "canopy in " + project);
    CHECK(options.named(UsageError("neighborhoods", "m")).subject() == "--neighbourhoods");
    // Subjects that are no key stay; a hint stays.
    CHECK(options.named(UsageError("--scale shade=0.01", "m")).subject() == "--scale shade=0.01");
    CHECK(options.named(UsageError("blocks.gpkg", "m")).subject() == "blocks.gpkg");
    CHECK(options.named(UsageError("join_key", "m").with_hint("h")).hint() == "h");
}
