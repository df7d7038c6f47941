// SIGINT and SIGTERM during a run: a flag that the progress callback turns into Interrupted.
// SPDX-License-Identifier: MIT
#pragma once

#include "options.hpp"
#include "terminal.hpp"

#include "shadegap/progress.hpp"

#include <string>
#include <string_view>

namespace shadegap::cli {

/// While alive, SIGINT and SIGTERM set a flag instead of ending the process, so that the
/// run stops at its next progress report and unwinds (no partial output). A second
/// signal ends the process at once, as if no handler were installed. The previous
/// handlers come back when the guard goes.
class InterruptGuard {
public:
    InterruptGuard();
    ~InterruptGuard();
    InterruptGuard(const InterruptGuard&) = delete;
    InterruptGuard& operator=(const InterruptGuard&) = delete;
};

/// The signal caught by an InterruptGuard in this process (SIGINT, SIGTERM), or 0.
int caught_signal();

/// Throws shadegap::Interrupted with `subject` (the output folder) when a signal was
/// caught: "interrupted by SIGINT during overlay; no output was written".
void throw_if_interrupted(const std::string& subject, std::string_view stage);

/// Calls `work(progress)` under an InterruptGuard, with a progress function that draws the
/// progress bar where `report` shows one and throws Interrupted (subject `out`) at the first
/// report after SIGINT or SIGTERM, until the report of 1. Commands report 1 only after their
/// outputs moved into place: a signal caught by then no longer undoes them (nor claims that
/// nothing was written). Returns what `work` returns; the bar is gone by then.
template <typename Work>
auto run_interruptible(const std::string& out, const ReportOptions& report, Work&& work) {
    const InterruptGuard interrupts;
    ProgressBar bar(shows_progress(report));
    const ProgressFn draw = bar.callback();
    return work([&](double fraction, std::string_view stage) {
        if (fraction < 1) throw_if_interrupted(out, stage);
        if (draw) draw(fraction, stage);
    });
}

}  // namespace shadegap::cli
