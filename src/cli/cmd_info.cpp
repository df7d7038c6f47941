// `shadegap info`: what shadegap sees in a raster or a vector file.
// SPDX-License-Identifier: MIT
#include "commands.hpp"

#include "shadegap/info.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <memory>

namespace shadegap::cli {
namespace {

constexpr std::string_view NAME = "info";
constexpr std::string_view DESCRIPTION =
    "Describe a raster or vector file as shadegap sees it: grid, CRS, values, layers and fields.";

struct InfoState {
    std::string path;
    bool json = false;
};

void add_options(CLI::App& app, InfoState& state) {
    app.add_option("FILE", state.path,
                   "The raster (any GDAL raster or VRT) or vector file (any OGR source) to describe.")
        ->type_name("")
        ->required();
    app.add_flag("--json", state.json,
                 "Print one JSON object instead of text, for scripts. Default: text.");
}

std::string crs_text(const std::string& name, const std::string& authority) {
    if (name.empty() && authority.empty()) return "none";
    if (authority.empty()) return name;
    return fmt::format("{} ({})", name, authority);
}

std::string join_values(const std::vector<double>& values) {
    std::string text;
    for (double value : values) text += (text.empty() ? "" : ", ") + fmt::format("{}", value);
    return text;
}

/// The CRS unit of a raster's coordinates, for sizes and extents.
std::string unit_of(const RasterInfo& raster) {
    if (raster.crs_wkt.empty()) return "(no CRS)";
    if (raster.geographic) return "degrees";
    if (raster.linear_unit_m == 1.0) return "m";
    if (raster.linear_unit_m == 0.3048) return "ft";
    if (std::abs(raster.linear_unit_m - 1200.0 / 3937.0) < 1e-12) return "US survey ft";
    return fmt::format("CRS units (1 unit = {} m)", raster.linear_unit_m);
}

void print_raster(const DatasetInfo& info) {
    const RasterInfo& r = info.raster;
    const Grid& g = r.grid;
    const std::string unit = unit_of(r);
    fmt::print("  size         {} × {} cells (columns × rows), {}\n", g.cols, g.rows,
               r.band_count == 1 ? std::string("1 band") : fmt::format("{} bands (band 1 is read)", r.band_count));
    fmt::print("  crs          {}\n", crs_text(r.crs_name, r.crs_authority));
    if (!r.crs_wkt.empty())
        fmt::print("               {}, unit {}\n", r.geographic ? "geographic (cell areas are ellipsoidal, by row)"
                                                             : "projected",
                   unit);
    fmt::print("  pixel size   {} × {} {}\n", g.cell_width, g.cell_height, unit);
    fmt::print("  extent       x {} to {}, y {} to {} {}\n", g.x_min, g.x_max(), g.y_min(), g.y_max, unit);
    fmt::print("  block size   {} × {} cells\n", r.block_cols, r.block_rows);
    fmt::print("  data type    {}\n", r.data_type);
    fmt::print("  nodata       {}\n", r.nodata ? fmt::format("{}", *r.nodata) : std::string("none"));
    if (info.sample_values.empty()) {
        fmt::print("  values       no valid cell in the sample\n");
    } else {
        fmt::print("  values       {}{} (sampled; min {}, max {})\n", join_values(info.sample_values),
                   info.sample_values.size() >= 32 ? ", ..." : "", info.sample_min, info.sample_max);
    }
    if (!info.canopy_kind_guess.empty() || !info.canopy_kind_reason.empty())
        fmt::print("  canopy kind  {}{}{}\n", info.canopy_kind_guess,
                   info.canopy_kind_guess.empty() ? "" : ": ", info.canopy_kind_reason);
}

void print_layer(const LayerInfo& layer) {
    fmt::print("  layer {}\n", layer.name);
    fmt::print("    geometry   {}\n", layer.geometry_type);
    fmt::print("    features   {}\n", layer.feature_count);
    fmt::print("    crs        {}\n", crs_text(layer.crs_name, layer.crs_authority));
    if (layer.feature_count > 0 && layer.geometry_type != "None")
        fmt::print("    extent     x {} to {}, y {} to {}\n", layer.x_min, layer.x_max, layer.y_min, layer.y_max);
    if (layer.fields.empty()) {
        fmt::print("    fields     none\n");
        return;
    }
    const char* label = "    fields     ";
    for (const FieldInfo& field : layer.fields) {
        fmt::print("{}{} ({})\n", label, field.name, field.type);
        label = "               ";
    }
}

void print_text(const DatasetInfo& info) {
    fmt::print("{}\n", info.path);
    fmt::print("  driver       {}\n", info.driver);
    if (info.is_raster) print_raster(info);
    for (const LayerInfo& layer : info.layers) print_layer(layer);
}

nlohmann::json optional_json(const std::optional<double>& value) {
    return value ? nlohmann::json(*value) : nlohmann::json(nullptr);
}

nlohmann::json to_json(const DatasetInfo& info) {
    nlohmann::json j = {{"path", info.path}, {"driver", info.driver}};
    if (info.is_raster) {
        const RasterInfo& r = info.raster;
        const Grid& g = r.grid;
        j["raster"] = {
            {"columns", g.cols},
            {"rows", g.rows},
            {"bands", r.band_count},
            {"crs", {{"name", r.crs_name}, {"authority", r.crs_authority}, {"wkt", r.crs_wkt}}},
            {"geographic", r.geographic},
            {"linear_unit_m", r.linear_unit_m},
            {"pixel_width", g.cell_width},
            {"pixel_height", g.cell_height},
            {"extent", {{"x_min", g.x_min}, {"y_min", g.y_min()}, {"x_max", g.x_max()}, {"y_max", g.y_max}}},
            {"block_columns", r.block_cols},
            {"block_rows", r.block_rows},
            {"data_type", r.data_type},
            {"nodata", optional_json(r.nodata)},
            {"sample", {{"values", info.sample_values}, {"min", info.sample_min}, {"max", info.sample_max}}},
            {"canopy_kind_guess", info.canopy_kind_guess},
            {"canopy_kind_reason", info.canopy_kind_reason}};
    }
    nlohmann::json layers = nlohmann::json::array();
    for (const LayerInfo& layer : info.layers) {
        nlohmann::json fields = nlohmann::json::array();
        for (const FieldInfo& field : layer.fields) fields.push_back({{"name", field.name}, {"type", field.type}});
        layers.push_back(
            {{"name", layer.name},
             {"geometry_type", layer.geometry_type},
             {"feature_count", layer.feature_count},
             {"crs", {{"name", layer.crs_name}, {"authority", layer.crs_authority}}},
             {"extent", {{"x_min", layer.x_min}, {"y_min", layer.y_min}, {"x_max", layer.x_max}, {"y_max", layer.y_max}}},
             {"fields", fields}});
    }
    j["layers"] = layers;
    return j;
}

int run(const InfoState& state) {
    const DatasetInfo info = describe_dataset(state.path);
    if (state.json)
        fmt::print("{}\n", to_json(info).dump(2));
    else
        print_text(info);
    return 0;
}

CommandRunner setup(CLI::App& app) {
    auto state = std::make_shared<InfoState>();
    add_options(app, *state);
    return [state] { return run(*state); };
}

}  // namespace

const Command info_command{NAME, DESCRIPTION, &setup};

}  // namespace shadegap::cli
