// A bounded sample of a raster's values, the canopy kind they look like, and whether a
// declared canopy kind fits them (`shadegap info`, and `run`/`check` before the overlay).
// SPDX-License-Identifier: MIT
#pragma once

#include "shadegap/error.hpp"
#include "shadegap/raster.hpp"

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace shadegap {

/// A raster of at most this many cells is read whole; a larger one through
/// sample_windows_per_side² windows of sample_window_edge² cells, spread evenly over it:
/// at most 1,048,576 cells either way.
constexpr std::int64_t max_sample_cells = 1 << 20;
constexpr std::int64_t sample_window_edge = 256;
constexpr int sample_windows_per_side = 4;
/// At most this many distinct values are kept (the smallest).
constexpr std::size_t max_sample_distinct = 256;

/// The valid values of band 1 seen in a sample. Valid: not NaN, not the nodata value, not
/// one of the excluded values (water classes).
struct ValueSample {
    std::int64_t cells_read = 0;     ///< cells read, valid or not
    bool whole_raster = false;       ///< every cell of the raster was read
    std::int64_t valid_count = 0;
    double min = 0;                  ///< of the valid values (0 when there is none)
    double max = 0;
    bool all_integer = true;         ///< every valid value is a whole number
    std::set<double> distinct;       ///< the smallest distinct valid values, at most max_sample_distinct
    bool more_values = false;        ///< more distinct values than `distinct` holds

    /// Adds one cell value (valid or not is decided by the caller).
    void add(double value);
};

/// The windows sample_raster reads: the whole raster when it has at most max_sample_cells
/// cells, else a 4 × 4 spread of 256 × 256 windows from corner to corner, each moved up
/// and left onto the raster's block boundaries so that a read touches as few blocks as
/// possible.
std::vector<Window> sample_windows(const RasterInfo& raster);

/// Reads the sample windows of band 1. `excluded`: values left out like nodata (water
/// classes). Throws InputError naming the file when a read fails.
ValueSample sample_raster(const RasterInfo& raster, const std::vector<double>& excluded = {});

/// The canopy kind a sample looks like, and why (the rule `shadegap info` prints and the
/// check of a declared kind uses). Rules, first match wins:
///   no valid value                                      → none
///   only 0 and 1                                        → binary
///   whole values within 0–100 with both 0 and 100       → percent
///   at most 20 distinct whole values                    → classes
///   all within 0–1                                      → fraction
///   all within 0–100                                    → percent
///   anything else                                       → min
struct CanopyKindGuess {
    std::optional<CanopyKind::Type> type;  ///< none when the sample holds no valid value
    std::string text;                      ///< "binary", "percent", "fraction", "classes=…", "min=…", or empty
    std::string reason;                    ///< why, in a sentence
};
CanopyKindGuess guess_canopy_kind(const ValueSample& sample);

/// Checks a declared canopy kind against the sample of the raster at `path`.
/// Throws InputError (subject `path`) when the values look like another kind:
///   percent  with valid values all within 0–1 and some above 0 (binary- or fraction-like);
///   binary   with values that look like percent or fraction;
///   fraction with values that look like percent.
/// For classes= and min=X, when no sampled value is canopy: throws InputError when the
/// sample is the whole raster, else appends a warning (code "canopy-kind-sample") to
/// `diagnostics`, since a larger raster may hold the canopy values outside the sample.
/// A sample without a valid value is not checked.
void check_canopy_kind(const ValueSample& sample, const CanopyKind& kind, const std::string& path,
                       Diagnostics& diagnostics);

}  // namespace shadegap
