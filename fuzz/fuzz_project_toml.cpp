// Fuzz target: project TOML text → parse_project_file (the reader behind `run --project`).
// SPDX-License-Identifier: MIT
//
// Any input may be rejected with a shadegap::Error (InputError); anything else escaping,
// a crash or a sanitizer report is a finding.
#include "shadegap/config.hpp"
#include "shadegap/error.hpp"

#include <cstddef>
#include <cstdint>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    try {
        (void)shadegap::parse_project_file(text, "/fuzz/project/shadegap.toml");
    } catch (const shadegap::Error&) {
        // an expected rejection
    }
    return 0;
}
