// The heat stage: each census unit's mean land-surface temperature, measured exactly on the
// heat raster's own grid (the units aligned to its CRS), and the model's heat variable.
// SPDX-License-Identifier: MIT
#include "run_stages.hpp"

#include <algorithm>

namespace shadegap::stages {

std::vector<ZoneMean> measure_heat_sums(const Inputs& inputs, int threads, const std::vector<bool>& in_share) {
    if (!inputs.heat) return {};
    // The units were repaired and warned about when aligned to the canopy raster; the same
    // warnings again would only repeat them.
    Diagnostics repeated;
    AlignedZones on_heat = align_zones(inputs.units, *inputs.heat, repeated);
    OverlayOptions options;
    options.threads = threads;
    if (in_share.empty()) return mean_zones(inputs.heat->path, on_heat.polygons, options);
    std::vector<MultiPolygon> zones;
    for (std::size_t i = 0; i < on_heat.polygons.size(); ++i)
        if (in_share[i]) zones.push_back(std::move(on_heat.polygons[i]));
    const std::vector<ZoneMean> measured = mean_zones(inputs.heat->path, zones, options);
    std::vector<ZoneMean> means(in_share.size());
    for (std::size_t i = 0, k = 0; i < in_share.size(); ++i)
        if (in_share[i]) means[i] = measured[k++];
    return means;
}

void measure_heat(const Inputs& inputs, const RunConfig& config, const std::vector<ZoneMean>& means, UnitTable& units,
                  Diagnostics& diagnostics) {
    if (!inputs.heat) return;

    const std::size_t n = units.size();
    units.heat_c.assign(n, std::nullopt);
    std::vector<std::string> without;
    double sum = 0;
    std::size_t with = 0;
    for (std::size_t i = 0; i < n; ++i) {
        units.heat_c[i] = means[i].mean();
        if (units.heat_c[i]) {
            sum += *units.heat_c[i];
            ++with;
        } else {
            without.push_back(units.ids[i]);
        }
    }
    if (with == 0)
        throw InputError(config.heat, "no census unit has a cell with a temperature (all nodata, or outside the raster)")
            .with_hint("check that the raster and the census units declare the right CRS");
    if (!without.empty())
        diagnostics.warn("no-heat", config.heat,
                         fmt::format("{} of {} census units have no cell with a temperature: heat_c is null ({})",
                                     without.size(), n, examples(without)));
    if (!inputs.heat_variable_from_raster) return;
    // Heat disparity: the unit's mean less the mean of the run's units (DESIGN.md).
    const double run_mean = sum / static_cast<double>(with);
    std::vector<std::optional<double>>& heat = units.variables["heat"];
    heat.assign(n, std::nullopt);
    for (std::size_t i = 0; i < n; ++i)
        if (units.heat_c[i]) heat[i] = *units.heat_c[i] - run_mean;
}

}  // namespace shadegap::stages
