// What every case of the bad-input suites (tests/bad/) shares: running the binary, reading
// its stderr and the output folder, and the check of a one-line error that writes nothing.
// SPDX-License-Identifier: MIT
#pragma once

#include "spawn_binary.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

namespace shadegap::test::bad {

using Outcome = SpawnOutcome;

/// Runs the shadegap binary of the build with `args` (see spawn_binary).
inline Outcome run_binary(const std::vector<std::string>& args, const Spawn& spawn = {}) {
    return spawn_binary(SHADEGAP_BINARY, args, spawn);
}

inline std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
}

/// Names in a folder, sorted, hidden ones included (none when it does not exist).
inline std::vector<std::string> entries_of(const std::string& folder) {
    std::vector<std::string> names;
    std::error_code ec;
    if (!std::filesystem::is_directory(folder, ec)) return names;
    for (const auto& entry : std::filesystem::directory_iterator(folder)) names.push_back(entry.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
}

inline std::string joined(const std::vector<std::string>& names) {
    std::string text;
    for (const auto& n : names) text += (text.empty() ? "" : ", ") + n;
    return text;
}

/// An error: the exit status, nothing on stdout, exactly `line` on stderr, and no file
/// left in the output folder.
inline void require_error(const Outcome& outcome, int status, const std::string& line, const std::string& out_dir) {
    INFO("stdout: " << outcome.out << "\nstderr: " << outcome.err);
    CHECK(outcome.killed_by == 0);
    CHECK(outcome.status == status);
    CHECK(outcome.out.empty());
    CHECK(outcome.err == line + "\n");
    INFO("left in " << out_dir << ": " << joined(entries_of(out_dir)));
    CHECK(entries_of(out_dir).empty());
}

}  // namespace shadegap::test::bad
