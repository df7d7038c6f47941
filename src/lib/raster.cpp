// Canopy kinds, ellipsoidal cell areas and block reads of band 1 through GDAL.
// SPDX-License-Identifier: MIT
#include "shadegap/raster.hpp"

#include "gdal_util.hpp"
#include "shadegap/error.hpp"

#include <cpl_conv.h>
#include <cpl_vsi.h>
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>

namespace shadegap {

namespace {

constexpr double pi = 3.14159265358979323846;
constexpr double wgs84_semi_major_m = 6378137.0;
constexpr double wgs84_inverse_flattening = 298.257223563;

std::string trim(const std::string& text) {
    const auto is_space = [](unsigned char c) { return std::isspace(c) != 0; };
    auto begin = std::find_if_not(text.begin(), text.end(), is_space);
    auto end = std::find_if_not(text.rbegin(), text.rend(), is_space).base();
    return begin < end ? std::string(begin, end) : std::string();
}

std::string to_lower(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return text;
}

[[noreturn]] void reject_kind(const std::string& text, const std::string& why) {
    UsageError error("canopy_kind", fmt::format("'{}' {}", text, why));
    error.with_hint("expected binary, percent, fraction, classes=C1,C2,... or min=X");
    throw error;
}

double parse_number(const std::string& whole, const std::string& item) {
    const std::string token = trim(item);
    if (token.empty()) reject_kind(whole, "has an empty number");
    errno = 0;
    char* end = nullptr;
    const double value = std::strtod(token.c_str(), &end);
    if (end != token.c_str() + token.size() || errno == ERANGE || !std::isfinite(value)) {
        reject_kind(whole, fmt::format("has '{}', which is not a finite number", token));
    }
    return value;
}

std::string format_number(double value) { return fmt::format("{}", value); }

}  // namespace

CanopyKind CanopyKind::parse(const std::string& text) {
    const std::string cleaned = trim(text);
    const auto equals = cleaned.find('=');
    const std::string name = to_lower(trim(cleaned.substr(0, equals)));
    CanopyKind kind;
    if (equals == std::string::npos) {
        if (name == "binary") {
            kind.type = Type::Binary;
        } else if (name == "percent") {
            kind.type = Type::Percent;
        } else if (name == "fraction") {
            kind.type = Type::Fraction;
        } else if (name == "classes" || name == "min") {
            reject_kind(text, fmt::format("needs a value: {}=...", name));
        } else {
            reject_kind(text, "is not a canopy kind");
        }
        return kind;
    }
    const std::string value = cleaned.substr(equals + 1);
    if (name == "classes") {
        kind.type = Type::Classes;
        std::size_t start = 0;
        while (true) {
            const auto comma = value.find(',', start);
            kind.classes.push_back(parse_number(text, value.substr(start, comma - start)));
            if (comma == std::string::npos) break;
            start = comma + 1;
        }
    } else if (name == "min") {
        kind.type = Type::Min;
        kind.threshold = parse_number(text, value);
    } else {
        reject_kind(text, "is not a canopy kind");
    }
    return kind;
}

std::string CanopyKind::to_string() const {
    switch (type) {
    case Type::Binary: return "binary";
    case Type::Percent: return "percent";
    case Type::Fraction: return "fraction";
    case Type::Classes: {
        std::string text = "classes=";
        for (std::size_t i = 0; i < classes.size(); ++i) {
            if (i > 0) text += ',';
            text += format_number(classes[i]);
        }
        return text;
    }
    case Type::Min: return "min=" + format_number(threshold);
    }
    return "binary";
}

std::optional<double> CanopyKind::canopy_of(double value) const {
    if (std::isnan(value)) return std::nullopt;
    switch (type) {
    case Type::Binary:
        if (value == 1) return 1.0;
        if (value == 0) return 0.0;
        return std::nullopt;
    case Type::Percent:
        if (value >= 0 && value <= 100) return value / 100;
        return std::nullopt;
    case Type::Fraction:
        if (value >= 0 && value <= 1) return value;
        return std::nullopt;
    case Type::Classes:
        return std::find(classes.begin(), classes.end(), value) != classes.end() ? 1.0 : 0.0;
    case Type::Min:
        return value >= threshold ? 1.0 : 0.0;
    }
    return std::nullopt;
}

namespace {

/// Area of the band of latitudes phi_mid ± dphi/2 (radians) over a longitude span of
/// `lambda` radians on an ellipsoid with semi-major axis a and eccentricity² e2. It is
/// (lambda / 2π)·(A(phi2) − A(phi1)) with the authalic-latitude area
/// A(phi) = π b² [sin phi / (1 − e² sin² phi) + (1 / 2e) ln((1 + e sin phi) / (1 − e sin phi))],
/// rewritten as a difference of sines and an atanh of a difference, and fed the band's
/// middle and height rather than its edges, so that a 1 m cell (10⁻⁵ degrees) does not
/// lose its digits to cancellation.
double compute_band_area_m2(double a, double e2, double phi_mid, double dphi, double lambda) {
    const double b2 = a * a * (1 - e2);
    const double s1 = std::sin(phi_mid - 0.5 * dphi);
    const double s2 = std::sin(phi_mid + 0.5 * dphi);
    const double ds = 2 * std::cos(phi_mid) * std::sin(0.5 * dphi);
    const double first = ds * (1 + e2 * s1 * s2) / ((1 - e2 * s1 * s1) * (1 - e2 * s2 * s2));
    const double x = ds / (1 - e2 * s1 * s2);
    const double e = std::sqrt(e2);
    const double second = e < 1e-8 ? x : std::atanh(e * x) / e;
    return 0.5 * lambda * b2 * (first + second);
}

}  // namespace

CellAreas::CellAreas(const RasterInfo& info) {
    const Grid& grid = info.grid;
    if (!info.geographic) {
        const double unit = info.linear_unit_m > 0 ? info.linear_unit_m : 1.0;
        m_constant = grid.cell_width * grid.cell_height * unit * unit;
        return;
    }
    double semi_major = wgs84_semi_major_m;
    double inverse_flattening = wgs84_inverse_flattening;
    double radians_per_unit = pi / 180;
    if (!info.crs_wkt.empty()) {
        detail::GdalErrorCapture quiet;
        detail::OwnedSrs srs(OSRNewSpatialReference(nullptr));
        if (OSRSetFromUserInput(srs.get(), info.crs_wkt.c_str()) == OGRERR_NONE) {
            OGRErr err = OGRERR_NONE;
            const double a = OSRGetSemiMajor(srs.get(), &err);
            if (err == OGRERR_NONE && a > 0) {
                semi_major = a;
                const double inv_f = OSRGetInvFlattening(srs.get(), &err);
                inverse_flattening = err == OGRERR_NONE ? inv_f : wgs84_inverse_flattening;
            }
            const double angular = OSRGetAngularUnits(srs.get(), nullptr);
            if (angular > 0) radians_per_unit = angular;
        }
    }
    const double flattening = inverse_flattening > 0 ? 1 / inverse_flattening : 0.0;
    const double e2 = flattening * (2 - flattening);
    const double lambda = grid.cell_width * radians_per_unit;
    const double pole = 0.5 * pi / radians_per_unit;
    m_per_row.resize(static_cast<std::size_t>(std::max<std::int64_t>(0, grid.rows)));
    for (std::int64_t r = 0; r < grid.rows; ++r) {
        const double top = grid.y_max - static_cast<double>(r) * grid.cell_height;
        const double bottom = top - grid.cell_height;
        // The height is the cell's own unless a pole cuts the cell.
        const double top_clamped = std::clamp(top, -pole, pole);
        const double bottom_clamped = std::clamp(bottom, -pole, pole);
        const bool cut = top_clamped != top || bottom_clamped != bottom;
        const double height = cut ? top_clamped - bottom_clamped : grid.cell_height;
        const double middle = cut ? 0.5 * (top_clamped + bottom_clamped) : top - 0.5 * grid.cell_height;
        m_per_row[static_cast<std::size_t>(r)] = compute_band_area_m2(
            semi_major, e2, middle * radians_per_unit, height * radians_per_unit, lambda);
    }
}

double CellAreas::cell_area_m2(std::int64_t row) const {
    if (m_per_row.empty()) return m_constant;
    return m_per_row[static_cast<std::size_t>(row)];
}

struct RasterSource::Impl {
    detail::GdalDataset dataset;
    GDALRasterBandH band = nullptr;
    std::vector<unsigned char> block;  ///< one natural block in the band's type, for edge blocks and conversions
};

namespace {

void describe_crs(OGRSpatialReferenceH srs, RasterInfo& info) {
    if (!srs) return;
    char* wkt = nullptr;
    const char* const options[] = {"FORMAT=WKT2_2019", nullptr};
    if (OSRExportToWktEx(srs, &wkt, options) == OGRERR_NONE) {
        info.crs_wkt = detail::take_cpl_string(wkt);
    } else {
        CPLFree(wkt);
    }
    if (const char* name = OSRGetName(srs)) info.crs_name = name;
    const char* authority = OSRGetAuthorityName(srs, nullptr);
    const char* code = OSRGetAuthorityCode(srs, nullptr);
    if (authority && code) info.crs_authority = std::string(authority) + ":" + code;
    info.geographic = OSRIsGeographic(srs) != 0;
    if (!info.geographic) {
        const double unit = OSRGetLinearUnits(srs, nullptr);
        if (unit > 0) info.linear_unit_m = unit;
    }
}

std::optional<double> read_nodata(GDALRasterBandH band) {
    int has_nodata = 0;
    if (GDALGetRasterDataType(band) == GDT_Int64) {
        const auto value = GDALGetRasterNoDataValueAsInt64(band, &has_nodata);
        if (has_nodata) return static_cast<double>(value);
        return std::nullopt;
    }
    if (GDALGetRasterDataType(band) == GDT_UInt64) {
        const auto value = GDALGetRasterNoDataValueAsUInt64(band, &has_nodata);
        if (has_nodata) return static_cast<double>(value);
        return std::nullopt;
    }
    const double value = GDALGetRasterNoDataValue(band, &has_nodata);
    if (has_nodata) return value;
    return std::nullopt;
}

}  // namespace

RasterSource::RasterSource(const std::string& path) : m_impl(std::make_unique<Impl>()) {
    detail::ensure_gdal_registered();
    detail::GdalErrorCapture capture;
    m_info.path = path;
    m_impl->dataset.reset(GDALOpenEx(path.c_str(), GDAL_OF_RASTER | GDAL_OF_READONLY | GDAL_OF_VERBOSE_ERROR, nullptr, nullptr, nullptr));
    if (!m_impl->dataset) {
        VSIStatBufL stat;
        if (VSIStatL(path.c_str(), &stat) != 0 && path.find(':') == std::string::npos) {
            throw InputError(path, "file not found");
        }
        throw InputError(path, capture.explain("cannot be opened as a raster"));
    }
    GDALDatasetH dataset = m_impl->dataset.get();
    m_info.band_count = GDALGetRasterCount(dataset);
    if (m_info.band_count < 1) throw InputError(path, "has no raster band");
    m_impl->band = GDALGetRasterBand(dataset, 1);
    if (GDALDriverH driver = GDALGetDatasetDriver(dataset)) m_info.driver = GDALGetDriverShortName(driver);

    double gt[6] = {0, 1, 0, 0, 0, 1};
    if (GDALGetGeoTransform(dataset, gt) != CE_None) {
        InputError error(path, "has no geotransform (the raster is not georeferenced)");
        error.with_hint("georeference it, e.g. with gdal_translate -a_srs and -a_ullr");
        throw error;
    }
    if (gt[2] != 0 || gt[4] != 0) {
        CrsError error(path, fmt::format("the raster is rotated (geotransform terms {} and {}); "
                                         "shadegap needs a north-up raster", gt[2], gt[4]));
        error.with_hint("warp it to north-up with gdalwarp");
        throw error;
    }
    if (!(gt[1] > 0) || !(gt[5] < 0)) {
        InputError error(path, fmt::format("the raster is not north-up (pixel width {}, pixel height {}); "
                                           "shadegap needs a positive width and a negative height", gt[1], gt[5]));
        error.with_hint("warp it to north-up with gdalwarp");
        throw error;
    }
    m_info.grid.x_min = gt[0];
    m_info.grid.y_max = gt[3];
    m_info.grid.cell_width = gt[1];
    m_info.grid.cell_height = -gt[5];
    m_info.grid.cols = GDALGetRasterXSize(dataset);
    m_info.grid.rows = GDALGetRasterYSize(dataset);

    describe_crs(GDALGetSpatialRef(dataset), m_info);
    GDALGetBlockSize(m_impl->band, &m_info.block_cols, &m_info.block_rows);
    m_info.nodata = read_nodata(m_impl->band);
    m_info.data_type = GDALGetDataTypeName(GDALGetRasterDataType(m_impl->band));
}

RasterSource::RasterSource(const RasterInfo& info) : m_impl(std::make_unique<Impl>()), m_info(info) {
    detail::ensure_gdal_registered();
    detail::GdalErrorCapture capture;
    m_impl->dataset.reset(
        GDALOpenEx(info.path.c_str(), GDAL_OF_RASTER | GDAL_OF_READONLY | GDAL_OF_VERBOSE_ERROR, nullptr, nullptr, nullptr));
    if (!m_impl->dataset) throw InputError(info.path, capture.explain("cannot be opened as a raster"));
    GDALDatasetH dataset = m_impl->dataset.get();
    if (GDALGetRasterCount(dataset) < 1 || GDALGetRasterXSize(dataset) != info.grid.cols ||
        GDALGetRasterYSize(dataset) != info.grid.rows) {
        throw InputError(info.path, "changed while it was being read");
    }
    m_impl->band = GDALGetRasterBand(dataset, 1);
}

RasterSource::~RasterSource() = default;
RasterSource::RasterSource(RasterSource&&) noexcept = default;
RasterSource& RasterSource::operator=(RasterSource&&) noexcept = default;

namespace {

void check_window(const RasterInfo& info, const Window& window) {
    const Grid& grid = info.grid;
    if (window.empty() || window.row0 < 0 || window.col0 < 0 || window.row0 + window.rows > grid.rows ||
        window.col0 + window.cols > grid.cols) {
        throw InputError(info.path, fmt::format("cannot read rows {}–{}, columns {}–{}: the raster has {} rows "
                                                "and {} columns", window.row0, window.row0 + window.rows,
                                                window.col0, window.col0 + window.cols, grid.rows, grid.cols));
    }
}

[[noreturn]] void reject_read(const RasterInfo& info, const Window& window, const detail::GdalErrorCapture& capture) {
    throw InputError(info.path, capture.explain(fmt::format("cannot read rows {}–{}, columns {}–{}", window.row0,
                                                            window.row0 + window.rows, window.col0,
                                                            window.col0 + window.cols)));
}

/// Whether `window` is made of whole natural blocks (those at the raster's edge cut by it).
bool is_whole_blocks(const RasterInfo& info, const Window& window) {
    const std::int64_t bw = info.block_cols, bh = info.block_rows;
    if (bw <= 0 || bh <= 0 || window.col0 % bw != 0 || window.row0 % bh != 0) return false;
    const bool cols_whole = window.cols % bw == 0 || window.col0 + window.cols == info.grid.cols;
    const bool rows_whole = window.rows % bh == 0 || window.row0 + window.rows == info.grid.rows;
    return cols_whole && rows_whole;
}

}  // namespace

/// Reads `window` into `out` as `type`. A window made of whole natural blocks is decoded
/// block by block straight from the file (GDALReadBlock): no copy through GDAL's block
/// cache, which would otherwise keep every block read, up to GDAL_CACHEMAX. Any other
/// window goes through GDALRasterIO.
void RasterSource::read_into(const Window& window, int gdal_type, void* out) {
    const auto type = static_cast<GDALDataType>(gdal_type);
    detail::GdalErrorCapture capture;
    GDALRasterBandH band = m_impl->band;
    if (!is_whole_blocks(m_info, window)) {
        const CPLErr status = GDALRasterIO(band, GF_Read, static_cast<int>(window.col0), static_cast<int>(window.row0),
                                           static_cast<int>(window.cols), static_cast<int>(window.rows), out,
                                           static_cast<int>(window.cols), static_cast<int>(window.rows), type, 0, 0);
        if (status != CE_None) reject_read(m_info, window, capture);
        return;
    }
    const std::int64_t bw = m_info.block_cols, bh = m_info.block_rows;
    const GDALDataType native = GDALGetRasterDataType(band);
    const int native_bytes = GDALGetDataTypeSizeBytes(native);
    const int out_bytes = GDALGetDataTypeSizeBytes(type);
    auto* const target = static_cast<unsigned char*>(out);
    if (native == type && window.cols == bw && window.rows == bh) {
        // One whole block in the wanted type: decoded in place.
        if (GDALReadBlock(band, static_cast<int>(window.col0 / bw), static_cast<int>(window.row0 / bh), target) !=
            CE_None)
            reject_read(m_info, window, capture);
        return;
    }
    std::vector<unsigned char>& block = m_impl->block;
    block.resize(static_cast<std::size_t>(bw * bh * native_bytes));
    for (std::int64_t row0 = window.row0; row0 < window.row0 + window.rows; row0 += bh) {
        for (std::int64_t col0 = window.col0; col0 < window.col0 + window.cols; col0 += bw) {
            if (GDALReadBlock(band, static_cast<int>(col0 / bw), static_cast<int>(row0 / bh), block.data()) != CE_None)
                reject_read(m_info, window, capture);
            const std::int64_t rows = std::min(bh, window.row0 + window.rows - row0);
            const std::int64_t cols = std::min(bw, window.col0 + window.cols - col0);
            for (std::int64_t r = 0; r < rows; ++r) {
                GDALCopyWords64(block.data() + static_cast<std::size_t>(r * bw * native_bytes), native, native_bytes,
                                target + static_cast<std::size_t>(((row0 - window.row0 + r) * window.cols +
                                                                   (col0 - window.col0)) * out_bytes),
                                type, out_bytes, cols);
            }
        }
    }
}

void RasterSource::read(const Window& window, std::vector<double>& values) {
    check_window(m_info, window);
    values.resize(static_cast<std::size_t>(window.cell_count()));
    read_into(window, static_cast<int>(GDT_Float64), values.data());
}

void RasterSource::read(const Window& window, std::vector<std::uint8_t>& values) {
    if (GDALGetRasterDataType(m_impl->band) != GDT_Byte) {
        throw InputError(m_info.path, fmt::format("band 1 holds {} values, not Byte", m_info.data_type));
    }
    check_window(m_info, window);
    values.resize(static_cast<std::size_t>(window.cell_count()));
    read_into(window, static_cast<int>(GDT_Byte), values.data());
}

void RasterSource::read(const Window& window, std::vector<float>& values) {
    if (GDALGetRasterDataType(m_impl->band) != GDT_Float32) {
        throw InputError(m_info.path, fmt::format("band 1 holds {} values, not Float32", m_info.data_type));
    }
    check_window(m_info, window);
    values.resize(static_cast<std::size_t>(window.cell_count()));
    read_into(window, static_cast<int>(GDT_Float32), values.data());
}

RasterInfo describe_raster(const std::string& path) {
    RasterSource source(path);
    return source.info();
}

bool same_grid(const Grid& a, const Grid& b) {
    const auto close = [](double x, double y, double scale) { return std::abs(x - y) <= 1e-9 * std::max(1.0, scale); };
    return a.cols == b.cols && a.rows == b.rows && close(a.cell_width, b.cell_width, a.cell_width) &&
           close(a.cell_height, b.cell_height, a.cell_height) && close(a.x_min, b.x_min, std::abs(a.x_min)) &&
           close(a.y_max, b.y_max, std::abs(a.y_max));
}

bool same_crs(const std::string& wkt_a, const std::string& wkt_b) {
    if (wkt_a == wkt_b) return true;
    detail::GdalErrorCapture quiet;
    detail::OwnedSrs a(OSRNewSpatialReference(nullptr));
    detail::OwnedSrs b(OSRNewSpatialReference(nullptr));
    if (OSRSetFromUserInput(a.get(), wkt_a.c_str()) != OGRERR_NONE ||
        OSRSetFromUserInput(b.get(), wkt_b.c_str()) != OGRERR_NONE)
        return false;
    return OSRIsSame(a.get(), b.get()) != 0;
}

void require_same_grid(const RasterInfo& reference, const RasterInfo& other, const std::string& what) {
    const Grid& r = reference.grid;
    const Grid& o = other.grid;
    if (!same_grid(r, o)) {
        InputError error(other.path, fmt::format("its grid ({} × {} cells of {} × {} from ({}, {})) differs from {} "
                                                 "({} × {} cells of {} × {} from ({}, {})); shadegap does not resample",
                                                 o.cols, o.rows, o.cell_width, o.cell_height, o.x_min, o.y_max, what,
                                                 r.cols, r.rows, r.cell_width, r.cell_height, r.x_min, r.y_max));
        error.with_hint(fmt::format("warp it onto that grid: gdalwarp -t_srs {} -te {} {} {} {} -tr {} {} -r average",
                                    reference.crs_authority.empty() ? "SRS" : reference.crs_authority, r.x_min,
                                    r.y_min(), r.x_max(), r.y_max, r.cell_width, r.cell_height));
        throw error;
    }
    if (!same_crs(reference.crs_wkt, other.crs_wkt)) {
        const auto name = [](const RasterInfo& info) { return info.crs_name.empty() ? std::string("none") : info.crs_name; };
        throw CrsError(other.path, fmt::format("its CRS ({}) differs from {} ({}); shadegap does not reproject it",
                                               name(other), what, name(reference)));
    }
}

}  // namespace shadegap
