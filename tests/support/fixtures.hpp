// Test fixtures made by the tests: rasters and polygon layers written through GDAL, CSV reading.
// SPDX-License-Identifier: MIT
#pragma once

#include <gdal_priv.h>
#include <ogr_spatialref.h>
#include <ogrsf_frmts.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace shadegap::test {

/// A fresh temporary folder, removed when the object goes.
class TempDir {
public:
    TempDir() {
        std::random_device seed;
        m_path = std::filesystem::temp_directory_path() / ("shadegap-test-" + std::to_string(seed()));
        std::filesystem::create_directories(m_path);
    }
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(m_path, ec);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    std::string file(const std::string& name) const { return (m_path / name).string(); }
    const std::filesystem::path& path() const { return m_path; }

private:
    std::filesystem::path m_path;
};

/// Writes a north-up single-band GeoTIFF: values row-major, top row first.
inline void write_raster(const std::string& path, int cols, int rows, double x_min, double y_max, double cell,
                         const std::vector<double>& values, int epsg, GDALDataType type = GDT_Byte,
                         const double* nodata = nullptr, int block = 0) {
    GDALAllRegister();
    GDALDriver* driver = GetGDALDriverManager()->GetDriverByName("GTiff");
    char** options = nullptr;
    if (block > 0) {
        options = CSLSetNameValue(options, "TILED", "YES");
        options = CSLSetNameValue(options, "BLOCKXSIZE", std::to_string(block).c_str());
        options = CSLSetNameValue(options, "BLOCKYSIZE", std::to_string(block).c_str());
    }
    GDALDataset* dataset = driver->Create(path.c_str(), cols, rows, 1, type, options);
    CSLDestroy(options);
    if (dataset == nullptr) throw std::runtime_error("cannot create " + path);
    double transform[6] = {x_min, cell, 0, y_max, 0, -cell};
    dataset->SetGeoTransform(transform);
    if (epsg > 0) {
        OGRSpatialReference srs;
        srs.importFromEPSG(epsg);
        dataset->SetSpatialRef(&srs);
    }
    GDALRasterBand* band = dataset->GetRasterBand(1);
    if (nodata != nullptr) band->SetNoDataValue(*nodata);
    std::vector<double> copy = values;
    if (band->RasterIO(GF_Write, 0, 0, cols, rows, copy.data(), cols, rows, GDT_Float64, 0, 0) != CE_None)
        throw std::runtime_error("cannot write " + path);
    GDALClose(dataset);
}

/// One feature of a polygon layer: WKT geometry (empty: none) and field values; an empty
/// text value is written as null.
struct TestFeature {
    std::string wkt;
    std::map<std::string, std::string> text;
    std::map<std::string, double> numbers;
};

/// Writes a polygon layer (GeoPackage, GeoJSON, Shapefile... by extension's driver) in `epsg`,
/// transforming the WKT coordinates from `wkt_epsg` when they differ.
inline void write_layer(const std::string& path, const std::string& driver_name, const std::string& layer_name,
                        int epsg, const std::vector<TestFeature>& features, int wkt_epsg = 0) {
    GDALAllRegister();
    GDALDriver* driver = GetGDALDriverManager()->GetDriverByName(driver_name.c_str());
    GDALDataset* dataset = driver->Create(path.c_str(), 0, 0, 0, GDT_Unknown, nullptr);
    if (dataset == nullptr) throw std::runtime_error("cannot create " + path);
    OGRSpatialReference srs;
    OGRSpatialReference* layer_srs = nullptr;
    if (epsg > 0) {
        srs.importFromEPSG(epsg);
        srs.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
        layer_srs = &srs;
    }
    OGRSpatialReference source;
    OGRCoordinateTransformation* transform = nullptr;
    if (wkt_epsg > 0 && wkt_epsg != epsg) {
        source.importFromEPSG(wkt_epsg);
        source.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
        transform = OGRCreateCoordinateTransformation(&source, &srs);
    }
    OGRLayer* layer = dataset->CreateLayer(layer_name.c_str(), layer_srs, wkbUnknown, nullptr);
    if (!features.empty()) {
        for (const auto& [name, value] : features[0].text) {
            OGRFieldDefn field(name.c_str(), OFTString);
            if (layer->CreateField(&field) != OGRERR_NONE) throw std::runtime_error("cannot add field " + name);
        }
        for (const auto& [name, value] : features[0].numbers) {
            OGRFieldDefn field(name.c_str(), OFTReal);
            if (layer->CreateField(&field) != OGRERR_NONE) throw std::runtime_error("cannot add field " + name);
        }
    }
    for (const auto& f : features) {
        OGRFeature feature(layer->GetLayerDefn());
        for (const auto& [name, value] : f.text) {
            // An empty text stands for null.
            if (value.empty()) feature.SetFieldNull(feature.GetFieldIndex(name.c_str()));
            else feature.SetField(name.c_str(), value.c_str());
        }
        for (const auto& [name, value] : f.numbers) feature.SetField(name.c_str(), value);
        if (!f.wkt.empty()) {
            OGRGeometry* geometry = nullptr;
            OGRGeometryFactory::createFromWkt(f.wkt.c_str(), nullptr, &geometry);
            if (geometry == nullptr) throw std::runtime_error("bad WKT " + f.wkt);
            if (transform != nullptr) geometry->transform(transform);
            feature.SetGeometryDirectly(geometry);
        }
        if (layer->CreateFeature(&feature) != OGRERR_NONE) throw std::runtime_error("cannot write to " + path);
    }
    if (transform != nullptr) OGRCoordinateTransformation::DestroyCT(transform);
    GDALClose(dataset);
}

/// Reads a CSV file written by shadegap: header → column, rows as text (no quoted commas
/// in the values the tests compare).
struct CsvTable {
    std::vector<std::string> header;
    std::vector<std::map<std::string, std::string>> rows;
};

inline std::vector<std::string> split_csv_line(const std::string& line) {
    std::vector<std::string> cells;
    std::string cell;
    bool quoted = false;
    for (std::size_t i = 0; i < line.size(); ++i) {
        const char c = line[i];
        if (quoted) {
            if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') { cell += '"'; ++i; }
            else if (c == '"') quoted = false;
            else cell += c;
        } else if (c == '"') {
            quoted = true;
        } else if (c == ',') {
            cells.push_back(cell);
            cell.clear();
        } else if (c != '\r') {
            cell += c;
        }
    }
    cells.push_back(cell);
    return cells;
}

inline CsvTable read_csv(const std::string& path) {
    std::ifstream in(path);
    if (!in) throw std::runtime_error("cannot read " + path);
    CsvTable table;
    std::string line;
    if (std::getline(in, line)) table.header = split_csv_line(line);
    while (std::getline(in, line)) {
        if (line.empty()) continue;
        const auto cells = split_csv_line(line);
        std::map<std::string, std::string> row;
        for (std::size_t i = 0; i < table.header.size() && i < cells.size(); ++i) row[table.header[i]] = cells[i];
        table.rows.push_back(std::move(row));
    }
    return table;
}

inline std::string read_text(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

}  // namespace shadegap::test
