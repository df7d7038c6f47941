// Fuzz target: model TOML text → Model::parse, then the model applied to a small table.
// SPDX-License-Identifier: MIT
//
// Any input may be rejected with a shadegap::Error (ModelError); anything else escaping,
// a crash or a sanitizer report is a finding.
#include "shadegap/model.hpp"

#include <cstddef>
#include <cstdint>
#include <string>

namespace {

/// Three units with every role a model may read, one with missing values, one empty.
shadegap::RankingTable make_table(const shadegap::Model& model) {
    shadegap::RankingTable table;
    const double canopy[] = {0.1, 0.35, 0.0};
    const double population[] = {1200, 0, 50000};
    for (int i = 0; i < 3; ++i) {
        shadegap::RankingUnit unit;
        unit.id = "u" + std::to_string(i);
        unit.name = unit.id;
        unit.area_m2 = i == 2 ? 0.0 : 1.0e6 * (i + 1);
        unit.sums.valid_m2 = i == 1 ? 0.0 : unit.area_m2;
        unit.sums.canopy_m2 = canopy[i] * unit.sums.valid_m2;
        unit.sums.shade_mask_m2 = unit.sums.valid_m2;  // for models with coverage = "shade"
        unit.sums.shade_m2 = 0.5 * canopy[i] * unit.sums.valid_m2;
        unit.population = population[i];
        unit.scope = i == 0 ? "a" : "b";
        for (const auto& [role, column] : model.fields()) {
            (void)column;
            if (i == 1) unit.variables[role] = std::nullopt;
            else unit.variables[role] = 0.25 * (i + 1);
        }
        table.units.push_back(unit);
    }
    for (const auto& [role, column] : model.fields()) {
        (void)column;
        table.variables.push_back(role);
    }
    return table;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    try {
        const shadegap::Model model = shadegap::Model::parse(text, "fuzz-model.toml");
        shadegap::Diagnostics diagnostics;
        (void)shadegap::apply_model(model, make_table(model), diagnostics);
    } catch (const shadegap::Error&) {
        // an expected rejection
    }
    return 0;
}
