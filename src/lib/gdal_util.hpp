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

/// GDAL keeps every block it decodes through its block cache until the cache, by default 5 %
/// of the machine's memory, is full: a 10-gigapixel mosaic would fill it, so the overlay and
/// the shade run, which read each block (about) once, hold it to what they need. While
/// alive, this holds the cache to `bytes` (when smaller), unless the user chose a size
/// (GDAL_CACHEMAX), and then gives the old size back. Limits alive at once share it: the
/// first sets it, the last restores it.
class ScopedCacheLimit {
public:
    explicit ScopedCacheLimit(GIntBig bytes) {
        const std::lock_guard<std::mutex> lock(mutex());
        if (state().active++ > 0 || CPLGetConfigOption("GDAL_CACHEMAX", nullptr) != nullptr) return;
        state().saved = GDALGetCacheMax64();
        state().changed = bytes < state().saved;
        if (state().changed) GDALSetCacheMax64(bytes);
    }
    ~ScopedCacheLimit() {
        const std::lock_guard<std::mutex> lock(mutex());
        if (--state().active == 0 && state().changed) {
            GDALSetCacheMax64(state().saved);
            state().changed = false;
        }
    }
    ScopedCacheLimit(const ScopedCacheLimit&) = delete;
    ScopedCacheLimit& operator=(const ScopedCacheLimit&) = delete;

private:
    struct State {
        int active = 0;
        bool changed = false;
        GIntBig saved = 0;
    };
    static std::mutex& mutex() {
        static std::mutex m;
        return m;
    }
    static State& state() {
        static State s;
        return s;
    }
};


}  // namespace shadegap::detail
