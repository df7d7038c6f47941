// What the benchmark drivers share: CPU time and a digest of results' bytes.
// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <cstring>
#include <ctime>
#include <initializer_list>

namespace shadegap::bench {

/// CPU seconds of the whole process, all threads.
inline double cpu_seconds() {
    timespec t{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

/// FNV-1a over the bytes of numbers, fed in order: equal digests, identical results.
class Digest {
public:
    void add(std::initializer_list<double> values) {
        for (const double v : values) {
            unsigned char bytes[sizeof v];
            std::memcpy(bytes, &v, sizeof v);
            for (const unsigned char b : bytes) m_hash = (m_hash ^ b) * 0x100000001b3ULL;
        }
    }
    std::uint64_t value() const { return m_hash; }

private:
    std::uint64_t m_hash = 0xcbf29ce484222325ULL;
};

}  // namespace shadegap::bench
