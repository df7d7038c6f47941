// Option groups shared by `run` and `check`, and the merge of flags over a project file.
// SPDX-License-Identifier: MIT
#include "options.hpp"

#include "terminal.hpp"

#include "shadegap/options.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <regex>
#include <type_traits>
#include <variant>

namespace shadegap::cli {
namespace {

const char* const group_report = "Reporting";

std::string in_quotes(const std::string& text) {
    return "\"" + text + "\"";
}

/// Counts of threads and cells: plain decimal integers, 0 allowed.
const CLI::Validator non_negative_integer(
    [](std::string& text) -> std::string {
        long long value = 0;
        const char* end = text.data() + text.size();
        const auto [last, error] = std::from_chars(text.data(), end, value);
        if (error != std::errc() || last != end || value < 0 || value > 1'000'000'000)
            return "expected an integer ≥ 0, got " + in_quotes(text);
        return {};
    },
    "");

/// Lengths, factors, rates: finite decimal numbers ≥ 0.
const CLI::Validator non_negative_number(
    [](std::string& text) -> std::string {
        double value = 0;
        const char* end = text.data() + text.size();
        const auto [last, error] = std::from_chars(text.data(), end, value);
        if (error != std::errc() || last != end || !std::isfinite(value) || value < 0)
            return "expected a number ≥ 0, got " + in_quotes(text);
        return {};
    },
    "");

/// Raster values: decimal numbers.
const CLI::Validator number(
    [](std::string& text) -> std::string {
        double value = 0;
        const char* end = text.data() + text.size();
        const auto [last, error] = std::from_chars(text.data(), end, value);
        if (error != std::errc() || last != end) return "expected a number, got " + in_quotes(text);
        return {};
    },
    "");

/// The check of a CanopyKind or Choice option's value, with the table's message.
CLI::Validator value_check(const RunOption& option) {
    return CLI::Validator([&option](std::string& text) { return problem_with_value(option, text); }, "");
}

std::string joined(const std::vector<std::string>& names) {
    std::string text;
    for (const std::string& name : names) text += (text.empty() ? "" : ",") + name;
    return text;
}

class HelpFormatter : public CLI::Formatter {
public:
    std::string make_option_opts(const CLI::Option* option) const override {
        if (option->get_type_size() == 0 || option->get_type_name().empty()) return {};
        return " " + option->get_type_name();
    }
};

}  // namespace

std::shared_ptr<CLI::Formatter> make_help_formatter() {
    auto formatter = std::make_shared<HelpFormatter>();
    formatter->column_width(30);
    return formatter;
}

void add_report_options(CLI::App& app, ReportOptions& report) {
    CLI::Option* quiet = app.add_flag(
        "-q,--quiet", report.quiet,
        "Print nothing but errors: no progress bar, warnings or summary. (run still records "
        "warnings in run.json.)");
    CLI::Option* progress = app.add_flag(
        "--progress", report.progress,
        "Draw the progress bar on stderr even when stderr is not a terminal. Default: the bar "
        "is drawn only when stderr is a terminal.");
    CLI::Option* verbose =
        app.add_flag("-v,--verbose", report.verbose, "Also print the time each stage took, in seconds.");
    quiet->excludes(progress)->excludes(verbose)->group(group_report);
    progress->group(group_report);
    verbose->group(group_report);
}

bool shows_progress(const ReportOptions& report) {
    return !report.quiet && (report.progress || stderr_is_terminal());
}

void RunOptions::bind(CLI::App& app, const RunOption& spec) {
    const std::string names = joined(spec.flags());
    CLI::Option* option = nullptr;
    if (spec.type == OptionType::RoleColumns || spec.type == OptionType::RoleFactors) {
        option = app.add_option(names, m_table_args[spec.key], spec.help);
    } else if (spec.type == OptionType::CanopyKind || spec.type == OptionType::Choice) {
        // Text on the command line, the typed value in RunConfig: value_check() has checked the text.
        std::string& text = m_texts[spec.key];
        option = app.add_option(names, text, spec.help);
        const RunOption* row = &spec;
        m_bindings.push_back({&spec, option, [row, &text](RunConfig& config) { set_option_text(*row, text, config); }});
    } else {
        std::visit(
            [&](auto member) {
                using Value = std::decay_t<decltype(m_flags.*member)>;
                if constexpr (std::is_same_v<Value, bool>) {
                    option = app.add_flag(names, m_flags.*member, spec.help);
                } else if constexpr (std::is_same_v<Value, std::string> || std::is_same_v<Value, int> ||
                                     std::is_same_v<Value, double> || std::is_same_v<Value, std::vector<double>>) {
                    option = app.add_option(names, m_flags.*member, spec.help);
                }
                m_bindings.push_back(
                    {&spec, option, [this, member](RunConfig& config) { config.*member = m_flags.*member; }});
            },
            spec.member);
    }
    if (!spec.placeholder.empty()) option->type_name(spec.placeholder);
    switch (spec.type) {
    case OptionType::Numbers:
        option->delimiter(',')->allow_extra_args(false)->check(number);
        break;
    case OptionType::RoleColumns:
    case OptionType::RoleFactors:
        option->allow_extra_args(false);
        break;
    case OptionType::Count:
        option->check(non_negative_integer);
        break;
    case OptionType::Real:
        option->check(non_negative_number);
        break;
    case OptionType::CanopyKind:
    case OptionType::Choice:
        option->check(value_check(spec));
        break;
    default:
        break;
    }
    option->group(spec.group);
}

void RunOptions::add_to(CLI::App& app) {
    m_command = app.get_name();
    app.add_option("PROJECT.toml", m_project,
                   "Project file (TOML) holding any of the options below, each key the option's "
                   "name with dashes turned into underscores (canopy_kind = \"classes=1\"); relative "
                   "paths in it resolve against its folder. A flag given here overrides the file's value.")
        ->type_name("");
    for (const RunOption& option : run_options())
        if (takes_option(m_command, option)) bind(app, option);
}

const RunOptions::Binding* RunOptions::binding_of(const std::string& key) const {
    for (const Binding& binding : m_bindings)
        if (binding.spec->key == key) return &binding;
    return nullptr;
}

std::string RunOptions::origin(const std::string& key) const {
    const auto dot = key.find('.');
    const RunOption* option = find_run_option(key.substr(0, dot));
    if (!option) return {};
    if (dot != std::string::npos) {
        // A role of [fields] or [scale]: the last --field/--scale that set it, as given.
        const std::string role = key.substr(dot + 1);
        const std::vector<std::string>& args = m_table_args.at(option->key);
        for (auto arg = args.rbegin(); arg != args.rend(); ++arg)
            if (arg->rfind(role + "=", 0) == 0) return option->flag + " " + *arg;
        if (m_project_keys.count(key)) return key + " in " + m_project;
        const std::string placeholder = option->placeholder.substr(option->placeholder.find('='));
        return option->flag + " " + role + placeholder;
    }
    const Binding* binding = binding_of(option->key);
    const auto args = m_table_args.find(option->key);
    const bool given = binding ? binding->option->count() > 0 : args != m_table_args.end() && !args->second.empty();
    if (!given && m_project_keys.count(option->key)) return option->key + " in " + m_project;
    return option->flag;
}

UsageError RunOptions::named(const UsageError& error) const {
    const std::string subject = origin(error.subject());
    if (subject.empty()) return error;
    UsageError named(subject, with_project_file_key(error.message()));
    if (!error.hint().empty()) {
        named.with_hint(error.hint());
    } else if (subject.rfind("--", 0) == 0 && !m_project_keys.count(error.subject())) {
        // The key came from neither a flag nor the file (a required one left out): point to the options.
        const Binding* binding = binding_of(error.subject());
        if (binding && binding->option->count() == 0) named.with_hint("see shadegap " + m_command + " --help");
    }
    return named;
}

RunConfig RunOptions::build() {
    RunConfig config = m_project.empty() ? RunConfig{} : read_project_file(m_project);
    m_project_keys = config.project_keys;
    config.walks = m_command == "walks";
    config.plan = m_command == "plan";
    for (const Binding& binding : m_bindings)
        if (binding.option->count() > 0) binding.copy_flag(config);

    for (const RunOption& option : run_options()) {
        if (option.type == OptionType::RoleColumns) {
            auto& table = config.*std::get<std::map<std::string, std::string> RunConfig::*>(option.member);
            for (const std::string& arg : m_table_args.at(option.key)) {
                const auto equals = arg.find('=');
                if (equals == std::string::npos || equals == 0 || equals + 1 == arg.size()) {
                    const bool field = option.key == "fields";
                    UsageError error(option.flag, "expected " + option.placeholder + " (e.g. " +
                                                      (field ? "population=POP" : "black=B03002_004E") + "), got " +
                                                      in_quotes(arg));
                    if (field) error.with_hint("see shadegap models NAME for a model's roles");
                    throw error;
                }
                table[arg.substr(0, equals)] = arg.substr(equals + 1);
            }
        } else if (option.type == OptionType::RoleFactors) {
            auto& table = config.*std::get<std::map<std::string, double> RunConfig::*>(option.member);
            for (const std::string& arg : m_table_args.at(option.key)) {
                const auto equals = arg.find('=');
                double factor = 0;
                bool ok = equals != std::string::npos && equals > 0;
                if (ok) {
                    const char* begin = arg.data() + equals + 1;
                    const char* end = arg.data() + arg.size();
                    const auto [last, error] = std::from_chars(begin, end, factor);
                    ok = error == std::errc() && last == end && std::isfinite(factor) && factor > 0;
                }
                if (!ok) {
                    UsageError error(option.flag, "expected ROLE=FACTOR with a factor above 0 (e.g. poverty=0.01), got " +
                                                      in_quotes(arg));
                    error.with_hint("see shadegap models NAME for a model's roles");
                    throw error;
                }
                table[arg.substr(0, equals)] = factor;
            }
        }
    }

    check_config(config, [this](const std::string& key) { return origin(key); });
    return config;
}

void RunOptions::check_inputs_exist(const RunConfig& config) const {
    for (const RunOption& option : run_options()) {
        if (option.type != OptionType::InputPath && option.type != OptionType::Model) continue;
        const std::string& path = config.*std::get<std::string RunConfig::*>(option.member);
        if (path.empty() || !is_plain_path(path)) continue;
        if (option.type == OptionType::Model && !names_model_file(path)) continue;
        std::error_code ignored;
        if (!std::filesystem::exists(path, ignored))
            throw InputError(path, "no such file (" + origin(option.key) + ")");
    }
}

RunConfig parse_run_arguments(const std::vector<std::string>& args) {
    CLI::App app{"", "run"};
    RunOptions options;
    ReportOptions report;
    options.add_to(app);
    add_report_options(app, report);
    std::vector<std::string> reversed(args.rbegin(), args.rend());
    try {
        app.parse(reversed);
    } catch (const CLI::ParseError& error) {
        throw usage_error_from(error, "run");
    }
    try {
        return options.build();
    } catch (const UsageError& error) {
        throw options.named(error);
    }
}

UsageError usage_error_from(const CLI::ParseError& error, const std::string& command) {
    const std::string text = error.what();
    std::string subject;
    std::string message;
    std::smatch match;
    static const std::regex option_first(R"(^(-{1,2}[A-Za-z0-9][A-Za-z0-9_-]*): (.*)$)");
    static const std::regex extra(R"(^The following arguments? (?:was|were) not expected: (.*)$)");
    static const std::regex pair(R"(^(\S+) (excludes|requires) (\S+)$)");
    static const std::regex required(R"(^(\S+) is required$)");
    static const std::regex missing_value(R"(^(\S+): \d+ required (\S+) missing$)");
    static const std::regex conversion(R"(^Could not convert: (\S+) = (.*)$)");
    static const std::regex repeated(R"(^(\S+): [Aa]t [Mm]ost 1 required but received (\d+)$)");
    if (std::regex_match(text, match, repeated)) {
        subject = match[1];
        message = "given " + (match[2] == "2" ? std::string("twice") : match[2].str() + " times") +
                  "; give it once (a flag overrides the project file's value by itself)";
    } else if (std::regex_match(text, match, missing_value)) {
        subject = match[1];
        message = "needs a value (" + match[2].str() + ")";
    } else if (std::regex_match(text, match, option_first)) {
        subject = match[1];
        message = match[2];
    } else if (std::regex_match(text, match, extra)) {
        subject = match[1];
        message = subject.rfind('-', 0) == 0 ? "unknown option" : "unexpected argument";
    } else if (std::regex_match(text, match, pair)) {
        subject = match[1];
        message = (match[2] == "excludes" ? "cannot be combined with " : "needs ") + match[3].str();
    } else if (std::regex_match(text, match, required)) {
        subject = match[1];
        message = "is required";
    } else if (std::regex_match(text, match, conversion)) {
        subject = match[1];
        message = "cannot read the value " + in_quotes(match[2]);
    } else {
        message = text;
    }
    if (!message.empty()) message[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(message[0])));
    UsageError usage(subject, message);
    usage.with_hint(command.empty() ? "see shadegap --help" : "see shadegap " + command + " --help");
    return usage;
}

}  // namespace shadegap::cli
