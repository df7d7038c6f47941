// Option groups shared by `run` and `check`, and the merge of flags over a project file.
// SPDX-License-Identifier: MIT
#pragma once

#include "shadegap/config.hpp"
#include "shadegap/error.hpp"
#include "shadegap/options.hpp"

#include <CLI/CLI.hpp>

#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

namespace shadegap::cli {

/// CLI11's help formatter without its "Excludes:" and "..." notes (the option descriptions
/// say those in words): each option shows its name and the type of its value.
std::shared_ptr<CLI::Formatter> make_help_formatter();

/// How much a command says on stderr besides errors.
struct ReportOptions {
    bool quiet = false;     ///< errors only
    bool progress = false;  ///< draw the progress bar even when stderr is not a terminal
    bool verbose = false;   ///< also the time each stage took
};

/// Adds --quiet, --progress and -v/--verbose to `app`.
void add_report_options(CLI::App& app, ReportOptions& report);

/// Whether to draw the progress bar: on a terminal or with --progress, never with --quiet.
bool shows_progress(const ReportOptions& report);

/// The options of `run` and `check`: the positional project file and every flag, bound
/// straight to a RunConfig. The options keep pointers into this object, so it neither
/// copies nor moves.
class RunOptions {
public:
    RunOptions() = default;
    RunOptions(const RunOptions&) = delete;
    RunOptions& operator=(const RunOptions&) = delete;

    /// Adds PROJECT.toml and the run options to `app`, which must outlive this object's use.
    void add_to(CLI::App& app);

    /// The configuration after parsing: the project file (if one was given) with every
    /// flag the user gave over it; --field entries replace the file's mapping role by
    /// role; then check_config(). Reads only the project file. Throws UsageError for
    /// missing, malformed or contradictory options (its subject a configuration key, see
    /// named()) and InputError for an unreadable project file.
    RunConfig build();

    /// `error` with its subject named as the user gave it when the subject is a
    /// configuration key: "join_key" → "--join-key" (flag given) or "join_key in
    /// city.toml"; "fields.poverty" → "--field poverty=POV" or "fields.poverty in
    /// city.toml". A key given nowhere (a required one) is named by its flag, with the
    /// hint "see shadegap COMMAND --help". Other subjects are kept. Call after build().
    UsageError named(const UsageError& error) const;

    /// Throws InputError "PATH: no such file (--canopy)" when an input of `config` does
    /// not exist, naming the flag or project key it came from. Paths that are not plain
    /// (is_plain_path: /vsi..., PG:...) are not checked.
    void check_inputs_exist(const RunConfig& config) const;

    /// The project file given on the command line, or empty.
    const std::string& project_file() const { return m_project; }

private:
    struct Binding {
        const RunOption* spec = nullptr;
        CLI::Option* option = nullptr;
        std::function<void(RunConfig&)> copy_flag;  ///< copies the parsed value into a config
    };

    /// Adds the CLI11 option of one row of run_options().
    void bind(CLI::App& app, const RunOption& spec);
    const Binding* binding_of(const std::string& key) const;
    /// How the user gave a configuration key ("canopy", "fields.population"): its flag
    /// when given on the command line (or given nowhere), "canopy in PROJECT.toml" when
    /// it came from the file; empty when `key` is not a configuration key.
    std::string origin(const std::string& key) const;

    std::string m_command = "run";  ///< for hints: "see shadegap run --help"
    std::string m_project;
    RunConfig m_flags;
    std::set<std::string> m_project_keys;  ///< the keys the project file set
    /// The ROLE=VALUE arguments of each table option (--field, --scale, --equity-group), by key.
    std::map<std::string, std::vector<std::string>> m_table_args;
    /// The text of each CanopyKind and Choice option, by key (RunConfig holds the typed value).
    std::map<std::string, std::string> m_texts;
    std::vector<Binding> m_bindings;
};

/// Parses `run` arguments (without the program and command names) as `shadegap run`
/// does and returns the merged configuration. Throws UsageError for bad, missing or
/// contradictory options (CLI11's parse errors included) and InputError for an
/// unreadable project file. Reads nothing but the project file.
RunConfig parse_run_arguments(const std::vector<std::string>& args);

/// Turns a CLI11 parse error into a UsageError whose subject is the option at fault
/// (when CLI11 names one), with the hint "see shadegap COMMAND --help".
UsageError usage_error_from(const CLI::ParseError& error, const std::string& command);

}  // namespace shadegap::cli
