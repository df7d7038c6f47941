// The table of run options and check_config(): every rule, its key and its message.
// SPDX-License-Identifier: MIT
#include "shadegap/config.hpp"
#include "shadegap/error.hpp"
#include "shadegap/options.hpp"
#include "terminal.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <limits>
#include <set>
#include <string>
#include <variant>

using namespace shadegap;
using Catch::Matchers::Contains;

namespace {

/// A message of the library as the command line prints it (print_error in terminal.cpp).
std::string cli_text(const std::string& message) {
    return keys_as_flags(cli::with_project_file_key(message));
}

}  // namespace

namespace {

/// The smallest configuration check_config() accepts.
RunConfig complete() {
    RunConfig config;
    config.canopy = "c.tif";
    config.units = "u.gpkg";
    config.unit_id = "GEOID";
    config.out = "out";
    return config;
}

/// The UsageError check_config() throws for `config`, or a failed test.
UsageError error_for(const RunConfig& config) {
    try {
        check_config(config);
    } catch (const UsageError& error) {
        return error;
    }
    FAIL("no UsageError");
    return UsageError("", "");
}

/// The variant alternative each type needs.
std::size_t member_index(OptionType type) {
    switch (type) {
    case OptionType::Numbers: return 1;
    case OptionType::Flag: return 2;
    case OptionType::Count: return 3;
    case OptionType::Real: return 4;
    case OptionType::RoleColumns: return 5;
    case OptionType::RoleFactors: return 6;
    case OptionType::CanopyKind: return 7;
    default: return 0;
    }
}

}  // namespace

TEST_CASE("the table: keys and flags follow the naming rule, members fit the types", "[options]") {
    std::set<std::string> keys;
    std::set<const void*> members;
    for (const RunOption& option : run_options()) {
        INFO("option " << option.key);
        const bool is_table = option.type == OptionType::RoleColumns || option.type == OptionType::RoleFactors;
        std::string dashed = option.key;
        std::replace(dashed.begin(), dashed.end(), '_', '-');
        if (!is_table) CHECK(option.flag == "--" + dashed);
        if (option.type == OptionType::Choice)  // an enum: ShadeMaskKind or OutputFormat
            CHECK((option.member.index() == 8 || option.member.index() == 9));
        else
            CHECK(option.member.index() == member_index(option.type));
        CHECK(option.placeholder.empty() == (option.type == OptionType::Flag));
        CHECK_FALSE(option.help.empty());
        CHECK_FALSE(option.group.empty());
        CHECK(option.choices.empty() == (option.type != OptionType::Choice));
        for (const std::string& key : option.keys()) CHECK(keys.insert(key).second);
        for (const std::string& needed : option.needs) CHECK(find_run_option(needed) != nullptr);
        CHECK(find_run_option(option.key) == &option);
        CHECK((option.command.empty() || option.command == "walks" || option.command == "plan" || option.command == "run"));
    }
    CHECK(find_run_option("neighborhoods") == find_run_option("neighbourhoods"));
    CHECK(find_run_option("neighbourhoods")->flags() == std::vector<std::string>{"--neighbourhoods", "--neighborhoods"});
    CHECK(find_run_option("fields")->flag == "--field");
    CHECK(find_run_option("colour") == nullptr);
    CHECK(find_run_option("canopy")->resolves_path());
    CHECK(find_run_option("out")->resolves_path());
    CHECK_FALSE(find_run_option("unit_id")->resolves_path());
}

TEST_CASE("the thread default and the plain-path rule", "[options]") {
    CHECK(RunConfig{}.threads == all_cores);
    CHECK(resolve_threads(3) == 3);
    CHECK(resolve_threads(all_cores) >= 1);

    CHECK(is_plain_path("landcover.tif"));
    CHECK(is_plain_path("/data/landcover.tif"));
    CHECK(is_plain_path("C:/data/landcover.tif"));  // a drive letter is no scheme
    CHECK_FALSE(is_plain_path("/vsizip/tiles.zip/a.tif"));
    CHECK_FALSE(is_plain_path("/vsimem/a.tif"));
    CHECK_FALSE(is_plain_path("PG:dbname=city"));
    CHECK_FALSE(is_plain_path("GPKG:city.gpkg:blocks"));
    CHECK(is_connection_string("PG:dbname=city"));
    CHECK_FALSE(is_connection_string("/vsizip/tiles.zip"));
}

TEST_CASE("check_config accepts a complete configuration", "[options]") {
    CHECK_NOTHROW(check_config(complete()));
    RunConfig config = complete();
    config.join = "acs.csv";
    config.join_key = "GEOID=GEO_ID";
    config.neighbourhoods = "n.gpkg";
    config.neighbourhood_id = "id";
    config.shade = "shade.tif";
    config.shade_mask = ShadeMaskKind::Walkable;
    config.walkable_classes = {2, 3};
    config.fields["population"] = "POP";
    config.scales["poverty"] = 0.01;
    CHECK_NOTHROW(check_config(config));
}

TEST_CASE("check_config: required keys, named by key", "[options]") {
    for (const auto& [key, member] : {std::pair{"canopy", &RunConfig::canopy}, std::pair{"units", &RunConfig::units},
                                      std::pair{"unit_id", &RunConfig::unit_id}, std::pair{"out", &RunConfig::out}}) {
        RunConfig config = complete();
        config.*member = "";
        const UsageError error = error_for(config);
        CHECK(error.subject() == key);
    }
    RunConfig config = complete();
    config.out = "";
    CHECK(error_for(config).message() == "required; give `out = DIR`");
    CHECK(cli_text(error_for(config).message()) == "required; give --out DIR (or out = \"DIR\" in the project file)");
}

TEST_CASE("check_config: options that contradict or need each other", "[options]") {
    RunConfig mixed = complete();
    mixed.neighbourhoods = "n.gpkg";
    mixed.neighbourhood_id = "id";
    mixed.group_by = "WARD";
    const UsageError both = error_for(mixed);
    CHECK(both.subject() == "group_by");
    CHECK(both.message() == "cannot be combined with neighbourhoods; rank either neighbourhoods or groups of census units");
    // The caller names the other key as its user gave it.
    try {
        check_config(mixed, [](const std::string& key) { return "<" + key + ">"; });
        FAIL("no UsageError");
    } catch (const UsageError& error) {
        CHECK_THAT(error.message(), Contains("cannot be combined with <neighbourhoods>"));
    }

    RunConfig join = complete();
    join.join = "acs.csv";
    CHECK(error_for(join).subject() == "join");
    CHECK(error_for(join).message() == "needs `join_key = FIELD`");
    CHECK(cli_text(error_for(join).message()) == "needs --join-key FIELD (or join_key in the project file)");
    join.join = "";
    join.join_key = "GEOID";
    CHECK(error_for(join).subject() == "join_key");
    CHECK(cli_text(error_for(join).message()) == "needs --join CSV (or join in the project file)");

    RunConfig neighbourhoods = complete();
    neighbourhoods.neighbourhoods = "n.gpkg";
    CHECK(error_for(neighbourhoods).subject() == "neighbourhoods");
    CHECK(cli_text(error_for(neighbourhoods).message()) ==
          "needs --neighbourhood-id FIELD (or neighbourhood_id in the project file)");
    for (const auto& [key, member] : {std::pair{"neighbourhoods_layer", &RunConfig::neighbourhoods_layer},
                                      std::pair{"neighbourhood_id", &RunConfig::neighbourhood_id},
                                      std::pair{"neighbourhood_name", &RunConfig::neighbourhood_name}}) {
        RunConfig config = complete();
        config.*member = "x";
        CHECK(error_for(config).subject() == key);
        CHECK(cli_text(error_for(config).message()) ==
              "needs --neighbourhoods PATH (or neighbourhoods in the project file)");
    }
}

TEST_CASE("check_config: the join key's form", "[options]") {
    for (const std::string bad : {"GEOID=", "=GEO_ID", "A=B=C"}) {
        RunConfig config = complete();
        config.join = "acs.csv";
        config.join_key = bad;
        const UsageError error = error_for(config);
        CHECK(error.subject() == "join_key");
        CHECK(error.message() == "expected FIELD or UNITS_FIELD=CSV_FIELD, got \"" + bad + "\"");
    }
}

TEST_CASE("check_config: the shade mask", "[options]") {
    // The mask is an enum in RunConfig: a text becomes one at the edge, and a wrong one is an
    // error on the key there.
    RunConfig value = complete();
    const RunOption& mask = *find_run_option("shade_mask");
    set_option_text(mask, "walkable", value);
    CHECK(value.shade_mask == ShadeMaskKind::Walkable);
    CHECK(option_text(mask, value) == "walkable");
    try {
        set_option_text(mask, "paths", value);
        FAIL("no error for the mask 'paths'");
    } catch (const UsageError& error) {
        CHECK(error.subject() == "shade_mask");
        CHECK(error.message() == "expected land or walkable, got \"paths\"");
    }
    CHECK_THROWS_AS(parse_shade_mask("paths"), UsageError);
    CHECK(parse_output_format("gpkg") == OutputFormat::GeoPackage);
    CHECK(to_string(OutputFormat::GeoJson) == "geojson");
    CHECK(to_string(parse_shade_mask("land")) == "land");

    RunConfig no_shade = complete();
    no_shade.shade_mask = ShadeMaskKind::Walkable;
    no_shade.walkable_classes = {2};
    CHECK(error_for(no_shade).subject() == "shade_mask");
    CHECK(error_for(no_shade).message() == "needs `shade = PATH`");
    CHECK(cli_text(error_for(no_shade).message()) == "needs --shade PATH (or shade in the project file)");

    RunConfig no_classes = complete();
    no_classes.shade = "s.tif";
    no_classes.shade_mask = ShadeMaskKind::Walkable;
    CHECK(error_for(no_classes).subject() == "shade_mask");
    CHECK(cli_text(error_for(no_classes).message()) ==
          "walkable needs --walkable-classes V1,V2,... (the land-cover values of roads, sidewalks and open ground)");
    // No library message of check_config names a flag.
    for (const RunConfig& config : {no_shade, no_classes}) CHECK(error_for(config).message().find("--") == std::string::npos);
}

TEST_CASE("check_config: values a program can set that no flag or file allows", "[options]") {
    RunConfig kind = complete();
    kind.canopy_kind.type = CanopyKind::Type::Classes;  // and no class
    CHECK(error_for(kind).subject() == "canopy_kind");
    CHECK_THAT(error_for(kind).message(), Contains("classes="));
    kind.canopy_kind.type = CanopyKind::Type::Min;
    kind.canopy_kind.threshold = std::numeric_limits<double>::quiet_NaN();
    CHECK(error_for(kind).subject() == "canopy_kind");

    RunConfig threads = complete();
    threads.threads = -1;
    CHECK(error_for(threads).subject() == "threads");
    CHECK(error_for(threads).message() == "expected an integer ≥ 0, got -1");

    RunConfig model = complete();
    model.model = "";
    CHECK(error_for(model).subject() == "model");

    RunConfig scale = complete();
    scale.scales["poverty"] = 0;
    CHECK(error_for(scale).subject() == "scale.poverty");
    CHECK(error_for(scale).message() == "expected a number above 0 (0.01 for a column in percent), got 0");
    scale.scales["poverty"] = std::numeric_limits<double>::quiet_NaN();
    CHECK(error_for(scale).subject() == "scale.poverty");

    RunConfig fields = complete();
    fields.fields["population"] = "";
    CHECK(error_for(fields).subject() == "fields.population");
}

TEST_CASE("keys_as_flags shows the keys a library message names as their flags", "[options]") {
    CHECK(key_text("rank_by", "FIELD") == "`rank_by = FIELD`");
    CHECK(key_text("out") == "`out`");
    CHECK(keys_as_flags("give the column with `rank_by = FIELD`") == "give the column with --rank-by FIELD");
    CHECK(keys_as_flags("map it with `fields.population = COLUMN`") == "map it with --field population=COLUMN");
    CHECK(keys_as_flags("`scale.poverty = 0.01` `scale.poc = 0.01`") == "--scale poverty=0.01 --scale poc=0.01");
    CHECK(keys_as_flags("`equity_group.black = FIELD`") == "--equity-group black=FIELD");
    CHECK(keys_as_flags("`allow_unmatched = true` runs") == "--allow-unmatched runs");
    CHECK(keys_as_flags("use `overwrite = true`, or choose another `out`") == "use --overwrite, or choose another --out");
    CHECK(keys_as_flags("name each side with `join_key = UNITS_FIELD=CSV_FIELD`") ==
          "name each side with --join-key UNITS_FIELD=CSV_FIELD");
    CHECK(keys_as_flags("use `canopy_kind = classes=C1,C2,...`") == "use --canopy-kind classes=C1,C2,...");
    CHECK(keys_as_flags("`neighborhoods`") == "--neighbourhoods");  // an alias: the main flag
    // Backquotes that name no key stay as they are, and do not pair with a later key.
    CHECK(keys_as_flags("file `a.tif` and `out`") == "file `a.tif` and --out");
    CHECK(keys_as_flags("one ` and `out`") == "one ` and --out");
    CHECK(keys_as_flags("no key at all") == "no key at all");
    CHECK(keys_as_flags("`unterminated") == "`unterminated");
}
