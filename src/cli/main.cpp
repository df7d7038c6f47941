// shadegap: dispatch to sub-commands; the one place where errors become messages.
// SPDX-License-Identifier: MIT
#include <CLI/CLI.hpp>

#include <cstdio>

int main(int argc, char** argv) {
    CLI::App app{"shadegap: where to plant trees first"};
    app.set_version_flag("--version", "shadegap " SHADEGAP_CLI_VERSION);
    CLI11_PARSE(app, argc, argv);
    return 0;
}
