// shadegap: dispatch to sub-commands; the one place where errors become messages.
// SPDX-License-Identifier: MIT
#include "commands.hpp"
#include "interrupt.hpp"
#include "options.hpp"
#include "terminal.hpp"

#include "shadegap/error.hpp"
#include "shadegap/version.hpp"

#include <CLI/CLI.hpp>

#include <csignal>

#include <iostream>
#include <map>
#include <string>

namespace {

/// "run, check, info, models": the names for an unknown-command message.
std::string command_names() {
    std::string names;
    for (const shadegap::cli::Command* command : shadegap::cli::commands())
        names += (names.empty() ? "" : ", ") + std::string(command->name);
    return names;
}

/// The name of the command being run ("shade"), or empty.
std::string command_name(const CLI::App& app) {
    const std::vector<CLI::App*> selected = app.get_subcommands();
    return selected.empty() ? std::string() : selected.front()->get_name();
}

}  // namespace

int main(int argc, char** argv) {
    using namespace shadegap;
    CLI::App app{"shadegap: where to plant trees first. Ranks a city's neighbourhoods by canopy gap "
                 "and who lives there.",
                 "shadegap"};
    app.set_version_flag("--version", "shadegap " SHADEGAP_VERSION_STRING, "Print the version and exit.");
    app.set_help_flag("-h,--help", "Print this help and exit.");
    app.require_subcommand(0, 1);
    app.formatter(cli::make_help_formatter());
    app.footer("Run 'shadegap COMMAND --help' for a command's options. Exit status: 0 success, "
               "1 bad data or a failed run, 2 bad usage.");

    std::map<const CLI::App*, cli::CommandRunner> runners;
    for (const cli::Command* command : cli::commands()) {
        CLI::App* sub = app.add_subcommand(std::string(command->name), std::string(command->description));
        sub->set_help_flag("-h,--help", "Print this help and exit.");
        sub->footer("Exit status: 0 success, 1 bad data or a failed run, 2 bad usage. Manual: docs/cli/shadegap-" +
                    std::string(command->name) + ".md.");
        runners.emplace(sub, command->setup(*sub));
    }

    try {
        app.parse(argc, argv);
        const std::vector<CLI::App*> selected = app.get_subcommands();
        if (selected.empty()) {
            std::cerr << app.help();
            return 2;
        }
        return runners.at(selected.front())();
    } catch (const CLI::ParseError& error) {
        if (error.get_exit_code() == 0) return app.exit(error);  // --help, --version
        const std::vector<CLI::App*> selected = app.get_subcommands();
        const std::string command = selected.empty() ? std::string() : selected.front()->get_name();
        UsageError usage = cli::usage_error_from(error, command);
        if (command.empty() && usage.message() == "unexpected argument") {
            usage = UsageError(usage.subject(), "unknown command (commands: " + command_names() + ")");
            usage.with_hint("see shadegap --help");
        }
        cli::print_error(usage.subject(), usage.message(), usage.hint());
        return 2;
    } catch (const UsageError& error) {
        cli::print_error(cli::command_subject(command_name(app), error.subject()), error.message(), error.hint());
        return 2;
    } catch (const Interrupted& error) {
        cli::print_error(error.subject(), error.message(), error.hint());
        const int signal = cli::caught_signal();
        return 128 + (signal != 0 ? signal : SIGINT);  // the shell's status for a process ended by it
    } catch (const Error& error) {
        cli::print_error(cli::command_subject(command_name(app), error.subject()), error.message(), error.hint());
        return 1;
    } catch (const std::exception& error) {
        cli::print_error("", error.what());
        return 1;
    }
}
