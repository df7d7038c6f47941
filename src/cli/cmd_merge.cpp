// `shadegap merge`: the shard folders of `run --shard I/N` into the outputs of one run.
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

constexpr std::string_view NAME = "merge";
constexpr std::string_view DESCRIPTION =
    "Merge the shard folders of run --shard I/N into the outputs of one run, byte for byte.";

struct MergeState {
    std::vector<std::string> dirs;
    std::string out;
    bool overwrite = false;
    int threads = all_cores;
    ReportOptions report;
};

void add_options(CLI::App& app, MergeState& state) {
    app.add_option("SHARD_DIR", state.dirs,
                   "The folders that shadegap run PROJECT.toml --shard I/N --out SHARD_DIR wrote, one for each I "
                   "from 1 to N, in any order. Required.")
        ->required()
        ->type_name("");
    app.add_option("--out", state.out,
                   "Output folder for the outputs the run's options ask for (priority.geojson, priority.csv, "
                   "units.csv, run.json and the others); created when missing. Required.")
        ->required()
        ->type_name("DIR")
        ->group("Output");
    app.add_flag("--overwrite", state.overwrite,
                 "Replace outputs that already exist in --out. Default: stop with an error instead.")
        ->group("Output");
    app.add_option("--threads", state.threads,
                   fmt::format("Number of threads for the GeoJSON output and the draws of --draws; {0} uses all "
                               "cores. Results are identical for any count. Default: {0}.",
                               all_cores))
        ->type_name("N")
        ->group("Output");
    add_report_options(app, state.report);
}

int run(MergeState& state) {
    if (state.threads < 0)
        throw UsageError("--threads", fmt::format("expected an integer ≥ 0, got {}", state.threads));
    const RunConfig config = merge_config(state.dirs, state.out, state.overwrite, state.threads);
    const RunResult result = run_interruptible(
        config.out, state.report, [&](const ProgressFn& progress) { return run_pipeline(config, progress); });
    if (state.report.quiet) return 0;
    for (const Warning& warning : result.diagnostics.warnings()) print_warning(warning);
    if (state.report.verbose)
        for (const StageTiming& timing : result.timings)
            print_note(fmt::format("[{:.2f} s] {}", timing.seconds, timing.stage));
    std::string names;
    for (const std::string& output : result.outputs)
        names += (names.empty() ? "" : ", ") + std::filesystem::path(output).filename().string();
    print_note(fmt::format("merged {}: ranked {} (from {}); {}; wrote {} in {}", count_of(state.dirs.size(), "shard"),
                           count_of(result.ranking_unit_count, "unit"), count_of(result.unit_count, "census unit"),
                           result.city_score ? fmt::format("city score {:.0f}", *result.city_score) : "no city score",
                           names, config.out));
    return 0;
}

CommandRunner setup(CLI::App& app) {
    auto state = std::make_shared<MergeState>();
    add_options(app, *state);
    return [state] { return run(*state); };
}

}  // namespace

const Command merge_command{NAME, DESCRIPTION, &setup};

}  // namespace shadegap::cli
