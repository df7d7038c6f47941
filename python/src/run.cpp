// run(), walks() and plan(): keywords turned into a RunConfig through the table of run options.
// SPDX-License-Identifier: MIT
#include "bindings.hpp"

#include "shadegap/config.hpp"
#include "shadegap/error.hpp"
#include "shadegap/options.hpp"
#include "shadegap/outcome.hpp"
#include "shadegap/pipeline.hpp"

#include <fmt/format.h>
#include <pybind11/numpy.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <limits>
#include <string>
#include <type_traits>
#include <variant>

namespace shadegap::python {
namespace {

std::string repr_of(const py::handle& value) {
    std::string text = py::repr(value).cast<std::string>();
    if (text.size() > 60) text = text.substr(0, 57) + "...";
    return text;
}

UsageError wrong_value(const RunOption& option, const std::string& expected, const py::handle& value) {
    return UsageError(option.key, fmt::format("expected {}, got {}", expected, repr_of(value)));
}

bool is_bool(const py::handle& value) {
    return PyBool_Check(value.ptr()) || py::isinstance(value, py::module_::import("numpy").attr("bool_"));
}

bool is_integer(const py::handle& value) {
    return !is_bool(value) && py::isinstance(value, py::module_::import("numbers").attr("Integral"));
}

bool is_real(const py::handle& value) {
    return !is_bool(value) && py::isinstance(value, py::module_::import("numbers").attr("Real"));
}

/// A text value: a str, or a path (os.PathLike) for the options that name files.
std::string text_of(const RunOption& option, const py::handle& value) {
    if (py::isinstance<py::str>(value)) return value.cast<std::string>();
    if (option.type != OptionType::String && option.type != OptionType::CanopyKind &&
        option.type != OptionType::Choice && py::hasattr(value, "__fspath__"))
        return py::str(py::module_::import("os").attr("fspath")(value)).cast<std::string>();
    return std::string();
}

double real_of(const RunOption& option, const py::handle& value, const std::string& expected) {
    if (!is_real(value)) throw wrong_value(option, expected, value);
    return value.cast<double>();
}

/// Raster values: a number, a sequence of numbers, or "4,11" as on the command line.
std::vector<double> numbers_of(const RunOption& option, const py::handle& value) {
    const std::string expected = "a number or a list of numbers (e.g. [4, 11])";
    std::vector<double> numbers;
    if (py::isinstance<py::str>(value)) {
        const std::string text = value.cast<std::string>();
        std::size_t start = 0;
        while (start <= text.size()) {
            const std::size_t comma = std::min(text.find(',', start), text.size());
            const std::string piece = text.substr(start, comma - start);
            try {
                std::size_t used = 0;
                numbers.push_back(std::stod(piece, &used));
                if (used != piece.size()) throw std::invalid_argument(piece);
            } catch (const std::exception&) {
                throw wrong_value(option, expected, value);
            }
            start = comma + 1;
        }
        return numbers;
    }
    if (is_real(value)) return {value.cast<double>()};
    if (!py::isinstance<py::iterable>(value)) throw wrong_value(option, expected, value);
    for (const py::handle item : value) numbers.push_back(real_of(option, item, expected));
    return numbers;
}

/// Sets one option of `config` from a keyword's value, by the option's type in the table.
void set_option(RunConfig& config, const RunOption& option, const py::handle& value) {
    switch (option.type) {
    case OptionType::InputPath:
    case OptionType::OutputPath:
    case OptionType::String:
    case OptionType::Model: {
        const std::string text = text_of(option, value);
        if (text.empty()) throw wrong_value(option, option.resolves_path() ? "a str or a path" : "a str", value);
        config.*std::get<std::string RunConfig::*>(option.member) = text;
        return;
    }
    case OptionType::CanopyKind:
    case OptionType::Choice: {
        const std::string text = text_of(option, value);
        if (text.empty()) throw wrong_value(option, "a str", value);
        set_option_text(option, text, config);
        return;
    }
    case OptionType::Numbers:
        config.*std::get<std::vector<double> RunConfig::*>(option.member) = numbers_of(option, value);
        return;
    case OptionType::Flag:
        if (!is_bool(value)) throw wrong_value(option, "True or False", value);
        config.*std::get<bool RunConfig::*>(option.member) = value.cast<bool>();
        return;
    case OptionType::Count: {
        if (!is_integer(value)) throw wrong_value(option, "an integer ≥ 0", value);
        const long long count = value.cast<long long>();
        if (count < 0 || count > 1'000'000'000) throw wrong_value(option, "an integer ≥ 0", value);
        config.*std::get<int RunConfig::*>(option.member) = static_cast<int>(count);
        return;
    }
    case OptionType::Real:
        config.*std::get<double RunConfig::*>(option.member) = real_of(option, value, "a number ≥ 0");
        return;
    case OptionType::RoleColumns: {
        if (!py::isinstance<py::dict>(value)) throw wrong_value(option, "a dict of ROLE: \"COLUMN\"", value);
        auto& table = config.*std::get<std::map<std::string, std::string> RunConfig::*>(option.member);
        for (const auto item : value.cast<py::dict>()) {
            if (!py::isinstance<py::str>(item.first) || !py::isinstance<py::str>(item.second))
                throw wrong_value(option, "a dict of ROLE: \"COLUMN\" (both str)", value);
            table[item.first.cast<std::string>()] = item.second.cast<std::string>();
        }
        return;
    }
    case OptionType::RoleFactors: {
        if (!py::isinstance<py::dict>(value)) throw wrong_value(option, "a dict of ROLE: FACTOR", value);
        auto& table = config.*std::get<std::map<std::string, double> RunConfig::*>(option.member);
        for (const auto item : value.cast<py::dict>()) {
            if (!py::isinstance<py::str>(item.first)) throw wrong_value(option, "a dict of ROLE: FACTOR (ROLE a str)", value);
            table[item.first.cast<std::string>()] = real_of(option, item.second, "a dict of ROLE: FACTOR");
        }
        return;
    }
    }
}

/// The configuration of `command` ("run", "walks", "plan"): the project file's keys, then the
/// keywords over them (a table's roles one by one, as --field does), then check_config(), with
/// `out` optional (without it the run's tables stay in memory).
RunConfig build_config(const py::object& project, const py::dict& options, const std::string& command) {
    RunConfig config;
    if (!project.is_none()) {
        std::string path;
        if (py::isinstance<py::str>(project) || py::hasattr(project, "__fspath__"))
            path = py::str(py::module_::import("os").attr("fspath")(project)).cast<std::string>();
        if (path.empty())
            throw UsageError("project", "expected the path of a project file (TOML), got " + repr_of(project));
        config = read_project_file(path);
    }
    config.walks = command == "walks";
    config.plan = command == "plan";
    for (const auto item : options) {
        const std::string key = item.first.cast<std::string>();
        if (item.second.is_none()) continue;
        const RunOption* option = find_run_option(key);
        if (!option) {
            UsageError error(key, "unknown option");
            error.with_hint("shadegap.options() lists them: the project file's keys");
            throw error;
        }
        if (!takes_option(command, *option)) {
            UsageError error(key, fmt::format("is an option of {}, not of {}", option->command, command));
            error.with_hint(fmt::format("call shadegap.{}(...)", option->command));
            throw error;
        }
        set_option(config, *option, item.second);
    }
    check_config(config, {}, false);
    return config;
}

const char* type_name(OptionType type) {
    switch (type) {
    case OptionType::InputPath: return "input path";
    case OptionType::OutputPath: return "output path";
    case OptionType::String: return "str";
    case OptionType::CanopyKind: return "canopy kind";
    case OptionType::Choice: return "choice";
    case OptionType::Model: return "model";
    case OptionType::Numbers: return "numbers";
    case OptionType::Flag: return "bool";
    case OptionType::Count: return "int";
    case OptionType::Real: return "float";
    case OptionType::RoleColumns: return "dict of str";
    case OptionType::RoleFactors: return "dict of float";
    }
    return "";
}

py::list describe_options() {
    py::list list;
    for (const RunOption& option : run_options()) {
        py::dict entry;
        entry["key"] = option.key;
        entry["aliases"] = option.aliases;
        entry["flag"] = option.flag;
        entry["type"] = type_name(option.type);
        entry["choices"] = option.choices;
        entry["group"] = option.group;
        entry["command"] = option.command.empty() ? std::string("run") : option.command;
        entry["required"] = option.required;
        entry["help"] = option.help;
        list.append(entry);
    }
    return list;
}

/// A table of a run as a dict of NumPy arrays, in the CSV file's column order: reals float64
/// (NaN for null), integers int64 (float64 with NaN when some value is null), texts object
/// arrays (None for null).
py::dict columns_of(const ResultTable& table) {
    const py::object numpy = py::module_::import("numpy");
    py::dict columns;
    for (const ResultColumn& column : table.columns) {
        const std::size_t n = column.size();
        const bool has_null = std::find(column.valid.begin(), column.valid.end(), 0) != column.valid.end();
        const py::str name(column.name);
        switch (column.type()) {
        case ResultColumn::Type::Real: {
            py::array_t<double> array(static_cast<py::ssize_t>(n));
            std::copy(column.reals().begin(), column.reals().end(), array.mutable_data());
            columns[name] = array;
            break;
        }
        case ResultColumn::Type::Integer: {
            if (!has_null) {
                py::array_t<std::int64_t> array(static_cast<py::ssize_t>(n));
                std::copy(column.integers().begin(), column.integers().end(), array.mutable_data());
                columns[name] = array;
            } else {
                py::array_t<double> array(static_cast<py::ssize_t>(n));
                for (std::size_t i = 0; i < n; ++i)
                    array.mutable_data()[i] = column.valid[i] ? static_cast<double>(column.integers()[i])
                                                              : std::numeric_limits<double>::quiet_NaN();
                columns[name] = array;
            }
            break;
        }
        case ResultColumn::Type::Text: {
            py::list items;
            for (std::size_t i = 0; i < n; ++i)
                items.append(column.valid[i] ? py::object(py::str(column.texts()[i])) : py::object(py::none()));
            columns[name] = numpy.attr("array")(items, py::arg("dtype") = "object");
            break;
        }
        }
    }
    return columns;
}

py::dict summary_of(const RunResult& result) {
    py::dict summary;
    summary["outputs"] = result.outputs;
    summary["city_score"] = result.city_score ? py::cast(*result.city_score) : py::none();
    summary["unit_count"] = result.unit_count;
    summary["ranking_unit_count"] = result.ranking_unit_count;
    summary["model"] = result.model;
    summary["model_variables"] = result.model_variables;
    summary["variables_used"] = result.variables_used;
    summary["walk_agents"] = result.walk_agents;
    summary["walk_no_destination"] = result.walk_no_destination;
    summary["walk_shade_pct"] = result.walk_shade_pct ? py::cast(*result.walk_shade_pct) : py::none();
    summary["plan_trees_asked"] = result.plan_trees_asked;
    summary["plan_trees_planted"] = result.plan_trees_planted;
    py::dict timings;
    for (const StageTiming& timing : result.timings) timings[py::str(timing.stage)] = timing.seconds;
    summary["timings"] = timings;
    py::list warnings;
    for (const Warning& warning : result.diagnostics.warnings())
        warnings.append(py::dict(py::arg("code") = warning.code, py::arg("subject") = warning.subject,
                                 py::arg("message") = warning.message));
    summary["diagnostics"] = warnings;
    return summary;
}

}  // namespace

void register_run(py::module_& module) {
    py::class_<RunConfig>(module, "RunConfig",
                          "The options of a run, checked: from a project file and keywords (build_config()).")
        .def_readwrite("out", &RunConfig::out, "The output folder.")
        .def_readonly("project_file", &RunConfig::project_file)
        .def_readwrite("overwrite", &RunConfig::overwrite);

    module.def("options", &describe_options,
               "Every option of run(), walks() and plan(): key (the keyword and project-file key), "
               "aliases, flag (the command line's), type, choices, group, command, required, help.");
    module.def("build_config", &build_config, py::arg("project"), py::arg("options"), py::arg("command"),
               "The RunConfig of `command` ('run', 'walks' or 'plan') from a project file (or None) and "
               "a dict of options keyed like the project file; raises UsageError for an unknown key, a "
               "value of the wrong type or options that do not fit together.");
    module.def(
        "run",
        [](const RunConfig& config, const py::object& progress) {
            RunOutcome outcome;
            std::vector<std::string> outputs;
            {
                const ProgressFn report = progress_calling(progress);
                py::gil_scoped_release released;
                outcome = compute(config, report);
                if (!config.out.empty()) outputs = write_outputs(outcome, config);
            }
            py::dict tables;
            py::dict geometries;
            const auto add = [&](const char* name, const ResultTable& table) {
                tables[name] = columns_of(table);
                if (table.geometries.empty()) return;
                py::list wkb;
                for (const auto& geometry : table.geometries)
                    wkb.append(py::bytes(reinterpret_cast<const char*>(geometry.data()), geometry.size()));
                geometries[name] = py::dict(py::arg("wkb") = wkb, py::arg("crs") = table.crs_wkt);
            };
            add("priority", outcome.priority);
            add("units", outcome.units);
            if (outcome.equity) add("equity", *outcome.equity);
            if (outcome.disparity) add("disparity", *outcome.disparity);
            if (outcome.walks) add("walks", *outcome.walks);
            if (outcome.routes) add("routes", *outcome.routes);
            if (outcome.plan) add("plan", *outcome.plan);
            if (outcome.sites) add("sites", *outcome.sites);
            py::dict summary = summary_of(outcome.result);
            summary["outputs"] = outputs;
            return py::dict(py::arg("tables") = tables, py::arg("geometries") = geometries,
                            py::arg("summary") = summary);
        },
        py::arg("config"), py::arg("progress") = py::none(),
        "Runs the pipeline without the GIL (compute), and writes the outputs into config.out when it "
        "is set (write_outputs); returns the tables (dicts of NumPy arrays), the geometries of the "
        "tables that have a map (WKB in the canopy raster's CRS) and the summary.");
}

}  // namespace shadegap::python
