// Progress reporting: a callback taking (fraction done 0–1, stage name).
// SPDX-License-Identifier: MIT
#pragma once

#include <functional>
#include <string_view>

namespace shadegap {

/// Called with the fraction done (0–1) of the whole job and the current stage's name.
/// Only the merging thread calls it, never from inside a parallel region, so it may throw
/// (e.g. Interrupted) to stop the job. An empty function means "no progress".
using ProgressFn = std::function<void(double fraction, std::string_view stage)>;

/// Maps a stage's own 0–1 onto the slice [begin, end] of a parent progress.
class ScaledProgress {
public:
    ScaledProgress(ProgressFn parent, double begin, double end, std::string_view stage)
        : m_parent(std::move(parent)), m_begin(begin), m_end(end), m_stage(stage) {}
    void operator()(double fraction) const {
        if (m_parent) m_parent(m_begin + (m_end - m_begin) * fraction, m_stage);
    }

private:
    ProgressFn m_parent;
    double m_begin;
    double m_end;
    std::string_view m_stage;
};

}  // namespace shadegap
