// Output tables written through OGR drivers: GeoJSON (RFC 7946), CSV and GeoPackage.
// SPDX-License-Identifier: MIT
#include "shadegap/output.hpp"

#include "ogr_util.hpp"
#include "shadegap/error.hpp"

#include <cpl_conv.h>
#include <cpl_vsi.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <exception>
#include <functional>
#include <iterator>
#include <optional>
#include <numeric>
#include <random>
#include <string_view>
#include <system_error>
#include <thread>
#include <vector>

#include <signal.h>
#include <unistd.h>

namespace shadegap {

namespace fs = std::filesystem;

namespace {

/// The name a user knows an output by: its final path, not the temporary folder's.
std::string shown_path(const std::string& path) {
    const fs::path p(path);
    if (p.parent_path().filename().string().rfind(".shadegap-tmp-", 0) == 0)
        return (p.parent_path().parent_path() / p.filename()).string();
    return path;
}

OGRFieldType ogr_type(OutputColumn::Type type) {
    switch (type) {
    case OutputColumn::Type::Text: return OFTString;
    case OutputColumn::Type::Integer: return OFTInteger;
    case OutputColumn::Type::Real: return OFTReal;
    }
    return OFTString;
}

/// The geometries of an output: none, transformed to WGS 84 (GeoJSON), or in the table's CRS.
enum class Geometry { None, Wgs84, TableCrs };

/// Adds to a dataset after its table is written (before it is closed), e.g. a style table.
using Finish = std::function<void(GDALDataset&, const std::string& path)>;

/// Creates a dataset of the OGR driver at `path`, lets `fill` write its layers and closes
/// it, checking the close. Errors name `path`.
void write_dataset_to(const std::string& path, const char* driver_name, const Finish& fill) {
    detail::ErrorCapture capture;
    GDALDriver* driver = GetGDALDriverManager()->GetDriverByName(driver_name);
    if (driver == nullptr) throw OutputError(path, std::string("GDAL has no ") + driver_name + " driver");
    GDALDatasetUniquePtr dataset(driver->Create(path.c_str(), 0, 0, 0, GDT_Unknown, nullptr));
    if (!dataset) throw OutputError(path, "cannot create (" + capture.message() + ")");
    fill(*dataset, path);
    CPLErrorReset();
    dataset.reset();
    if (CPLGetLastErrorType() >= CE_Failure)
        throw OutputError(path, "cannot finish writing (" + capture.message() + ")");
}

/// Points when the table's first geometry is a point, otherwise (multi)polygons.
bool point_table(const OutputTable& table) {
    if (table.geometries.empty()) return false;
    const auto geometry = detail::from_wkb(table.geometries.front());
    return geometry && wkbFlatten(geometry->getGeometryType()) == wkbPoint;
}

/// Writes rows [first, last) of the table as the layer `layer_name` of `dataset`: points as
/// points (a point layer even without rows with `point_layer`), any other geometry as a
/// multipolygon. Errors name `path` and the row's number in
/// the whole table.
OGRLayer& write_layer(GDALDataset& dataset, const std::string& path, const std::string& layer_name,
                      const OutputTable& table, std::size_t first, std::size_t last,
                      const char* const* layer_options, Geometry geometry_crs, bool point_layer = false) {
    const bool with_geometry = geometry_crs != Geometry::None;
    const bool points = with_geometry && (point_layer || point_table(table));
    detail::ErrorCapture capture;

    std::unique_ptr<OGRSpatialReference> layer_srs;
    std::unique_ptr<OGRCoordinateTransformation> to_wgs84;
    if (geometry_crs == Geometry::TableCrs) {
        layer_srs = detail::srs_from_wkt(table.crs_wkt);
        if (!layer_srs) throw OutputError(path, "the geometries have no CRS");
    } else if (with_geometry) {
        layer_srs = std::make_unique<OGRSpatialReference>();
        layer_srs->importFromEPSG(4326);
        layer_srs->SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
        const auto source = detail::srs_from_wkt(table.crs_wkt);
        if (!source) throw OutputError(path, "the geometries have no CRS to transform to WGS 84");
        to_wgs84.reset(OGRCreateCoordinateTransformation(source.get(), layer_srs.get()));
        if (!to_wgs84) throw OutputError(path, "no transformation to WGS 84 (" + capture.message() + ")");
    }
    OGRLayer* layer = dataset.CreateLayer(layer_name.c_str(), layer_srs.get(),
                                          !with_geometry ? wkbNone : points ? wkbPoint : wkbMultiPolygon,
                                          const_cast<char**>(layer_options));
    if (layer == nullptr) throw OutputError(path, "cannot create the layer (" + capture.message() + ")");
    for (const auto& column : table.columns) {
        OGRFieldDefn field(column.name.c_str(), ogr_type(column.type));
        if (layer->CreateField(&field) != OGRERR_NONE)
            throw OutputError(path, "cannot create field '" + column.name + "' (" + capture.message() + ")");
    }
    for (std::size_t r = first; r < last; ++r) {
        OGRFeature feature(layer->GetLayerDefn());
        const auto& row = table.rows[r];
        for (std::size_t c = 0; c < row.size(); ++c) {
            const int index = static_cast<int>(c);
            std::visit(
                [&](const auto& value) {
                    using T = std::decay_t<decltype(value)>;
                    if constexpr (std::is_same_v<T, std::monostate>) feature.SetFieldNull(index);
                    else if constexpr (std::is_same_v<T, std::string>) feature.SetField(index, value.c_str());
                    else if constexpr (std::is_same_v<T, std::int64_t>) feature.SetField(index, static_cast<GIntBig>(value));
                    else feature.SetField(index, value);
                },
                row[c]);
        }
        if (with_geometry) {
            auto geometry = detail::from_wkb(table.geometries.at(r));
            if (!geometry) throw OutputError(path, "row " + std::to_string(r) + " has an unreadable geometry");
            if (to_wgs84 && geometry->transform(to_wgs84.get()) != OGRERR_NONE)
                throw OutputError(path, "cannot transform row " + std::to_string(r) + " to WGS 84 (" + capture.message() + ")");
            feature.SetGeometryDirectly(points ? geometry.release()
                                               : OGRGeometryFactory::forceToMultiPolygon(geometry.release()));
        }
        if (layer->CreateFeature(&feature) != OGRERR_NONE)
            throw OutputError(path, "cannot write row " + std::to_string(r) + " (" + capture.message() + ")");
    }
    return *layer;
}

/// Writes rows [first, last) of the table through an OGR driver to `path` (in memory; see
/// table_bytes), as a layer named after the file. Errors name `path` and the row's number in
/// the whole table.
void write_table_to(const OutputTable& table, std::size_t first, std::size_t last, const std::string& path,
                    const char* driver_name, const char* const* layer_options, Geometry geometry_crs,
                    const Finish& finish) {
    write_dataset_to(path, driver_name, [&](GDALDataset& dataset, const std::string& at) {
        write_layer(dataset, at, fs::path(at).stem().string(), table, first, last, layer_options, geometry_crs);
        if (finish) finish(dataset, at);
    });
}

/// The file `write` makes with an OGR driver at the memory path it is given. The driver
/// writes into memory: GDAL's drivers do not all report a failed write (a full disk
/// truncates the file silently), so the bytes go to disk through write_file(), which checks
/// every step. Errors name `path`, the output the bytes are for.
std::string dataset_bytes(const std::string& path, const char* driver_name,
                          const std::function<void(const std::string& memory_path)>& write) {
    GDALAllRegister();
    static std::atomic<unsigned> serial{0};
    const std::string folder = "/vsimem/shadegap-output-" + std::to_string(serial++);
    const std::string memory_path = folder + "/" + fs::path(path).filename().string();
    struct Cleanup {
        std::string folder;
        ~Cleanup() { VSIRmdirRecursive(folder.c_str()); }
    } cleanup{folder};
    VSIMkdir(folder.c_str(), 0755);
    try {
        write(memory_path);
    } catch (const OutputError& error) {
        throw OutputError(shown_path(path), error.message());
    }
    vsi_l_offset length = 0;
    const GByte* bytes = VSIGetMemFileBuffer(memory_path.c_str(), &length, FALSE);
    if (bytes == nullptr) throw OutputError(shown_path(path), "the " + std::string(driver_name) + " driver wrote nothing");
    return std::string(reinterpret_cast<const char*>(bytes), static_cast<std::size_t>(length));
}

/// Rows [first, last) of the table as the file an OGR driver writes for them (dataset_bytes).
std::string table_bytes(const OutputTable& table, std::size_t first, std::size_t last, const std::string& path,
                        const char* driver_name, const char* const* layer_options, Geometry geometry_crs,
                        const Finish& finish = {}) {
    return dataset_bytes(path, driver_name, [&](const std::string& at) {
        write_table_to(table, first, last, at, driver_name, layer_options, geometry_crs, finish);
    });
}

void write_table(const OutputTable& table, const std::string& path, const char* driver_name,
                 const char* const* layer_options, Geometry geometry_crs, const Finish& finish = {}) {
    write_file(path, table_bytes(table, 0, table.rows.size(), path, driver_name, layer_options, geometry_crs, finish));
}

/// A FeatureCollection as GDAL's GeoJSON driver writes it: a header ending in the line
/// `"features": [`, one feature per line with ",\n" between them, and the footer "\n]\n}\n".
/// Split into those parts; false when the text is not of that form.
bool split_feature_collection(const std::string& text, std::string_view& header, std::string_view& features) {
    constexpr std::string_view opening = "\"features\": [\n";
    constexpr std::string_view footer = "\n]\n}\n";
    const std::size_t start = text.find(opening);
    if (start == std::string::npos || text.size() < start + opening.size() + footer.size() ||
        text.compare(text.size() - footer.size(), footer.size(), footer) != 0)
        return false;
    header = std::string_view(text).substr(0, start + opening.size());
    features = std::string_view(text).substr(header.size(), text.size() - footer.size() - header.size());
    return !features.empty() && features.find("\n]\n") == std::string_view::npos;
}

}  // namespace

void write_file(const std::string& path, const std::string& bytes) {
    std::FILE* file = std::fopen(path.c_str(), "wb");
    if (file == nullptr) throw OutputError(shown_path(path), std::string("cannot create (") + std::strerror(errno) + ")");
    const bool written = std::fwrite(bytes.data(), 1, bytes.size(), file) == bytes.size();
    const bool flushed = std::fflush(file) == 0;
    if (std::fclose(file) != 0 || !written || !flushed) throw OutputError(shown_path(path), "cannot write (disk full?)");
}

void write_geojson(const OutputTable& table, const std::string& path, int threads) {
    const char* const options[] = {"RFC7946=YES", "COORDINATE_PRECISION=7", "WRITE_NAME=NO",
                                   "SIGNIFICANT_FIGURES=17", nullptr};
    // Formatting the coordinates takes most of the time (about 1 µs each in the driver), so
    // with threads the features are written in contiguous chunks at once, each chunk by the
    // driver into memory, and the chunks are joined: the driver writes every feature on a
    // line of its own, the same whatever the other features, so the joined text has the
    // bytes one driver writing every row gives. A chunk not of the expected form falls back
    // to one driver.
    constexpr std::size_t min_chunk_rows = 64;
    const std::size_t rows = table.rows.size();
    const std::size_t chunks = std::min<std::size_t>(static_cast<std::size_t>(std::max(1, threads)), rows / min_chunk_rows);
    if (chunks < 2) {
        write_table(table, path, "GeoJSON", options, Geometry::Wgs84);
        return;
    }
    GDALAllRegister();  // once, before the threads (each then finds the drivers registered)
    std::vector<std::string> texts(chunks);
    std::vector<std::exception_ptr> errors(chunks);
    std::vector<std::thread> workers;
    workers.reserve(chunks);
    bool all_started = true;
    try {
        for (std::size_t k = 0; k < chunks; ++k) {
            workers.emplace_back([&, k] {
                try {
                    texts[k] =
                        table_bytes(table, rows * k / chunks, rows * (k + 1) / chunks, path, "GeoJSON", options,
                                           Geometry::Wgs84);
                } catch (...) {
                    errors[k] = std::current_exception();
                }
            });
        }
    } catch (const std::system_error&) {
        all_started = false;  // no thread to be had: one driver writes every row below
    }
    for (std::thread& worker : workers) worker.join();
    if (!all_started) {
        write_table(table, path, "GeoJSON", options, Geometry::Wgs84);
        return;
    }
    for (const std::exception_ptr& error : errors)  // the first row's error, as one driver would meet it
        if (error) std::rethrow_exception(error);
    std::string joined;
    std::string_view first_header;
    for (std::size_t k = 0; k < chunks; ++k) {
        std::string_view header, features;
        if (!split_feature_collection(texts[k], header, features) || (k > 0 && header != first_header)) {
            write_table(table, path, "GeoJSON", options, Geometry::Wgs84);
            return;
        }
        if (k == 0) {
            first_header = header;
            joined.reserve(std::accumulate(texts.begin(), texts.end(), std::size_t{0},
                                           [](std::size_t n, const std::string& t) { return n + t.size(); }));
            joined += header;
        } else {
            joined += ",\n";
        }
        joined += features;
    }
    joined += "\n]\n}\n";
    write_file(path, joined);
}

void write_csv(const OutputTable& table, const std::string& path) {
    const char* const options[] = {"GEOMETRY=NONE", "LINEFORMAT=LF", "STRING_QUOTING=IF_NEEDED", nullptr};
    write_table(table, path, "CSV", options, Geometry::None);
}

void write_csvt(const OutputTable& table, const std::string& path) {
    std::string line;
    for (const OutputColumn& column : table.columns) {
        if (!line.empty()) line += ',';
        switch (column.type) {
            case OutputColumn::Type::Text: line += "\"String\""; break;
            case OutputColumn::Type::Integer: line += "\"Integer64\""; break;
            case OutputColumn::Type::Real: line += "\"Real\""; break;
        }
    }
    write_file(path, line + "\n");
}

namespace {

struct StyleClass {
    int lower, upper;
    const char* color;
};

/// A symbol layer's properties both as the Option map (QGIS >= 3.16) and as prop (older).
std::string symbol_layer(const char* layer_class, const std::vector<std::pair<const char*, std::string>>& properties) {
    std::string options, props;
    for (const auto& property : properties) {
        options += std::string("            <Option type=\"QString\" name=\"") + property.first + "\" value=\"" +
                   property.second + "\"/>\n";
        props += std::string("          <prop k=\"") + property.first + "\" v=\"" + property.second + "\"/>\n";
    }
    return std::string("        <layer class=\"") + layer_class + "\" enabled=\"1\" locked=\"0\" pass=\"0\">\n" +
           "          <Option type=\"Map\">\n" + options + "          </Option>\n" + props + "        </layer>\n";
}

constexpr const char* qml_head = "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n"
                                 "<qgis version=\"3.22.0\" styleCategories=\"Symbology\">\n";

/// A graduated renderer of polygons on `attribute` in the given classes (each upper bound included).
std::string graduated_style_qml(const char* attribute, const std::vector<StyleClass>& classes) {
    std::string ranges, symbols;
    for (std::size_t k = 0; k < classes.size(); ++k) {
        const StyleClass& c = classes[k];
        const std::string lower = std::to_string(c.lower), upper = std::to_string(c.upper);
        ranges += "      <range render=\"true\" symbol=\"" + std::to_string(k) + "\" lower=\"" + lower +
                  "\" upper=\"" + upper + "\" label=\"" + lower + " - " + upper + "\"/>\n";
        symbols += "      <symbol type=\"fill\" name=\"" + std::to_string(k) +
                   "\" alpha=\"1\" clip_to_extent=\"1\" force_rhr=\"0\">\n" +
                   symbol_layer("SimpleFill", {{"color", c.color},
                                               {"outline_color", "35,35,35,255"},
                                               {"outline_style", "solid"},
                                               {"outline_width", "0.26"},
                                               {"outline_width_unit", "MM"},
                                               {"style", "solid"}}) +
                   "      </symbol>\n";
    }
    return std::string(qml_head) + "  <renderer-v2 type=\"graduatedSymbol\" attr=\"" + attribute +
           "\" graduatedMethod=\"GraduatedColor\" "
           "symbollevels=\"0\" enableorderby=\"0\" forceraster=\"0\" referencescale=\"-1\">\n"
           "    <ranges>\n" +
           ranges +
           "    </ranges>\n"
           "    <symbols>\n" +
           symbols +
           "    </symbols>\n"
           "    <mode name=\"fixed\"/>\n"
           "    <labelformat format=\"%1 - %2\" trimtrailingzeroes=\"true\" decimalplaces=\"0\"/>\n"
           "  </renderer-v2>\n"
           "  <layerGeometryType>2</layerGeometryType>\n"
           "</qgis>\n";
}

}  // namespace

std::string score_style_qml() {
    // ColorBrewer RdYlGn, 5 classes: red = plant first
    return graduated_style_qml("score", {{0, 20, "215,25,28,255"},
                                         {20, 40, "253,174,97,255"},
                                         {40, 60, "255,255,191,255"},
                                         {60, 80, "166,217,106,255"},
                                         {80, 100, "26,150,65,255"}});
}

std::string plan_style_qml() {
    // ColorBrewer Greens, 5 classes: more canopy with the plan, darker
    return graduated_style_qml("canopy_pct_plan", {{0, 10, "237,248,233,255"},
                                                   {10, 20, "186,228,179,255"},
                                                   {20, 30, "116,196,118,255"},
                                                   {30, 40, "49,163,84,255"},
                                                   {40, 100, "0,109,44,255"}});
}

std::string sites_style_qml() {
    return std::string(qml_head) +
           "  <renderer-v2 type=\"singleSymbol\" symbollevels=\"0\" enableorderby=\"0\" forceraster=\"0\" "
           "referencescale=\"-1\">\n"
           "    <symbols>\n"
           "      <symbol type=\"marker\" name=\"0\" alpha=\"1\" clip_to_extent=\"1\" force_rhr=\"0\">\n" +
           symbol_layer("SimpleMarker", {{"name", "circle"},
                                         {"color", "65,171,93,255"},
                                         {"outline_color", "0,68,27,255"},
                                         {"outline_style", "solid"},
                                         {"outline_width", "0.2"},
                                         {"outline_width_unit", "MM"},
                                         {"size", "2.4"},
                                         {"size_unit", "MM"}}) +
           "      </symbol>\n"
           "    </symbols>\n"
           "  </renderer-v2>\n"
           "  <layerGeometryType>0</layerGeometryType>\n"
           "</qgis>\n";
}

namespace {

/// The date the GeoPackage records as its tables' last change (gpkg_contents.last_change),
/// fixed so that a run gives the same bytes every time.
constexpr const char* gpkg_date = "2000-01-01T00:00:00.000Z";

/// Sets a GDAL configuration option for this thread only, and restores it when destroyed:
/// the library leaves GDAL's settings as it found them.
class ThreadConfigOption {
public:
    ThreadConfigOption(const char* key, const char* value) : m_key(key) {
        if (const char* before = CPLGetThreadLocalConfigOption(key, nullptr)) m_before = before;
        CPLSetThreadLocalConfigOption(key, value);
    }
    ~ThreadConfigOption() { CPLSetThreadLocalConfigOption(m_key, m_before ? m_before->c_str() : nullptr); }
    ThreadConfigOption(const ThreadConfigOption&) = delete;
    ThreadConfigOption& operator=(const ThreadConfigOption&) = delete;

private:
    const char* m_key;
    std::optional<std::string> m_before;
};

/// A layer's default style: its QML and a sentence.
struct LayerStyle {
    OGRLayer* layer;
    const std::string* qml;
    const std::string* description;
};

/// The `layer_styles` table as QGIS creates it in a GeoPackage, with one row per layer: its
/// `qml` as the layer's default style.
void add_layer_styles(GDALDataset& dataset, const std::string& path, const std::vector<LayerStyle>& layers) {
    detail::ErrorCapture capture;
    const char* const options[] = {"FID=id", nullptr};
    OGRLayer* styles = dataset.CreateLayer("layer_styles", nullptr, wkbNone, const_cast<char**>(options));
    if (styles == nullptr) throw OutputError(path, "cannot create the layer_styles table (" + capture.message() + ")");
    struct Column {
        const char* name;
        OGRFieldType type;
        int width;
    };
    constexpr Column columns[] = {
        {"f_table_catalog", OFTString, 256}, {"f_table_schema", OFTString, 256}, {"f_table_name", OFTString, 256},
        {"f_geometry_column", OFTString, 256}, {"styleName", OFTString, 0},     {"styleQML", OFTString, 0},
        {"styleSLD", OFTString, 0},          {"useAsDefault", OFTInteger, 0}, {"description", OFTString, 0},
        {"owner", OFTString, 64},            {"ui", OFTString, 0},            {"update_time", OFTDateTime, 0}};
    for (const Column& column : columns) {
        OGRFieldDefn field(column.name, column.type);
        field.SetWidth(column.width);
        if (std::string_view(column.name) == "useAsDefault") field.SetSubType(OFSTBoolean);
        if (styles->CreateField(&field) != OGRERR_NONE)
            throw OutputError(path, std::string("cannot create layer_styles.") + column.name + " (" +
                                        capture.message() + ")");
    }
    for (const LayerStyle& style : layers) {
        OGRLayer& layer = *style.layer;
        OGRFeature row(styles->GetLayerDefn());
        row.SetField("f_table_catalog", "");
        row.SetField("f_table_schema", "");
        row.SetField("f_table_name", layer.GetName());
        row.SetField("f_geometry_column", layer.GetGeometryColumn());
        row.SetField("styleName", layer.GetName());
        row.SetField("styleQML", style.qml->c_str());
        row.SetField("styleSLD", "");
        row.SetField("useAsDefault", 1);
        row.SetField("description", style.description->c_str());
        row.SetField("owner", "");
        row.SetField("ui", "");
        row.SetFieldNull(row.GetFieldIndex("update_time"));  // a time would change the bytes of every run
        if (styles->CreateFeature(&row) != OGRERR_NONE)
            throw OutputError(path, "cannot write the layer_styles row of " + std::string(layer.GetName()) + " (" +
                                    capture.message() + ")");
    }
}

}  // namespace

void write_geopackage(const std::vector<GeoPackageLayer>& layers, const std::string& path) {
    const char* const options[] = {"FID=fid", "GEOMETRY_NAME=geom", nullptr};
    // An OGR_CURRENT_DATE the caller has set is kept; otherwise the fixed date.
    const char* given = CPLGetConfigOption("OGR_CURRENT_DATE", nullptr);
    const ThreadConfigOption date("OGR_CURRENT_DATE", given ? given : gpkg_date);
    write_file(path, dataset_bytes(path, "GPKG", [&](const std::string& at) {
        write_dataset_to(at, "GPKG", [&](GDALDataset& dataset, const std::string& where) {
            std::vector<LayerStyle> styles;
            for (const GeoPackageLayer& layer : layers) {
                OGRLayer& written = write_layer(dataset, where, layer.name, *layer.table, 0, layer.table->rows.size(),
                                                options, Geometry::TableCrs, layer.points);
                styles.push_back({&written, &layer.qml, &layer.description});
            }
            add_layer_styles(dataset, where, styles);
        });
    }));
}

void write_geopackage(const OutputTable& table, const std::string& path) {
    write_geopackage({{fs::path(path).stem().string(), &table, score_style_qml(),
                       "shadegap: score in 5 classes, red (0-20, plant first) to green (80-100)"}},
                     path);
}

namespace {

constexpr std::string_view temp_prefix = ".shadegap-tmp-";

std::string host_name() {
    char name[256] = {};
    if (gethostname(name, sizeof name - 1) != 0 || name[0] == '\0') return "host";
    return name;
}

/// The process of a temporary folder `.shadegap-tmp-HOST-PID-N` made on this host, or 0
/// when the name is not of that form or names another host.
long owner_on_this_host(const std::string& name, const std::string& host) {
    if (name.rfind(temp_prefix, 0) != 0) return 0;
    const std::string rest = name.substr(temp_prefix.size());
    const std::size_t last = rest.rfind('-');
    if (last == std::string::npos || last == 0) return 0;
    const std::size_t before = rest.rfind('-', last - 1);
    if (before == std::string::npos || rest.substr(0, before) != host) return 0;
    const std::string pid = rest.substr(before + 1, last - before - 1);
    if (pid.empty() || pid.find_first_not_of("0123456789") != std::string::npos || pid.size() > 9) return 0;
    return std::stol(pid);
}

/// Removes the temporary folders in `out_dir` left by runs of this host that no longer run
/// (killed by SIGKILL, or by a power cut). A folder whose process is alive, or of another
/// host, or of an older name, is left alone.
void remove_stale_temporaries(const std::string& out_dir, const std::string& host, Diagnostics* diagnostics) {
    std::error_code ec;
    for (fs::directory_iterator it(out_dir, ec), end; !ec && it != end; it.increment(ec)) {
        const std::string name = it->path().filename().string();
        const long pid = owner_on_this_host(name, host);
        if (pid <= 0 || !it->is_directory(ec)) continue;
        if (kill(static_cast<pid_t>(pid), 0) == 0 || errno != ESRCH) continue;  // alive, or not ours to judge
        std::error_code removed;
        fs::remove_all(it->path(), removed);
        if (diagnostics && !removed) {
            diagnostics->warn("stale-temporary", (fs::path(out_dir) / name).string(),
                              "removed the temporary folder of an earlier run that was killed (process " +
                                  std::to_string(pid) + " no longer runs)");
        }
    }
}

}  // namespace

OutputTransaction::OutputTransaction(std::string out_dir, Diagnostics* diagnostics) : m_out_dir(std::move(out_dir)) {
    std::error_code ec;
    m_created_out_dir = !fs::exists(m_out_dir, ec);
    fs::create_directories(m_out_dir, ec);
    if (ec) throw OutputError(m_out_dir, "cannot create the output folder (" + ec.message() + ")");
    const std::string host = host_name();
    if (!m_created_out_dir) remove_stale_temporaries(m_out_dir, host, diagnostics);
    std::random_device seed;
    for (int attempt = 0; attempt < 16 && m_temp_dir.empty(); ++attempt) {
        const fs::path candidate = fs::path(m_out_dir) / (std::string(temp_prefix) + host + "-" +
                                                         std::to_string(getpid()) + "-" + std::to_string(seed()));
        if (fs::create_directory(candidate, ec)) m_temp_dir = candidate.string();
    }
    if (m_temp_dir.empty())
        throw OutputError(m_out_dir, "cannot write in the output folder (" + ec.message() + ")");
}

OutputTransaction::~OutputTransaction() {
    std::error_code ec;
    fs::remove_all(m_temp_dir, ec);
    // A failed run leaves the output folder as it was: gone again if it made it (and
    // nothing else has been put there since).
    if (!m_committed && m_created_out_dir) fs::remove(m_out_dir, ec);
}

std::string OutputTransaction::path_for(const std::string& name) {
    m_names.push_back(name);
    return (fs::path(m_temp_dir) / name).string();
}

std::string OutputTransaction::scratch_path(const std::string& name) const {
    return (fs::path(m_temp_dir) / name).string();
}

std::vector<std::string> OutputTransaction::commit() {
    std::vector<std::string> written;
    for (const auto& name : m_names) {
        const fs::path target = fs::path(m_out_dir) / name;
        std::error_code ec;
        fs::rename(fs::path(m_temp_dir) / name, target, ec);
        if (ec) throw OutputError(target.string(), "cannot move into place (" + ec.message() + ")");
        written.push_back(target.string());
    }
    m_committed = true;
    return written;
}

}  // namespace shadegap
