// A run beyond one machine: the census units in N shares, each measured alone (`run --shard
// I/N`), and the shards' sums merged into the outputs of one run (`shadegap merge`).
// SPDX-License-Identifier: MIT
#pragma once

#include "shadegap/config.hpp"
#include "shadegap/error.hpp"
#include "shadegap/pipeline.hpp"
#include "shadegap/progress.hpp"

#include <cstddef>
#include <string>
#include <vector>

namespace shadegap {

/// The I-th of N shares (1 ≤ index ≤ count), as `--shard I/N` names it.
struct ShardSpec {
    int index = 1;
    int count = 1;
};

/// What is wrong with a `--shard` value ("expected I/N with 1 ≤ I ≤ N, e.g. 2/8, got
/// \"0/3\""), or empty when it reads as I/N. No I/O.
std::string problem_with_shard(const std::string& text);

/// Reads `--shard I/N`; throws UsageError (subject "shard") with problem_with_shard's text.
ShardSpec parse_shard(const std::string& text);

/// The share (0-based, below `count`) of each census unit, from the units' bounding boxes
/// and their areas on the raster (`weight_m2`): the units in the order of a Hilbert curve
/// through their bounding boxes' centres (ties by index), cut into `count` runs of about
/// equal area on the raster, a unit in the share where the middle of its area falls. The
/// same inputs give the same shares on any machine; a share may be empty (more shares than
/// units). Units off the raster weigh nothing and go where the curve puts them.
std::vector<int> assign_shares(const std::vector<double>& x_centre, const std::vector<double>& y_centre,
                               const std::vector<double>& weight_m2, int count);

/// What a shard run measured and wrote.
struct ShardResult {
    ShardSpec shard;
    std::size_t units = 0;        ///< census units in the shard
    std::size_t unit_count = 0;   ///< census units of the whole run
    std::size_t pieces = 0;       ///< neighbourhood pieces of its units
    std::vector<std::string> outputs;  ///< shard.json, sums.tsv
    std::vector<StageTiming> timings;
    Diagnostics diagnostics;      ///< load's and align's warnings (the overlay's come with the merge)
};

/// `shadegap run --shard I/N`: loads and aligns every input as the whole run does, then
/// measures (reads the pixels of) only the census units of share I and the neighbourhood
/// pieces of those units, with the heat raster's sums when config.heat is given, and writes
/// them into config.out as shard.json (the run's configuration, a fingerprint of the
/// inputs and options, the share) and sums.tsv (every sum as a C99 hexadecimal float: exact).
/// A unit's sums do not depend on which other units are measured with it (overlay_zones
/// merges each zone's blocks in block order), so the merged sums are those of one run.
/// Through an output transaction: on error nothing is left. Throws UsageError for a bad
/// config.shard, OutputError when config.out holds a shard already (without overwrite).
ShardResult run_shard(const RunConfig& config, const ProgressFn& progress = {});

/// The configuration of the run the shard folders `dirs` were measured for, with `out`,
/// `overwrite` and `threads` of the merge and merge_shards set to the folders in shard
/// order; run_pipeline() on it writes the outputs of that run without reading any pixel of
/// the rasters (the canopy raster's header and the canopy kind's sample only, as `check`
/// does). Throws InputError naming the folder when one is not a shard folder, belongs to
/// another run (another fingerprint), is of another count N, repeats a shard, or when a
/// shard is missing; UsageError when `dirs` is empty. The sums are checked against the
/// inputs again when run_pipeline reads them (inputs changed since: an error).
RunConfig merge_config(const std::vector<std::string>& dirs, const std::string& out, bool overwrite, int threads);

}  // namespace shadegap
