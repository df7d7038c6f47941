// Runs the built shadegap binary through fork/exec: in a chosen folder, with a file-size
// limit, or with a signal sent part-way through the run.
// SPDX-License-Identifier: MIT
#pragma once

#include "fixtures.hpp"

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

namespace shadegap::test {

/// How to start the child.
struct Spawn {
    std::string cwd;             ///< the child's working folder; empty: this process's
    rlim_t file_size_limit = 0;  ///< RLIMIT_FSIZE in bytes (SIGXFSZ ignored); 0: none
    int signal = 0;              ///< sent once stderr shows `signal_when` (polled every millisecond)
    std::string signal_when;
};

struct SpawnOutcome {
    int status = -1;    ///< exit status, or -1 when a signal ended the child
    int killed_by = 0;  ///< the signal that ended the child, or 0
    bool signal_sent = false;
    std::string out;
    std::string err;
};

/// Runs `binary` with `args`: stdin from /dev/null, stdout and stderr into files read back.
inline SpawnOutcome spawn_binary(const std::string& binary, const std::vector<std::string>& args,
                                 const Spawn& spawn = {}) {
    TempDir capture;
    const std::string out_path = capture.file("stdout");
    const std::string err_path = capture.file("stderr");
    const int out_fd = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int err_fd = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    REQUIRE(out_fd >= 0);
    REQUIRE(err_fd >= 0);

    std::vector<std::string> argv_text = {binary};
    argv_text.insert(argv_text.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& arg : argv_text) argv.push_back(arg.data());
    argv.push_back(nullptr);

    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        if (!spawn.cwd.empty() && ::chdir(spawn.cwd.c_str()) != 0) ::_exit(126);
        const int in_fd = ::open("/dev/null", O_RDONLY);
        ::dup2(in_fd, STDIN_FILENO);
        ::dup2(out_fd, STDOUT_FILENO);
        ::dup2(err_fd, STDERR_FILENO);
        if (spawn.file_size_limit > 0) {
            ::signal(SIGXFSZ, SIG_IGN);  // a write past the limit fails with EFBIG instead
            const rlimit limit{spawn.file_size_limit, spawn.file_size_limit};
            ::setrlimit(RLIMIT_FSIZE, &limit);
        }
        ::execv(argv[0], argv.data());
        ::_exit(127);
    }
    ::close(out_fd);
    ::close(err_fd);

    SpawnOutcome outcome;
    int raw = 0;
    if (spawn.signal != 0) {
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
        bool ended = false;
        while (std::chrono::steady_clock::now() < deadline) {
            if (::waitpid(pid, &raw, WNOHANG) == pid) {
                ended = true;
                break;
            }
            if (read_text(err_path).find(spawn.signal_when) != std::string::npos) {
                ::kill(pid, spawn.signal);
                outcome.signal_sent = true;
                break;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
        if (!ended) ::waitpid(pid, &raw, 0);
    } else {
        ::waitpid(pid, &raw, 0);
    }
    if (WIFEXITED(raw)) outcome.status = WEXITSTATUS(raw);
    if (WIFSIGNALED(raw)) outcome.killed_by = WTERMSIG(raw);
    outcome.out = read_text(out_path);
    outcome.err = read_text(err_path);
    return outcome;
}

}  // namespace shadegap::test
