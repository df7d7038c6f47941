// Internal helpers for OGR: error capture, opening vector files, geometry conversion.
// SPDX-License-Identifier: MIT
#include "ogr_util.hpp"

#include "shadegap/config.hpp"
#include "shadegap/error.hpp"

#include <cpl_vsi.h>


namespace shadegap::detail {

GDALDatasetUniquePtr open_vector(const std::string& path, const char* const* allowed_drivers,
                                 const char* const* open_options) {
    GDALAllRegister();
    // VSIStatL sees plain files and GDAL's virtual paths (/vsizip/..., /vsimem/...) alike.
    VSIStatBufL stat;
    if (!is_connection_string(path) && VSIStatL(path.c_str(), &stat) != 0) throw InputError(path, "no such file");
    ErrorCapture capture;
    GDALDatasetUniquePtr dataset(GDALDataset::Open(path.c_str(), GDAL_OF_VECTOR | GDAL_OF_READONLY,
                                                   allowed_drivers, open_options));
    if (!dataset) {
        std::string why = capture.message().empty() ? "not a vector format GDAL/OGR can read"
                                                 : capture.message();
        throw InputError(path, "cannot open as a vector layer (" + why + ")");
    }
    return dataset;
}

OGRLayer* find_layer(GDALDataset& dataset, const std::string& path, const std::string& layer) {
    const auto list_layers = [&] {
        std::string names;
        for (auto* l : dataset.GetLayers()) names += (names.empty() ? "" : ", ") + std::string(l->GetName());
        return names;
    };
    if (!layer.empty()) {
        OGRLayer* found = dataset.GetLayerByName(layer.c_str());
        if (found == nullptr)
            throw InputError(path, "no layer '" + layer + "' (layers: " + list_layers() + ")");
        return found;
    }
    if (dataset.GetLayerCount() == 0) throw InputError(path, "has no layer");
    if (dataset.GetLayerCount() > 1)
        throw InputError(path, "has several layers (" + list_layers() + "); choose one")
            .with_hint("name it with the --*-layer option");
    return dataset.GetLayer(0);
}

std::unique_ptr<OGRSpatialReference> srs_from_wkt(const std::string& wkt) {
    auto srs = std::make_unique<OGRSpatialReference>();
    if (srs->importFromWkt(wkt.c_str()) != OGRERR_NONE) return nullptr;
    srs->SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
    return srs;
}

std::string srs_name(const OGRSpatialReference* srs) {
    if (srs == nullptr) return "";
    const char* name = srs->GetName();
    std::string text = name != nullptr ? name : "";
    const char* authority = srs->GetAuthorityName(nullptr);
    const char* code = srs->GetAuthorityCode(nullptr);
    if (authority != nullptr && code != nullptr) text += std::string(" (") + authority + ":" + code + ")";
    return text;
}

std::unique_ptr<OGRCoordinateTransformation> transformation_to_raster(const std::string& layer_wkt,
                                                                       const std::string& layer_crs_name,
                                                                       const std::string& layer_name,
                                                                       const std::string& path,
                                                                       const RasterInfo& raster) {
    if (layer_wkt.empty())
        throw CrsError(path, "layer '" + layer_name + "' has no CRS; shadegap will not guess it")
            .with_hint("assign one, e.g. ogr2ogr -a_srs EPSG:4269 fixed.gpkg " + path);
    if (raster.crs_wkt.empty())
        throw CrsError(raster.path, "raster has no CRS; shadegap will not guess it")
            .with_hint("assign one, e.g. gdal_edit.py -a_srs EPSG:32618 " + raster.path);
    const auto source = srs_from_wkt(layer_wkt);
    const auto target = srs_from_wkt(raster.crs_wkt);
    if (!source) throw CrsError(path, "the layer's CRS cannot be read");
    if (!target) throw CrsError(raster.path, "the raster's CRS cannot be read");
    if (source->IsSame(target.get())) return nullptr;
    ErrorCapture capture;
    std::unique_ptr<OGRCoordinateTransformation> transform(OGRCreateCoordinateTransformation(source.get(), target.get()));
    if (!transform)
        throw CrsError(path, "no transformation from " + layer_crs_name + " to the raster's " + raster.crs_name + " (" +
                                 capture.message() + ")");
    return transform;
}

std::vector<unsigned char> to_wkb(const OGRGeometry& geometry) {
    std::vector<unsigned char> buffer(geometry.WkbSize());
    geometry.exportToWkb(wkbNDR, buffer.data(), wkbVariantIso);
    return buffer;
}

std::unique_ptr<OGRGeometry> from_wkb(const std::vector<unsigned char>& wkb) {
    OGRGeometry* geometry = nullptr;
    if (OGRGeometryFactory::createFromWkb(wkb.data(), nullptr, &geometry, wkb.size()) != OGRERR_NONE)
        return nullptr;
    return std::unique_ptr<OGRGeometry>(geometry);
}

namespace {
Ring to_ring(const OGRLinearRing& ring) {
    Ring out;
    out.reserve(static_cast<std::size_t>(ring.getNumPoints()));
    for (int i = 0; i < ring.getNumPoints(); ++i) out.push_back({ring.getX(i), ring.getY(i)});
    return out;
}

void append_polygons(const OGRGeometry& geometry, MultiPolygon& out) {
    const auto type = wkbFlatten(geometry.getGeometryType());
    if (type == wkbPolygon) {
        const auto& polygon = *geometry.toPolygon();
        if (polygon.IsEmpty()) return;
        Polygon p;
        p.shell = to_ring(*polygon.getExteriorRing());
        for (int i = 0; i < polygon.getNumInteriorRings(); ++i)
            p.holes.push_back(to_ring(*polygon.getInteriorRing(i)));
        out.push_back(std::move(p));
    } else if (OGR_GT_IsSubClassOf(type, wkbGeometryCollection)) {
        for (const auto* part : *geometry.toGeometryCollection()) append_polygons(*part, out);
    }
}
}  // namespace

MultiPolygon to_multipolygon(const OGRGeometry& geometry) {
    MultiPolygon out;
    append_polygons(geometry, out);
    return out;
}

std::unique_ptr<OGRGeometry> polygonal_part(std::unique_ptr<OGRGeometry> geometry) {
    auto result = std::make_unique<OGRMultiPolygon>();
    if (!geometry) return result;
    const auto type = wkbFlatten(geometry->getGeometryType());
    if (type == wkbPolygon) {
        result->addGeometry(geometry.get());
    } else if (OGR_GT_IsSubClassOf(type, wkbGeometryCollection)) {
        for (const auto* part : *geometry->toGeometryCollection()) {
            auto sub = polygonal_part(std::unique_ptr<OGRGeometry>(part->clone()));
            for (const auto* polygon : *sub->toMultiPolygon()) result->addGeometry(polygon);
        }
    }
    return result;
}

}  // namespace shadegap::detail
