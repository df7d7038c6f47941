// The options of `shadegap run`, declared once: key, flag, type, help; and the rules between them.
// SPDX-License-Identifier: MIT
#pragma once

#include "shadegap/config.hpp"

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace shadegap {

/// What an option's value is, which decides how the project file, the command line and
/// check_config() read it.
enum class OptionType {
    InputPath,    ///< a file GDAL/OGR or shadegap reads; relative to the project file's folder
    OutputPath,   ///< the output folder; relative to the project file's folder
    String,       ///< a layer or field name, a join key
    CanopyKind,   ///< a canopy kind (RunConfig holds a CanopyKind), as CanopyKind::parse reads its text
    Choice,       ///< one of RunOption::choices (RunConfig holds the enum: ShadeMaskKind, OutputFormat)
    Model,        ///< a built-in model name, or a model file (then resolved like InputPath)
    Numbers,      ///< raster values: [4, 11] or "4,11" in the file, 4,11 on the command line
    Flag,         ///< true or false in the file; a flag without a value on the command line
    Count,        ///< an integer ≥ 0
    Real,         ///< a number ≥ 0
    RoleColumns,  ///< table ROLE = "COLUMN" in the file; --field ROLE=COLUMN, repeatable
    RoleFactors,  ///< table ROLE = FACTOR (above 0) in the file; --scale ROLE=FACTOR, repeatable
};

/// The member of RunConfig an option sets; its alternative matches the option's type.
using RunConfigMember =
    std::variant<std::string RunConfig::*, std::vector<double> RunConfig::*, bool RunConfig::*, int RunConfig::*,
                 double RunConfig::*, std::map<std::string, std::string> RunConfig::*,
                 std::map<std::string, double> RunConfig::*, CanopyKind RunConfig::*, ShadeMaskKind RunConfig::*,
                 OutputFormat RunConfig::*>;

/// One option of `shadegap run` (and `check`).
struct RunOption {
    std::string key;                   ///< project-file key: "canopy_kind", "fields"
    std::string flag;                  ///< main command-line name: "--canopy-kind", "--field"
    std::vector<std::string> aliases;  ///< other spellings of the key, each also a flag with dashes
    OptionType type;
    RunConfigMember member;
    std::string placeholder;           ///< the value in --help and messages: "PATH", "ROLE=FIELD"; empty for a Flag
    std::string group;                 ///< the --help section: "Inputs", "Ranking units", "Model", "Output"
    std::string help;                  ///< the --help text: full sentences with units and default
    bool required = false;             ///< must be set, by a flag or in the project file
    std::vector<std::string> needs;    ///< keys that must be set when this one is
    std::vector<std::string> choices;  ///< the values a Choice takes
    /// The one command that takes it ("walks"), or empty: every command that takes the run
    /// options (run, check, walks). A project file may hold any key; a command uses its own.
    std::string command;

    /// The key and its aliases: "neighbourhoods", "neighborhoods".
    std::vector<std::string> keys() const;
    /// The flag and its aliases: "--neighbourhoods", "--neighborhoods".
    std::vector<std::string> flags() const;
    /// Whether a relative value resolves against the project file's folder (for a Model,
    /// only when it names a file; never for a path that is not plain).
    bool resolves_path() const;
};

/// Whether `command` ("run", "check", "walks") takes the option.
bool takes_option(const std::string& command, const RunOption& option);

/// Every option of `shadegap run`, `check` and `walks`, in the order of `--help`.
const std::vector<RunOption>& run_options();

/// The option with this key or alias, or nullptr.
const RunOption* find_run_option(std::string_view key);

/// Whether `model` names a model file (it holds a '/' or ends in .toml) rather than a
/// built-in model.
bool names_model_file(const std::string& model);

/// What is wrong with a CanopyKind or Choice value ("expected land or walkable, got
/// \"paths\""), or empty when it is fine; empty for the other types.
std::string problem_with_value(const RunOption& option, const std::string& value);

/// Sets a CanopyKind or Choice option of `config` from its text, the edge where the text
/// becomes the typed value. Throws UsageError (subject: the key) when problem_with_value()
/// finds a problem.
void set_option_text(const RunOption& option, const std::string& text, RunConfig& config);

/// The text of a CanopyKind or Choice option's value in `config`: "classes=1,2", "walkable".
std::string option_text(const RunOption& option, const RunConfig& config);

/// How to give an option, for messages: its key with its placeholder as key_text() writes it,
/// "`join_key = FIELD`" (the CLI shows "--join-key FIELD (or join_key in the project file)"
/// where it is the whole of what check_config() asks for, see check_config()).
std::string how_to_give(const RunOption& option);

/// One option of `shadegap shade` or `shadegap sun` as the library names it and as the
/// command line gives it. The key is the subject of the library's errors about the option,
/// is written between backquotes (key_text()) in its messages and hints, and is the keyword
/// of shadegap.shade() and shadegap.sun() in Python; the flag is the key with '_' as '-'
/// after "--".
struct CommandKey {
    std::string key;          ///< "sun_tolerance"
    std::string flag;         ///< "--sun-tolerance"
    bool takes_value = true;  ///< false for an option that is on or off (force_tz, overwrite)
};

/// The options of `shadegap shade` by key: surface, buildings, canopy_height (ShadeConfig's
/// paths), transmissivity, date, time, step, tz, force_tz, sun_tolerance (ShadeConfig's
/// dates, window, step_minutes, zone, force_tz, sun_tolerance_deg), out, masks (masks_dir),
/// overwrite, threads.
const std::vector<CommandKey>& shade_keys();

/// The options of `shadegap sun` by key: lat, lon, raster, at, date, time, step, tz,
/// force_tz.
const std::vector<CommandKey>& sun_keys();

/// The flag of a configuration key: of an option of run_options() (the key or an alias:
/// "rank_by" → "--rank-by", "fields" → "--field"), else of shade_keys() or sun_keys()
/// ("canopy_height" → "--canopy-height"); empty when `key` is neither.
std::string flag_of_key(std::string_view key);

/// `text` (an error's message or hint) with every configuration key named in it as key_text()
/// writes one (error.hpp) shown as the command line gives it: "`rank_by = FIELD`" as
/// "--rank-by FIELD", "`fields.population = COLUMN`" as "--field population=COLUMN",
/// "`allow_unmatched = true`" as "--allow-unmatched", "`out`" as "--out", and the keys of
/// shade_keys() and sun_keys() the same way: "`canopy_height = PATH`" as "--canopy-height PATH",
/// "`force_tz = true`" as "--force-tz". Backquoted text that names no option of run_options(),
/// shade_keys() or sun_keys() is kept as it is.
std::string keys_as_flags(std::string_view text);

/// Names a configuration key inside a message; check_config() uses the key itself when
/// given none. The CLI names it as the user gave it: "--join" or "join in city.toml".
using KeyNamer = std::function<std::string(const std::string& key)>;

/// Checks that the options of `config` fit together, without any I/O: the required keys
/// (canopy, units, unit_id, out), the values (canopy_kind, shade_mask, join_key's form
/// FIELD or UNITS_FIELD=CSV_FIELD, model not empty, counts ≥ 0, [scale] factors above 0,
/// [fields] columns not empty), neighbourhoods vs group_by, the keys each key needs
/// (join and join_key, neighbourhoods and neighbourhood_id, neighbourhood_* and
/// neighbourhoods), shade_mask walkable with walkable_classes, shade_mask other than
/// land only with shade. Throws UsageError whose subject is the configuration key at
/// fault ("join_key", "fields.population"), the first in that order; its message names
/// other keys as key_text() does: "required; give `out = DIR`", "needs `join_key = FIELD`".
/// With `needs_out` false, `out` may be empty (compute() runs in memory).
void check_config(const RunConfig& config, const KeyNamer& name_key = {}, bool needs_out = true);

}  // namespace shadegap
