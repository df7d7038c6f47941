// Runs the built shadegap binary through the shell and checks its one-line errors.
// SPDX-License-Identifier: MIT
#pragma once

#include "fixtures.hpp"

#include <catch2/catch.hpp>
#include <sys/wait.h>

#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

namespace shadegap::test {

/// What a run of the binary gave: exit status (−1 when killed), stdout and stderr.
struct Outcome {
    int status = -1;
    std::string out;
    std::string err;
};

inline std::string shell_quoted(const std::string& text) {
    std::string quoted = "'";
    for (const char c : text) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return quoted + "'";
}

/// Runs `binary` with `args` (each quoted for the shell), stdin empty, stdout and stderr captured.
inline Outcome run_binary(const std::string& binary, const std::vector<std::string>& args) {
    TempDir capture;
    std::string command = shell_quoted(binary);
    for (const std::string& arg : args) command += " " + shell_quoted(arg);
    command += " >" + shell_quoted(capture.file("out")) + " 2>" + shell_quoted(capture.file("err")) + " </dev/null";
    const int raw = std::system(command.c_str());
    return {WIFEXITED(raw) ? WEXITSTATUS(raw) : -1, read_text(capture.file("out")), read_text(capture.file("err"))};
}

inline std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
}

/// A usage or data error: nothing on stdout, exactly one line on stderr, in the house format.
inline void require_one_line_error(const Outcome& outcome, int status) {
    INFO("stdout: " << outcome.out << "\nstderr: " << outcome.err);
    CHECK(outcome.status == status);
    CHECK(outcome.out.empty());
    const std::vector<std::string> lines = lines_of(outcome.err);
    REQUIRE(lines.size() == 1);
    CHECK_THAT(lines[0], Catch::Matchers::StartsWith("shadegap: error: "));
    CHECK(outcome.err.back() == '\n');
}

}  // namespace shadegap::test
