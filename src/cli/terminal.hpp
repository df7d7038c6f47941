// Messages and the progress bar on stderr: one line per error or warning.
// SPDX-License-Identifier: MIT
#pragma once

#include "shadegap/error.hpp"
#include "shadegap/progress.hpp"

#include <cstddef>
#include <string>
#include <string_view>

namespace shadegap::cli {

/// True when stderr is a terminal (where a progress bar can redraw itself).
bool stderr_is_terminal();

/// `shadegap: error: SUBJECT: MESSAGE (hint: HINT)` on one line of stderr. An empty
/// subject or hint is left out; line breaks inside the text become spaces.
void print_error(std::string_view subject, std::string_view message, std::string_view hint = {});

/// A message of check_config() (options.hpp) as the command line words it. One that asks for
/// a single option, "required; give `out = DIR`" or "needs `join_key = FIELD`", names its flag
/// and its key in the project file: "required; give --out DIR (or out = "DIR" in the project
/// file)" (the value in quotes where the file holds it as text: a path, a name, a model),
/// "needs --join-key FIELD (or join_key in the project file)". Other messages are returned
/// as they are (print_error() then shows their keys as flags).
std::string with_project_file_key(const std::string& message);

/// `shadegap: warning: SUBJECT: MESSAGE` on one line of stderr; configuration keys in the
/// message (key_text() in error.hpp) are shown as their flags, as print_error() does.
void print_warning(std::string_view subject, std::string_view message);

/// A warning of the library: its subject shown as its flag when it is a configuration key
/// (Warning::subject_is_key: "threads" → "--threads"), then as print_warning() above.
void print_warning(const Warning& warning);

/// The subject of a library error as the command `command` names it: for `shade` and `sun`,
/// a key of shade_keys() or sun_keys() (options.hpp) becomes its flag ("tz" → "--tz",
/// "canopy_height" → "--canopy-height"); other subjects, and every subject of the other
/// commands (whose keys RunOptions::named() names), stay as they are.
std::string command_subject(std::string_view command, const std::string& subject);

/// One line of plain text on stderr (summaries, timings).
void print_note(std::string_view text);

/// `1 neighbourhood` or `8 neighbourhoods`: the count with a noun that takes an -s.
std::string count_of(std::size_t count, std::string_view noun);

/// A one-line progress bar on stderr, `\r overlay   [#####     ]  52%`, redrawn only when
/// the stage or the whole percent changes. Disabled, it draws nothing. The bar is
/// erased by clear() and by the destructor, so the next message starts a clean line.
class ProgressBar {
public:
    explicit ProgressBar(bool enabled);
    ~ProgressBar();
    ProgressBar(const ProgressBar&) = delete;
    ProgressBar& operator=(const ProgressBar&) = delete;

    /// A callback for run_pipeline that draws on this bar (empty when disabled). The bar
    /// must outlive it.
    ProgressFn callback();
    /// Draws `fraction` (clamped to 0–1) of the job, in stage `stage`.
    void update(double fraction, std::string_view stage);
    /// Erases the bar from the line.
    void clear();

private:
    bool m_enabled;
    int m_percent = -1;
    std::string m_stage;
    std::size_t m_drawn_width = 0;
};

}  // namespace shadegap::cli
