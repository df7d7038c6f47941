// A bounded sample of a raster's values, the canopy kind they look like, and the check of a declared kind.
// SPDX-License-Identifier: MIT
#include "shadegap/sample.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <iterator>

namespace shadegap {
namespace {

constexpr std::size_t max_class_count = 20;
/// Values quoted in a message about classes, at most.
constexpr std::size_t max_quoted_values = 12;

bool only_zero_one(const ValueSample& sample) {
    return !sample.more_values && std::all_of(sample.distinct.begin(), sample.distinct.end(),
                                              [](double v) { return v == 0.0 || v == 1.0; });
}

std::string quote_values(const ValueSample& sample) {
    std::string text;
    std::size_t count = 0;
    for (const double value : sample.distinct) {
        if (count == max_quoted_values) break;
        text += (count++ == 0 ? "" : ", ") + fmt::format("{}", value);
    }
    if (sample.more_values || sample.distinct.size() > max_quoted_values) text += ", ...";
    return text;
}

/// "all 100 valid cells" (the whole raster read) or "all 5000 valid cells of a sample of 1048576".
std::string describe_sample(const ValueSample& sample) {
    if (sample.whole_raster) return fmt::format("all {} valid cells", sample.valid_count);
    return fmt::format("all {} valid cells of a sample of {}", sample.valid_count, sample.cells_read);
}

/// What the values of a kind look like, for "its values look like ...".
std::string describe_kind(CanopyKind::Type type) {
    switch (type) {
    case CanopyKind::Type::Binary: return "binary canopy (0 and 1)";
    case CanopyKind::Type::Percent: return "canopy percentages (0 to 100)";
    case CanopyKind::Type::Fraction: return "canopy fractions (0 to 1)";
    case CanopyKind::Type::Classes: return "land-cover classes";
    case CanopyKind::Type::Min: return "continuous values";
    }
    return "";
}

[[noreturn]] void reject_kind(const ValueSample& sample, const CanopyKind& kind, CanopyKind::Type looks_like,
                              const std::string& path) {
    const std::string seen = only_zero_one(sample)
                                 ? fmt::format("{} hold 0 or 1", describe_sample(sample))
                                 : fmt::format("{} lie between {} and {}", describe_sample(sample), sample.min,
                                               sample.max);
    CanopyKind suggested;
    suggested.type = looks_like;
    InputError error(path, fmt::format("the values look like {}, not {} values: {}", describe_kind(looks_like),
                                       kind.to_string(), seen));
    if (looks_like == CanopyKind::Type::Classes)
        error.with_hint(fmt::format("name the canopy classes among the values {}: {}", quote_values(sample),
                                    key_text("canopy_kind", "classes=C1,C2,...")));
    else
        error.with_hint("use " + key_text("canopy_kind", suggested.to_string()));
    throw error;
}

/// Whether some sampled value is canopy under a classes= or min= kind.
bool sample_has_canopy(const ValueSample& sample, const CanopyKind& kind) {
    if (kind.type == CanopyKind::Type::Min) return sample.max >= kind.threshold;
    const double largest_kept = sample.distinct.empty() ? 0.0 : *sample.distinct.rbegin();
    return std::any_of(kind.classes.begin(), kind.classes.end(), [&](double c) {
        return sample.distinct.count(c) > 0 || (sample.more_values && c > largest_kept);
    });
}

}  // namespace

void ValueSample::add(double value) {
    if (valid_count == 0) min = max = value;
    min = std::min(min, value);
    max = std::max(max, value);
    ++valid_count;
    if (value != std::floor(value)) all_integer = false;
    if (distinct.size() == max_sample_distinct && value > *distinct.rbegin()) {
        more_values = true;
        return;
    }
    distinct.insert(value);
    if (distinct.size() > max_sample_distinct) {
        distinct.erase(std::prev(distinct.end()));
        more_values = true;
    }
}

std::vector<Window> sample_windows(const RasterInfo& raster) {
    const Grid& grid = raster.grid;
    if (grid.cols * grid.rows <= max_sample_cells) return {grid.full_window()};
    const std::int64_t cols = std::min(grid.cols, sample_window_edge);
    const std::int64_t rows = std::min(grid.rows, sample_window_edge);
    const auto snap = [](std::int64_t offset, std::int64_t block, std::int64_t edge) {
        return block > 0 && block <= edge ? offset - offset % block : offset;
    };
    std::vector<Window> windows;
    for (int i = 0; i < sample_windows_per_side; ++i) {
        for (int j = 0; j < sample_windows_per_side; ++j) {
            const std::int64_t row0 = (grid.rows - rows) * i / (sample_windows_per_side - 1);
            const std::int64_t col0 = (grid.cols - cols) * j / (sample_windows_per_side - 1);
            windows.push_back({snap(row0, raster.block_rows, rows), snap(col0, raster.block_cols, cols), rows, cols});
        }
    }
    return windows;
}

ValueSample sample_raster(const RasterInfo& raster, const std::vector<double>& excluded) {
    ValueSample sample;
    RasterSource source(raster);
    std::vector<double> values;
    const std::vector<Window> windows = sample_windows(raster);
    sample.whole_raster = windows.size() == 1 && windows.front().cell_count() == raster.grid.cols * raster.grid.rows;
    for (const Window& window : windows) {
        source.read(window, values);
        sample.cells_read += window.cell_count();
        for (const double value : values) {
            if (std::isnan(value) || (raster.nodata && value == *raster.nodata)) continue;
            if (std::find(excluded.begin(), excluded.end(), value) != excluded.end()) continue;
            sample.add(value);
        }
    }
    return sample;
}

CanopyKindGuess guess_canopy_kind(const ValueSample& sample) {
    using Type = CanopyKind::Type;
    const std::set<double>& values = sample.distinct;
    if (sample.valid_count == 0) return {std::nullopt, "", "no guess: the sample holds no valid cell (all nodata)"};
    if (only_zero_one(sample)) return {Type::Binary, "binary", "only the values 0 and 1 (1 = canopy)"};
    const bool within_percent = sample.min >= 0.0 && sample.max <= 100.0;
    if (sample.all_integer && within_percent && sample.min == 0.0 && sample.max == 100.0)
        return {Type::Percent, "percent", "whole values from 0 to 100: the canopy percentage of each cell"};
    if (sample.all_integer && !sample.more_values && values.size() <= max_class_count) {
        const auto example = std::find_if(values.begin(), values.end(), [](double v) { return v != 0.0; });
        return {Type::Classes, "classes=…",
                fmt::format("{} distinct whole values look like land-cover classes; pick the canopy classes, e.g. "
                            "classes={}",
                            values.size(), example == values.end() ? *values.begin() : *example)};
    }
    if (sample.min >= 0.0 && sample.max <= 1.0)
        return {Type::Fraction, "fraction", "values between 0 and 1: the canopy share of each cell"};
    if (within_percent)
        return {Type::Percent, "percent", "values between 0 and 100: the canopy percentage of each cell"};
    return {Type::Min, "min=…",
            fmt::format("values from {} to {} look continuous, like canopy height or NDVI; pick a threshold, e.g. "
                        "min=2 for heights in metres",
                        sample.min, sample.max)};
}

void check_canopy_kind(const ValueSample& sample, const CanopyKind& kind, const std::string& path,
                       Diagnostics& diagnostics) {
    using Type = CanopyKind::Type;
    if (sample.valid_count == 0) return;
    const std::optional<Type> guess = guess_canopy_kind(sample).type;
    // A few whole values, none above 20, not only 0 and 1: land-cover class codes, whatever
    // share kind was declared (land cover of classes 1–6 read as percent gives 1–6 % canopy
    // in every cell, a city without a cell above 20 %). Larger values may be a coarse percent
    // raster; a value above 100 is left to the overlay, which names it as undeclared nodata.
    if (guess == Type::Classes && sample.max <= 20 &&
        (kind.type == Type::Percent || kind.type == Type::Binary || kind.type == Type::Fraction))
        reject_kind(sample, kind, Type::Classes, path);
    switch (kind.type) {
    case Type::Percent:
        // Only values up to 1 as percent: at most 1 % canopy in every cell.
        if (sample.max > 0 && (guess == Type::Binary || guess == Type::Fraction))
            reject_kind(sample, kind, *guess, path);
        return;
    case Type::Binary:
        if (guess == Type::Percent || guess == Type::Fraction) reject_kind(sample, kind, *guess, path);
        return;
    case Type::Fraction:
        if (guess == Type::Percent) reject_kind(sample, kind, *guess, path);
        return;
    case Type::Classes:
    case Type::Min: break;
    }
    if (sample_has_canopy(sample, kind)) return;
    const std::string seen = kind.type == Type::Min
                                 ? fmt::format("values from {} to {}", sample.min, sample.max)
                                 : fmt::format("values {}", quote_values(sample));
    if (sample.whole_raster) {
        throw InputError(path, fmt::format("no cell is canopy under {}: its valid cells hold {}", kind.to_string(),
                                           seen))
            .with_hint(kind.type == Type::Min ? "choose a threshold within those values"
                                              : "list the canopy classes among those values");
    }
    diagnostics.warn("canopy-kind-sample", path,
                     fmt::format("no cell of a sample of {} cells is canopy under {} (sampled {}); the run may "
                                 "measure no canopy at all",
                                 sample.cells_read, kind.to_string(), seen));
}

}  // namespace shadegap
