// SIGINT and SIGTERM during a run: the handler only records the signal.
// SPDX-License-Identifier: MIT
#include "interrupt.hpp"

#include "shadegap/error.hpp"

#include <signal.h>

#include <atomic>

namespace shadegap::cli {
namespace {

std::atomic<int> caught{0};
static_assert(std::atomic<int>::is_always_lock_free, "the signal handler needs a lock-free flag");

struct sigaction previous_int;
struct sigaction previous_term;

extern "C" void record_signal(int number) {
    if (caught.exchange(number) != 0) {
        // A second signal: the user insists, so the default action ends the process now.
        ::signal(number, SIG_DFL);
        ::raise(number);
    }
}

}  // namespace

InterruptGuard::InterruptGuard() {
    struct sigaction action {};
    action.sa_handler = record_signal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;
    ::sigaction(SIGINT, &action, &previous_int);
    ::sigaction(SIGTERM, &action, &previous_term);
}

InterruptGuard::~InterruptGuard() {
    ::sigaction(SIGINT, &previous_int, nullptr);
    ::sigaction(SIGTERM, &previous_term, nullptr);
}

int caught_signal() {
    return caught.load();
}

void throw_if_interrupted(const std::string& subject, std::string_view stage) {
    const int number = caught.load();
    if (number == 0) return;
    const std::string name = number == SIGINT ? "SIGINT" : number == SIGTERM ? "SIGTERM" : "signal " + std::to_string(number);
    throw Interrupted(subject, "interrupted by " + name + " during " + std::string(stage) + "; no output was written");
}

}  // namespace shadegap::cli
