// Messages and the progress bar on stderr: one line per error or warning.
// SPDX-License-Identifier: MIT
#pragma once

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

/// `shadegap: warning: SUBJECT: MESSAGE` on one line of stderr.
void print_warning(std::string_view subject, std::string_view message);

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
