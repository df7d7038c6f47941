// Messages and the progress bar on stderr.
// SPDX-License-Identifier: MIT
#include "terminal.hpp"

#include "shadegap/options.hpp"

#include <fmt/format.h>

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <vector>

namespace shadegap::cli {
namespace {

constexpr int bar_width = 30;

/// Keeps a message on one line whatever GDAL or a library put into it.
std::string one_line(std::string_view text) {
    std::string line(text);
    std::replace(line.begin(), line.end(), '\n', ' ');
    std::replace(line.begin(), line.end(), '\r', ' ');
    while (!line.empty() && line.back() == ' ') line.pop_back();
    return line;
}

void write_line(const std::string& line) {
    std::fputs(line.c_str(), stderr);
    std::fputc('\n', stderr);
    std::fflush(stderr);
}

}  // namespace

bool stderr_is_terminal() {
    return ::isatty(STDERR_FILENO) == 1;
}

void print_error(std::string_view subject, std::string_view message, std::string_view hint) {
    std::string line = "shadegap: error: ";
    if (!subject.empty()) line += one_line(subject) + ": ";
    line += one_line(keys_as_flags(with_project_file_key(std::string(message))));
    if (!hint.empty()) line += " (hint: " + one_line(keys_as_flags(hint)) + ")";
    write_line(line);
}

void print_warning(std::string_view subject, std::string_view message) {
    std::string line = "shadegap: warning: ";
    if (!subject.empty()) line += one_line(subject) + ": ";
    line += one_line(keys_as_flags(message));
    write_line(line);
}

std::string with_project_file_key(const std::string& message) {
    for (const std::string lead : {"required; give ", "needs "}) {
        if (message.rfind(lead, 0) != 0) continue;
        const std::string asked = message.substr(lead.size());
        for (const RunOption& option : run_options()) {
            if (asked != how_to_give(option)) continue;
            const bool text = option.type == OptionType::InputPath || option.type == OptionType::OutputPath ||
                              option.type == OptionType::String || option.type == OptionType::Model;
            const std::string in_file =
                lead == "needs " || !text ? option.key : option.key + " = \"" + option.placeholder + "\"";
            return lead + option.flag + " " + option.placeholder + " (or " + in_file + " in the project file)";
        }
    }
    return message;
}

void print_warning(const Warning& warning) {
    const std::string flag = warning.subject_is_key ? flag_of_key(warning.subject) : std::string();
    print_warning(flag.empty() ? warning.subject : flag, warning.message);
}

std::string command_subject(std::string_view command, const std::string& subject) {
    const std::vector<CommandKey>* keys = command == "shade" ? &shade_keys() : command == "sun" ? &sun_keys() : nullptr;
    if (keys)
        for (const CommandKey& key : *keys)
            if (key.key == subject) return key.flag;
    return subject;
}

void print_note(std::string_view text) {
    write_line(one_line(text));
}

std::string count_of(std::size_t count, std::string_view noun) {
    return fmt::format("{} {}{}", count, noun, count == 1 ? "" : "s");
}

ProgressBar::ProgressBar(bool enabled) : m_enabled(enabled) {}

ProgressBar::~ProgressBar() {
    clear();
}

ProgressFn ProgressBar::callback() {
    if (!m_enabled) return {};
    return [this](double fraction, std::string_view stage) { update(fraction, stage); };
}

void ProgressBar::update(double fraction, std::string_view stage) {
    if (!m_enabled) return;
    if (!(fraction >= 0.0)) fraction = 0.0;  // also catches NaN
    fraction = std::min(fraction, 1.0);
    const int percent = static_cast<int>(std::floor(fraction * 100.0));
    if (percent == m_percent && stage == m_stage) return;
    m_percent = percent;
    m_stage = std::string(stage);
    const int filled = static_cast<int>(std::floor(fraction * bar_width));
    const std::string line = fmt::format(" {:<10} [{:<{}}] {:>3}%", m_stage, std::string(filled, '#'),
                                         bar_width, percent);
    // Pads over a longer previous line so no stale characters stay behind.
    const std::size_t pad = m_drawn_width > line.size() ? m_drawn_width - line.size() : 0;
    std::fprintf(stderr, "\r%s%*s", line.c_str(), static_cast<int>(pad), "");
    std::fflush(stderr);
    m_drawn_width = std::max(m_drawn_width, line.size());
}

void ProgressBar::clear() {
    if (!m_enabled || m_drawn_width == 0) return;
    std::fprintf(stderr, "\r%*s\r", static_cast<int>(m_drawn_width), "");
    std::fflush(stderr);
    m_drawn_width = 0;
    m_percent = -1;
    m_stage.clear();
}

}  // namespace shadegap::cli
