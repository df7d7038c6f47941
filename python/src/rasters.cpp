// overlay(), sun(), shadows(), run_shade() and rasters to and from NumPy arrays.
// SPDX-License-Identifier: MIT
#include "bindings.hpp"

#include "shadegap/error.hpp"
#include "shadegap/overlay.hpp"
#include "shadegap/place.hpp"
#include "shadegap/raster.hpp"
#include "shadegap/shade.hpp"
#include "shadegap/shadow.hpp"
#include "shadegap/sun.hpp"
#include "shadegap/zones.hpp"

#include <cpl_conv.h>
#include <cpl_error.h>
#include <cpl_vsi.h>
#include <gdal.h>
#include <ogr_srs_api.h>

#include <fmt/format.h>
#include <pybind11/numpy.h>
#include <pybind11/stl.h>

#include <cmath>
#include <limits>
#include <memory>
#include <string>
#include <vector>

namespace shadegap::python {
namespace {

using DoubleArray = py::array_t<double, py::array::c_style | py::array::forcecast>;
using FloatArray = py::array_t<float, py::array::c_style | py::array::forcecast>;

template <typename T>
py::array_t<T> array_of(const std::vector<T>& values) {
    py::array_t<T> array(static_cast<py::ssize_t>(values.size()));
    std::copy(values.begin(), values.end(), array.mutable_data());
    return array;
}

py::array object_array_of(const std::vector<std::string>& values) {
    py::list items;
    for (const std::string& value : values) items.append(value);
    return py::module_::import("numpy").attr("array")(items, py::arg("dtype") = "object");
}

py::list warnings_of(const Diagnostics& diagnostics) {
    py::list warnings;
    for (const Warning& warning : diagnostics.warnings())
        warnings.append(py::dict(py::arg("code") = warning.code, py::arg("subject") = warning.subject,
                                 py::arg("message") = warning.message));
    return warnings;
}

// ---- rasters --------------------------------------------------------------------------------

/// GDAL's errors, kept quiet while a call runs and reported in the error thrown.
class QuietGdal {
public:
    QuietGdal() {
        CPLPushErrorHandler(CPLQuietErrorHandler);
        CPLErrorReset();
    }
    ~QuietGdal() { CPLPopErrorHandler(); }
    QuietGdal(const QuietGdal&) = delete;
    QuietGdal& operator=(const QuietGdal&) = delete;
    static std::string last(const std::string& fallback) {
        const char* text = CPLGetLastErrorMsg();
        return text && *text ? fallback + " (" + std::string(text) + ")" : fallback;
    }
};

/// The checks that several functions make of the same arguments, with the same words.
void check_threads(int threads) {
    if (threads < 0) throw UsageError("threads", fmt::format("expected an integer ≥ 0, got {}", threads));
}

void check_step(int step) {
    if (step <= 0) throw UsageError("step", fmt::format("expected a positive number of minutes, got {}", step));
}

void require_tz(const std::string& tz) {
    if (tz.empty()) throw UsageError("tz", "required; give tz=\"America/New_York\", a fixed offset \"-04:00\" or \"UTC\"");
}

/// Writes a 2-D array as band 1 of a GeoTIFF (GDAL paths such as /vsimem/ too). The
/// geotransform is GDAL's (x_min, cell_width, 0, y_max, 0, -cell_height), north-up.
void write_raster(const std::string& path, const py::array& values, const std::vector<double>& geotransform,
                  const std::string& crs, const py::object& nodata) {
    if (values.ndim() != 2)
        throw UsageError("array", fmt::format("expected a 2-D array (rows, columns), got {} dimensions", values.ndim()));
    if (geotransform.size() != 6 || geotransform[2] != 0 || geotransform[4] != 0 || !(geotransform[1] > 0) ||
        !(geotransform[5] < 0))
        throw UsageError("geotransform", "expected GDAL's north-up (x_min, cell_width, 0, y_max, 0, -cell_height) "
                                         "with cell sizes above 0");
    GDALAllRegister();
    const QuietGdal quiet;
    OGRSpatialReferenceH srs = OSRNewSpatialReference(nullptr);
    char* wkt = nullptr;
    const bool crs_ok = OSRSetFromUserInput(srs, crs.c_str()) == OGRERR_NONE && OSRExportToWkt(srs, &wkt) == OGRERR_NONE;
    const std::string crs_wkt = crs_ok && wkt ? wkt : "";
    CPLFree(wkt);
    OSRDestroySpatialReference(srs);
    if (!crs_ok) throw CrsError("crs", QuietGdal::last("cannot read the CRS \"" + crs + "\""));

    const py::dtype type = values.dtype();
    GDALDataType gdal_type = GDT_Float64;
    py::array data;
    const auto numpy = py::module_::import("numpy");
    if (type.is(py::dtype::of<std::uint8_t>())) gdal_type = GDT_Byte;
    else if (type.is(py::dtype::of<std::int16_t>())) gdal_type = GDT_Int16;
    else if (type.is(py::dtype::of<std::uint16_t>())) gdal_type = GDT_UInt16;
    else if (type.is(py::dtype::of<std::int32_t>())) gdal_type = GDT_Int32;
    else if (type.is(py::dtype::of<float>())) gdal_type = GDT_Float32;
    if (gdal_type == GDT_Float64) data = numpy.attr("ascontiguousarray")(values, py::arg("dtype") = "float64");
    else data = numpy.attr("ascontiguousarray")(values);

    const int rows = static_cast<int>(values.shape(0));
    const int cols = static_cast<int>(values.shape(1));
    GDALDriverH driver = GDALGetDriverByName("GTiff");
    const char* const options[] = {"COMPRESS=DEFLATE", "TILED=YES", nullptr};
    GDALDatasetH dataset = GDALCreate(driver, path.c_str(), cols, rows, 1, gdal_type, const_cast<char**>(options));
    if (!dataset) throw OutputError(path, QuietGdal::last("cannot be created as a GeoTIFF"));
    double transform[6];
    std::copy(geotransform.begin(), geotransform.end(), transform);
    GDALSetGeoTransform(dataset, transform);
    GDALSetProjection(dataset, crs_wkt.c_str());
    GDALRasterBandH band = GDALGetRasterBand(dataset, 1);
    if (!nodata.is_none()) GDALSetRasterNoDataValue(band, nodata.cast<double>());
    CPLErr status = GDALRasterIO(band, GF_Write, 0, 0, cols, rows, const_cast<void*>(data.data()), cols, rows,
                                 gdal_type, 0, 0);
    GDALClose(dataset);  // void in GDAL 3.6: a failed flush shows as the last error
    if (CPLGetLastErrorType() == CE_Failure) status = CE_Failure;
    if (status != CE_None) {
        VSIUnlink(path.c_str());
        throw OutputError(path, QuietGdal::last("cannot be written"));
    }
}

py::dict read_raster(const std::string& path) {
    RasterSource source(path);
    const RasterInfo& info = source.info();
    std::vector<double> values;
    {
        py::gil_scoped_release released;
        source.read(info.grid.full_window(), values);
    }
    DoubleArray array({static_cast<py::ssize_t>(info.grid.rows), static_cast<py::ssize_t>(info.grid.cols)});
    std::copy(values.begin(), values.end(), array.mutable_data());
    py::dict raster;
    raster["values"] = array;
    raster["geotransform"] = py::make_tuple(info.grid.x_min, info.grid.cell_width, 0.0, info.grid.y_max, 0.0,
                                            -info.grid.cell_height);
    raster["crs"] = info.crs_wkt;
    raster["crs_name"] = info.crs_name;
    raster["nodata"] = info.nodata ? py::cast(*info.nodata) : py::none();
    return raster;
}

// ---- overlay --------------------------------------------------------------------------------

py::dict overlay(const std::string& raster, const std::string& units, const std::string& unit_id,
                 const std::string& units_layer, const std::string& canopy_kind,
                 const std::vector<double>& water_classes, const std::string& shade, const std::string& shade_mask,
                 const std::vector<double>& building_classes, const std::vector<double>& walkable_classes,
                 const std::vector<double>& residential_classes, int threads, int block_size,
                 const py::object& progress) {
    OverlayOptions options;
    options.kind = CanopyKind::parse(canopy_kind);
    options.water_classes = water_classes;
    options.residential_classes = residential_classes;
    if (shade_mask != "land" && shade_mask != "walkable")
        throw UsageError("shade_mask", "expected land or walkable, got \"" + shade_mask + "\"");
    if (shade_mask == "walkable" && walkable_classes.empty())
        throw UsageError("shade_mask", "walkable needs walkable_classes (the land-cover values of roads, sidewalks "
                                       "and open ground)");
    options.shade.path = shade;
    options.shade.mask = shade_mask == "walkable" ? ShadeMask{ShadeMask::Type::Include, walkable_classes}
                                                  : ShadeMask{ShadeMask::Type::Exclude, building_classes};
    check_threads(threads);
    if (block_size < 0) throw UsageError("block_size", fmt::format("expected an integer ≥ 0, got {}", block_size));
    options.threads = threads;
    options.block_rows = block_size;
    options.block_cols = block_size;

    Diagnostics diagnostics;
    ZoneLayer layer;
    AlignedZones zones;
    std::vector<ZoneSums> sums;
    {
        const ProgressFn report = progress_calling(progress);
        py::gil_scoped_release released;
        const RasterInfo info = describe_raster(raster);
        LayerRequest request;
        request.path = units;
        request.layer = units_layer;
        request.id_field = unit_id;
        layer = read_zone_layer(request, diagnostics);
        zones = align_zones(layer, info, diagnostics);
        sums = overlay_zones(raster, zones.polygons, options, report);
    }

    const std::size_t n = sums.size();
    std::vector<double> valid(n), canopy(n), water(n), nodata(n), covered(n), fraction(n);
    std::vector<double> shade_mask_m2(n), shade_m2(n), shade_fraction(n), residential(n);
    const double nan = std::numeric_limits<double>::quiet_NaN();
    for (std::size_t i = 0; i < n; ++i) {
        const ZoneSums& s = sums[i];
        valid[i] = s.valid_m2;
        canopy[i] = s.canopy_m2;
        water[i] = s.water_m2;
        nodata[i] = s.nodata_m2;
        covered[i] = s.covered_m2;
        fraction[i] = s.valid_m2 > 0 ? s.canopy_m2 / s.valid_m2 : nan;
        shade_mask_m2[i] = s.shade_mask_m2;
        shade_m2[i] = s.shade_m2;
        shade_fraction[i] = s.shade_mask_m2 > 0 ? s.shade_m2 / s.shade_mask_m2 : nan;
        residential[i] = s.residential_m2;
    }
    py::dict table;
    table["unit_id"] = object_array_of(layer.ids);
    table["area_m2"] = array_of(zones.area_m2);
    table["covered_m2"] = array_of(covered);
    table["valid_m2"] = array_of(valid);
    table["canopy_m2"] = array_of(canopy);
    table["water_m2"] = array_of(water);
    table["nodata_m2"] = array_of(nodata);
    table["canopy_fraction"] = array_of(fraction);
    if (!shade.empty()) {
        table["shade_mask_m2"] = array_of(shade_mask_m2);
        table["shade_m2"] = array_of(shade_m2);
        table["shade_fraction"] = array_of(shade_fraction);
    }
    if (!residential_classes.empty()) table["residential_m2"] = array_of(residential);
    return py::dict(py::arg("table") = table, py::arg("diagnostics") = warnings_of(diagnostics));
}

// ---- sun ------------------------------------------------------------------------------------

py::dict sun(const py::object& lat, const py::object& lon, const std::string& raster,
             const std::vector<std::string>& at, const std::string& date, const std::string& time, int step,
             const std::string& tz, bool force_tz) {
    require_tz(tz);
    if (raster.empty() && (lat.is_none() || lon.is_none()))
        throw UsageError("lat", "a place is required: give lat and lon, or raster");
    if (!raster.empty() && !(lat.is_none() && lon.is_none()))
        throw UsageError("raster", "cannot be combined with lat and lon; give one place");
    if (at.empty() && date.empty()) throw UsageError("at", "times are required: give at, or date and time");
    if (!at.empty() && !(date.empty() && time.empty()))
        throw UsageError("at", "cannot be combined with date and time; give one of them");
    if (!date.empty() && time.empty()) throw UsageError("date", "needs time (HH:MM or HH:MM-HH:MM)");
    const TimeZone zone = TimeZone::parse(tz, "tz");

    double latitude = 0;
    double longitude = 0;
    if (!raster.empty()) {
        const RasterPlace place = locate_raster(describe_raster(raster));
        latitude = place.latitude_deg;
        longitude = place.longitude_deg;
    } else {
        latitude = lat.cast<double>();
        longitude = lon.cast<double>();
        if (!(latitude >= -90 && latitude <= 90))
            throw UsageError("lat", fmt::format("expected a latitude from -90 to 90 degrees, got {}", latitude));
        if (!(longitude >= -180 && longitude <= 180))
            throw UsageError("lon", fmt::format("expected a longitude from -180 to 180 degrees, got {}", longitude));
    }
    const std::string place = raster.empty() ? "the place" : "the raster's centre";
    std::vector<SunSample> samples;
    std::vector<LocalDateTime> missing;
    if (!at.empty()) {
        std::vector<LocalDateTime> times;
        for (const std::string& text : at) times.push_back(parse_local_date_time(text, "at"));
        if (!force_tz)
            for (const LocalDateTime& local : times) check_zone_fits_place(zone, local.date, longitude, place);
        samples = sample_sun_at(times, zone, latitude, longitude, "at");
    } else {
        const DateRange dates = parse_date_range(date, "date");
        const ClockWindow window = parse_clock_window(time, "time");
        check_step(step);
        if (!force_tz) {
            check_zone_fits_place(zone, dates.first, longitude, place);
            check_zone_fits_place(zone, dates.last, longitude, place);
        }
        SunSampling sampling = sample_sun(dates, window, step, zone, latitude, longitude);
        samples = std::move(sampling.samples);
        missing = std::move(sampling.missing);
    }
    std::vector<std::string> local_times, utc_times, missing_times;
    std::vector<std::int64_t> utc_seconds;
    std::vector<double> azimuth, elevation, true_elevation;
    for (const SunSample& sample : samples) {
        local_times.push_back(format_local_time(sample.local, sample.offset_seconds));
        utc_times.push_back(format_utc_time(sample.utc_seconds));
        utc_seconds.push_back(sample.utc_seconds);
        azimuth.push_back(sample.position.azimuth_deg);
        elevation.push_back(sample.position.elevation_deg);
        true_elevation.push_back(sample.position.true_elevation_deg);
    }
    for (const LocalDateTime& local : missing) missing_times.push_back(format_local_time(local, 0).substr(0, 16));
    py::dict table;
    table["local_time"] = object_array_of(local_times);
    table["utc_time"] = object_array_of(utc_times);
    table["utc_seconds"] = array_of(utc_seconds);
    table["azimuth_deg"] = array_of(azimuth);
    table["elevation_deg"] = array_of(elevation);
    table["true_elevation_deg"] = array_of(true_elevation);
    return py::dict(py::arg("table") = table, py::arg("missing") = missing_times, py::arg("latitude") = latitude,
                    py::arg("longitude") = longitude);
}

// ---- shadows and shade ----------------------------------------------------------------------

py::array_t<std::uint8_t> shadows(const py::object& heights, const py::object& canopy, double azimuth,
                                  double elevation, double cell_width, double cell_height, int threads) {
    HeightModel model;
    model.cell_width_m = cell_width;
    model.cell_height_m = cell_height;
    if (!(cell_width > 0) || !(cell_height > 0))
        throw UsageError("cell_size", fmt::format("expected cell sizes above 0 m, got {} × {}", cell_width, cell_height));
    check_threads(threads);
    const auto take = [&model](const py::object& layer, const char* name, std::vector<float>& into) {
        if (layer.is_none()) return;
        const FloatArray array = FloatArray::ensure(layer);
        if (!array || array.ndim() != 2)
            throw UsageError(name, "expected a 2-D array of heights in metres (rows, columns)");
        const std::int64_t rows = array.shape(0);
        const std::int64_t cols = array.shape(1);
        if (model.rows != 0 && (rows != model.rows || cols != model.cols))
            throw UsageError(name, fmt::format("its shape ({}, {}) differs from the heights' ({}, {})", rows, cols,
                                               model.rows, model.cols));
        model.rows = rows;
        model.cols = cols;
        into.assign(array.data(), array.data() + rows * cols);
    };
    take(heights, "heights", model.opaque);
    take(canopy, "canopy", model.canopy);
    if (model.rows == 0 && model.cols == 0 && heights.is_none() && canopy.is_none())
        throw UsageError("heights", "heights are required: give heights and/or canopy, 2-D arrays in metres");
    std::vector<std::uint8_t> codes;
    {
        py::gil_scoped_release released;
        CastOptions options;
        options.threads = threads;
        codes = cast_shadows(model, SunDirection{azimuth, elevation}, options);
    }
    py::array_t<std::uint8_t> result({static_cast<py::ssize_t>(model.rows), static_cast<py::ssize_t>(model.cols)});
    std::copy(codes.begin(), codes.end(), result.mutable_data());
    return result;
}

py::dict run_shade_on(const std::string& surface, const std::string& buildings, const std::string& canopy_height,
                      const std::string& date, const std::string& time, int step, const std::string& tz,
                      double transmissivity, double sun_tolerance, bool force_tz, const std::string& out,
                      const std::string& masks, bool overwrite, int threads, const py::object& progress) {
    ShadeConfig config;
    config.surface = surface;
    config.buildings = buildings;
    config.canopy_height = canopy_height;
    config.transmissivity = transmissivity;
    if (date.empty()) throw UsageError("date", "required; give date=\"YYYY-MM-DD\" or \"YYYY-MM-DD..YYYY-MM-DD\"");
    if (time.empty()) throw UsageError("time", "required; give time=\"HH:MM\" or \"HH:MM-HH:MM\"");
    require_tz(tz);
    config.dates = parse_date_range(date, "date");
    config.window = parse_clock_window(time, "time");
    config.zone = TimeZone::parse(tz, "tz");
    check_step(step);
    check_threads(threads);
    config.step_minutes = step;
    config.sun_tolerance_deg = sun_tolerance;
    config.force_tz = force_tz;
    config.out = out;
    config.masks_dir = masks;
    config.overwrite = overwrite;
    config.threads = threads;
    ShadeResult result;
    {
        const ProgressFn report = progress_calling(progress);
        py::gil_scoped_release released;
        result = run_shade(config, report);
    }
    std::vector<std::string> missing;
    for (const LocalDateTime& local : result.missing) missing.push_back(format_local_time(local, 0).substr(0, 16));
    py::dict summary;
    summary["outputs"] = result.outputs;
    summary["manifest"] = result.manifest;
    summary["sampled_count"] = result.sampled_count;
    summary["used_count"] = result.used_count;
    summary["position_count"] = result.position_count;
    summary["missing"] = missing;
    summary["latitude"] = result.place.latitude_deg;
    summary["longitude"] = result.place.longitude_deg;
    summary["grid_convergence_deg"] = result.place.grid_convergence_deg;
    summary["seconds"] = result.seconds;
    summary["diagnostics"] = warnings_of(result.diagnostics);
    return summary;
}

}  // namespace

void register_rasters(py::module_& module) {
    module.def("write_raster", &write_raster, py::arg("path"), py::arg("values"), py::arg("geotransform"),
               py::arg("crs"), py::arg("nodata") = py::none(),
               "Writes a 2-D array as a GeoTIFF (any GDAL path, /vsimem/ too).");
    module.def("read_raster", &read_raster, py::arg("path"),
               "Band 1 of a raster as a 2-D float64 array, with geotransform, crs (WKT), crs_name and nodata.");
    module.def("unlink", [](const std::string& path) { VSIUnlink(path.c_str()); }, py::arg("path"),
               "Removes a file through GDAL's virtual file systems (for /vsimem/ files).");
    module.def("overlay", &overlay, py::arg("raster"), py::arg("units"), py::arg("unit_id"),
               py::arg("units_layer") = "", py::arg("canopy_kind") = "binary",
               py::arg("water_classes") = std::vector<double>(), py::arg("shade") = "", py::arg("shade_mask") = "land",
               py::arg("building_classes") = std::vector<double>(), py::arg("walkable_classes") = std::vector<double>(),
               py::arg("residential_classes") = std::vector<double>(), py::arg("threads") = 0,
               py::arg("block_size") = 0, py::arg("progress") = py::none(),
               "Exact zonal sums of a canopy raster over polygons (include/shadegap/overlay.hpp), without the GIL.");
    module.def("sun", &sun, py::arg("lat") = py::none(), py::arg("lon") = py::none(), py::arg("raster") = "",
               py::arg("at") = std::vector<std::string>(), py::arg("date") = "", py::arg("time") = "",
               py::arg("step") = 15, py::arg("tz") = "", py::arg("force_tz") = false,
               "Sun positions for a place and local times (include/shadegap/sun.hpp).");
    module.def("shadows", &shadows, py::arg("heights"), py::arg("canopy"), py::arg("azimuth"), py::arg("elevation"),
               py::arg("cell_width"), py::arg("cell_height"), py::arg("threads") = 0,
               "Shadow codes (0 sun, 1 canopy, 2 opaque) for one sun direction (cast_shadows), without the GIL.");
    module.def("run_shade", &run_shade_on, py::arg("surface"), py::arg("buildings"), py::arg("canopy_height"),
               py::arg("date"), py::arg("time"), py::arg("step"), py::arg("tz"), py::arg("transmissivity"),
               py::arg("sun_tolerance"), py::arg("force_tz"), py::arg("out"), py::arg("masks"), py::arg("overwrite"),
               py::arg("threads"), py::arg("progress") = py::none(),
               "`shadegap shade` on raster paths (run_shade), without the GIL; returns its summary.");
}

}  // namespace shadegap::python
