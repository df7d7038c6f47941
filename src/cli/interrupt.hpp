// SIGINT and SIGTERM during a run: a flag that the progress callback turns into Interrupted.
// SPDX-License-Identifier: MIT
#pragma once

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

}  // namespace shadegap::cli
