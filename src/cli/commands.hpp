// The registry of sub-commands: name, one-line description, options and the run step.
// SPDX-License-Identifier: MIT
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <string_view>
#include <vector>

namespace shadegap::cli {

/// Runs a sub-command after its options are parsed; returns the exit status. Throws
/// shadegap::Error subclasses, which main() turns into one-line messages.
using CommandRunner = std::function<int()>;

/// One sub-command of `shadegap`, defined in its cmd_<name>.cpp.
struct Command {
    std::string_view name;
    std::string_view description;  ///< one line, for the help listing
    /// Adds the command's options to `app`, bound to state that the returned runner owns.
    CommandRunner (*setup)(CLI::App& app);
};

extern const Command run_command;
extern const Command info_command;
extern const Command models_command;
extern const Command check_command;
extern const Command shade_command;
extern const Command sun_command;
extern const Command walks_command;
extern const Command plan_command;
extern const Command merge_command;

/// Every sub-command, in the order of the help listing.
inline std::vector<const Command*> commands() {
    return {&run_command, &check_command, &info_command, &models_command, &shade_command, &sun_command, &plan_command, &walks_command,
            &merge_command};
}

}  // namespace shadegap::cli
