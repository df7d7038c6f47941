// `shadegap run` and `shadegap walks`: the whole pipeline, from a project file and/or flags.
// SPDX-License-Identifier: MIT
#include "commands.hpp"
#include "interrupt.hpp"
#include "options.hpp"
#include "terminal.hpp"

#include "shadegap/pipeline.hpp"
#include "shadegap/shard.hpp"

#include <fmt/format.h>

#include <filesystem>
#include <memory>

namespace shadegap::cli {
namespace {

constexpr std::string_view NAME = "run";
constexpr std::string_view DESCRIPTION =
    "Rank neighbourhoods for tree planting and write the priority map, tables and run.json.";
constexpr std::string_view PLAN_NAME = "plan";
constexpr std::string_view PLAN_DESCRIPTION =
    "Plan where trees go: sites on plantable land, trees where they close the most equity-weighted gap (and run).";
constexpr std::string_view WALKS_NAME = "walks";
constexpr std::string_view WALKS_DESCRIPTION =
    "Walk every resident to the nearest destination over the streets and measure the shade on the way (and run).";

struct RunState {
    RunOptions options;
    ReportOptions report;
};

void add_options(CLI::App& app, RunState& state) {
    state.options.add_to(app);
    add_report_options(app, state.report);
}

/// "8 neighbourhoods", "5 groups of WARD" or "120 census units".
std::string ranked_units(const RunConfig& config, std::size_t count) {
    if (!config.neighbourhoods.empty()) return count_of(count, "neighbourhood");
    if (!config.group_by.empty()) return count_of(count, "group") + " of " + config.group_by;
    return count_of(count, "census unit");
}

std::string summary(const RunConfig& config, const RunResult& result) {
    std::string text = "ranked " + ranked_units(config, result.ranking_unit_count);
    if (!config.neighbourhoods.empty() || !config.group_by.empty())
        text += " (from " + count_of(result.unit_count, "census unit") + ")";
    if (result.variables_used.size() < result.model_variables)
        text += fmt::format("; model {} with {} of {} variables", result.model, result.variables_used.size(),
                            result.model_variables);
    text += result.city_score ? fmt::format("; city score {:.0f}", *result.city_score) : "; no city score";
    if (config.plan)
        text += fmt::format("; planted {} of {} trees", result.plan_trees_planted, result.plan_trees_asked);
    if (config.walks) {
        text += fmt::format("; walked {}", count_of(result.walk_agents, "agent"));
        text += result.walk_shade_pct ? fmt::format(", {:.1f} % of the walk in shade", *result.walk_shade_pct)
                                      : std::string(", none reaching a destination");
        if (result.walk_no_destination > 0)
            text += fmt::format(", {} without a destination within {} m", result.walk_no_destination, config.max_walk_m);
    }
    if (!result.outputs.empty()) {
        std::string names;
        for (const std::string& output : result.outputs) {
            if (!names.empty()) names += ", ";
            names += std::filesystem::path(output).filename().string();
        }
        text += fmt::format("; wrote {} in {}", names, config.out);
    }
    return text;
}

/// `run --shard I/N`: measures one share and writes its sums (docs/scale.md).
int run_shard_checked(const RunConfig& config, const ReportOptions& report) {
    const ShardResult result = run_interruptible(
        config.out, report, [&](const ProgressFn& progress) { return run_shard(config, progress); });
    if (report.quiet) return 0;
    for (const Warning& warning : result.diagnostics.warnings()) print_warning(warning);
    if (report.verbose)
        for (const StageTiming& timing : result.timings) print_note(fmt::format("[{:.2f} s] {}", timing.seconds, timing.stage));
    std::string text = fmt::format("measured shard {}/{}: {} of {}", result.shard.index, result.shard.count, result.units,
                                   count_of(result.unit_count, "census unit"));
    if (!config.neighbourhoods.empty()) text += " and " + count_of(result.pieces, "neighbourhood piece");
    print_note(text + "; wrote shard.json, sums.tsv in " + config.out + " (shadegap merge makes the outputs)");
    return 0;
}

/// The command; its usage errors name configuration keys, which run() names as the user gave them.
int run_checked(RunState& state) {
    const RunConfig config = state.options.build();
    state.options.check_inputs_exist(config);
    if (!config.shard.empty()) return run_shard_checked(config, state.report);
    // Stages and overlay batches report on the main thread: the places to stop.
    const RunResult result = run_interruptible(
        config.out, state.report, [&](const ProgressFn& progress) { return run_pipeline(config, progress); });
    if (state.report.quiet) return 0;
    for (const Warning& warning : result.diagnostics.warnings()) print_warning(warning);
    if (state.report.verbose) {
        double total = 0;
        for (const StageTiming& timing : result.timings) {
            print_note(fmt::format("[{:.2f} s] {}", timing.seconds, timing.stage));
            total += timing.seconds;
        }
        print_note(fmt::format("[{:.2f} s] total", total));
    }
    print_note(summary(config, result));
    return 0;
}

int run(RunState& state) {
    try {
        return run_checked(state);
    } catch (const UsageError& error) {
        throw state.options.named(error);
    }
}

CommandRunner setup(CLI::App& app) {
    auto state = std::make_shared<RunState>();
    add_options(app, *state);
    return [state] { return run(*state); };
}

}  // namespace

// `shadegap walks` is the run with the walks stage: the same options and outputs, and the
// walks' own (the options of the "walks" command in run_options()).
const Command run_command{NAME, DESCRIPTION, &setup};
const Command walks_command{WALKS_NAME, WALKS_DESCRIPTION, &setup};
const Command plan_command{PLAN_NAME, PLAN_DESCRIPTION, &setup};

}  // namespace shadegap::cli
