// `shadegap models`: list the built-in models, or print one model's TOML text.
// SPDX-License-Identifier: MIT
#include "commands.hpp"

#include "shadegap/model.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <memory>
#include <sstream>

namespace shadegap::cli {
namespace {

constexpr std::string_view NAME = "models";
constexpr std::string_view DESCRIPTION = "List the built-in models, or print one model's TOML text.";

struct ModelsState {
    std::string name;
};

void add_options(CLI::App& app, ModelsState& state) {
    app.add_option("NAME", state.name,
                   "A built-in model's name (e.g. tree-equity) or the path of a model TOML file, whose "
                   "text is printed after it is checked. Default: list the built-in models.")
        ->type_name("");
}

void print_list() {
    const std::vector<std::string> names = builtin_model_names();
    std::size_t width = 0;
    for (const std::string& name : names) width = std::max(width, name.size());
    for (const std::string& name : names)
        fmt::print("{:<{}}  {}\n", name, width, Model::builtin(name).description);
}

std::string read_text(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw InputError(path, "cannot read the model file");
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

int run(const ModelsState& state) {
    if (state.name.empty()) {
        print_list();
        return 0;
    }
    const std::vector<std::string> names = builtin_model_names();
    if (std::find(names.begin(), names.end(), state.name) != names.end()) {
        fmt::print("{}", builtin_model_text(state.name));
        return 0;
    }
    // Not a built-in name: resolve() loads and checks a model file, or throws the list of names.
    (void)Model::resolve(state.name);
    fmt::print("{}", read_text(state.name));
    return 0;
}

CommandRunner setup(CLI::App& app) {
    auto state = std::make_shared<ModelsState>();
    add_options(app, *state);
    return [state] { return run(*state); };
}

}  // namespace

const Command models_command{NAME, DESCRIPTION, &setup};

}  // namespace shadegap::cli
