// Internal GDAL helpers: driver registration, owning dataset handles, captured error messages.
// SPDX-License-Identifier: MIT
#pragma once

#include <cpl_conv.h>
#include <cpl_error.h>
#include <gdal.h>
#include <ogr_srs_api.h>

#include <memory>
#include <mutex>
#include <string>

namespace shadegap::detail {

/// Registers GDAL's drivers once per process; safe to call from any thread.
inline void ensure_gdal_registered() {
    static std::once_flag once;
    std::call_once(once, [] { GDALAllRegister(); });
}

struct GdalDatasetCloser {
    void operator()(void* dataset) const {
        if (dataset) GDALClose(dataset);
    }
};
/// An open GDAL dataset, closed when the pointer goes.
using GdalDataset = std::unique_ptr<void, GdalDatasetCloser>;

struct OsrReleaser {
    void operator()(void* srs) const {
        if (srs) OSRRelease(srs);
    }
};
/// An owned OGRSpatialReferenceH.
using OwnedSrs = std::unique_ptr<void, OsrReleaser>;

/// Owns a string that GDAL allocated with CPLMalloc.
inline std::string take_cpl_string(char* text) {
    std::string result = text ? text : "";
    CPLFree(text);
    return result;
}

/// While alive, GDAL messages raised on this thread are kept here instead of printed.
/// GDAL's handler stack is per thread, so each thread needs its own capture.
class GdalErrorCapture {
public:
    GdalErrorCapture() { CPLPushErrorHandlerEx(&GdalErrorCapture::handle, this); }
    ~GdalErrorCapture() { CPLPopErrorHandler(); }
    GdalErrorCapture(const GdalErrorCapture&) = delete;
    GdalErrorCapture& operator=(const GdalErrorCapture&) = delete;

    /// The last failure message, or the last warning when there was no failure.
    std::string message() const { return m_failure.empty() ? m_warning : m_failure; }
    /// `prefix` followed by GDAL's message when there is one.
    std::string explain(const std::string& prefix) const {
        const std::string text = message();
        return text.empty() ? prefix : prefix + ": " + text;
    }

private:
    static void CPL_STDCALL handle(CPLErr level, CPLErrorNum, const char* text) {
        auto* self = static_cast<GdalErrorCapture*>(CPLGetErrorHandlerUserData());
        if (!self || !text) return;
        if (level >= CE_Failure) {
            self->m_failure = text;
        } else if (level == CE_Warning) {
            self->m_warning = text;
        }
    }

    std::string m_failure;
    std::string m_warning;
};

}  // namespace shadegap::detail
