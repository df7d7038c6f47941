// The pixel part of the overlay stage: the census units (all, or one shard's) and their
// neighbourhood pieces over the canopy raster, and over the heat raster with --heat.
// SPDX-License-Identifier: MIT
#include "run_stages.hpp"

namespace shadegap::stages {

ZoneMeasures measure_zones(const Inputs& inputs, const AlignedInputs& aligned, const RunConfig& config, int threads,
                           const std::vector<bool>& in_share, const ProgressFn& progress) {
    OverlayOptions options;
    options.kind = inputs.kind;
    options.water_classes = config.water_classes;
    options.residential_classes = config.residential_classes;
    if (inputs.shade) options.shade = {config.shade, shade_mask_of(config)};
    options.threads = threads;
    options.block_rows = config.block_size;
    options.block_cols = config.block_size;

    const std::size_t n = aligned.units.polygons.size();
    const auto measured = [&in_share](std::size_t unit) { return in_share.empty() || in_share[unit]; };
    // Units first, then pieces, each in index order: the zones of one overlay call.
    std::vector<MultiPolygon> zones;
    std::vector<std::size_t> unit_of_zone, piece_of_zone;
    for (std::size_t i = 0; i < n; ++i)
        if (measured(i)) {
            zones.push_back(aligned.units.polygons[i]);
            unit_of_zone.push_back(i);
        }
    for (std::size_t k = 0; k < aligned.pieces.size(); ++k)
        if (measured(aligned.pieces.unit[k])) {
            zones.push_back(aligned.pieces.polygons[k]);
            piece_of_zone.push_back(k);
        }
    const std::vector<ZoneSums> sums = overlay_zones(inputs.raster.path, zones, options, progress);

    ZoneMeasures result;
    result.units.resize(n);
    result.pieces.resize(aligned.pieces.size());
    for (std::size_t z = 0; z < unit_of_zone.size(); ++z) result.units[unit_of_zone[z]] = sums[z];
    for (std::size_t z = 0; z < piece_of_zone.size(); ++z)
        result.pieces[piece_of_zone[z]] = sums[unit_of_zone.size() + z];
    result.heat = measure_heat_sums(inputs, threads, in_share);
    return result;
}

}  // namespace shadegap::stages
