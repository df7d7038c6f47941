// `shadegap check`: validate the inputs, the model and the output folder; run nothing.
// SPDX-License-Identifier: MIT
#include "commands.hpp"
#include "options.hpp"
#include "terminal.hpp"

#include "shadegap/pipeline.hpp"

#include <fmt/format.h>

#include <memory>

namespace shadegap::cli {
namespace {

constexpr std::string_view NAME = "check";
constexpr std::string_view DESCRIPTION =
    "Check a project's inputs, model and output folder as run would, without running.";

struct CheckState {
    RunOptions options;
    ReportOptions report;
};

void add_options(CLI::App& app, CheckState& state) {
    state.options.add_to(app);
    add_report_options(app, state.report);
}

/// What the run would use: "canopy landcover.tif (classes=1); units blocks.gpkg by GEOID; ...".
std::string summary(const RunConfig& config, std::size_t warning_count) {
    std::string text = fmt::format("canopy {} ({})", config.canopy, config.canopy_kind.to_string());
    if (!config.shade.empty()) text += fmt::format("; shade {} ({} mask)", config.shade, to_string(config.shade_mask));
    text += fmt::format("; units {} by {}", config.units, config.unit_id);
    if (!config.join.empty()) text += fmt::format(" joined with {} by {}", config.join, config.join_key);
    if (!config.neighbourhoods.empty())
        text += fmt::format("; ranking neighbourhoods {} by {}", config.neighbourhoods, config.neighbourhood_id);
    else if (!config.group_by.empty())
        text += "; ranking groups by " + config.group_by;
    else
        text += "; ranking census units";
    text += fmt::format("; model {}; output {}", config.model, config.out);
    if (warning_count > 0) text += "; " + count_of(warning_count, "warning");
    return text;
}

/// The command; its usage errors name configuration keys, which run() names as the user gave them.
int run_checked(CheckState& state) {
    const RunConfig config = state.options.build();
    state.options.check_inputs_exist(config);
    const Diagnostics diagnostics = validate(config);
    if (state.report.quiet) return 0;
    for (const Warning& warning : diagnostics.warnings()) print_warning(warning);
    const std::string subject = config.project_file.empty() ? std::string("options") : config.project_file;
    print_note(fmt::format("{}: ok — {}", subject, summary(config, diagnostics.warnings().size())));
    return 0;
}

int run(CheckState& state) {
    try {
        return run_checked(state);
    } catch (const UsageError& error) {
        throw state.options.named(error);
    }
}

CommandRunner setup(CLI::App& app) {
    auto state = std::make_shared<CheckState>();
    add_options(app, *state);
    return [state] { return run(*state); };
}

}  // namespace

const Command check_command{NAME, DESCRIPTION, &setup};

}  // namespace shadegap::cli
