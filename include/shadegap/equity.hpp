// Equity measures: who lacks shade, compared between groups of residents.
// SPDX-License-Identifier: MIT
#pragma once

#include <optional>
#include <vector>

/// Pure arithmetic over census units, no I/O. Each unit i has an exposure x_i (canopy or
/// shade share, heat, walk shade) and a weight n_i (its people, or the people of one group).
/// Every person is given the exposure of the unit they live in.
///
/// Common rules, for every function here:
/// - A unit is used when its x_i is set and finite and its n_i is finite and > 0; other
///   units are left out (they are neither errors nor zeros).
/// - Vectors given together must have the same length, else std::invalid_argument is thrown
///   (a programming error, not bad data).
/// - Sums run in unit order (or in a sorted order with ties broken by unit index), so the
///   same input gives the same bits.
/// - All functions are pure and thread-safe.
namespace shadegap::equity {

/// Population-weighted mean Σ n_i x_i / Σ n_i over the units that have a value (x_i set and
/// finite, n_i finite and > 0); nullopt when no weight is left. `people_left_out` (if not
/// null) receives Σ n_i over units (n_i finite and > 0) whose x_i is missing or not finite.
std::optional<double> weighted_mean(const std::vector<std::optional<double>>& x, const std::vector<double>& n,
                                    double* people_left_out = nullptr);

/// Concentration of an exposure along a socioeconomic rank, and its bounded-variable
/// corrections (Wagstaff 2005; Erreygers 2009).
struct Concentration {
    double mean = 0;        ///< μ = Σ n_i x_i / Σ n_i, population-weighted
    /// CI = 2 cov_w(x, R) / μ, with cov_w(x, R) = Σ n_i (x_i − μ)(R_i − ½) / Σ n_i and R the
    /// population-weighted fractional rank by rank_by. In [−1, 1] for non-negative x.
    /// NaN when μ = 0.
    double index = 0;
    /// E = 4 μ / (b − a) × CI = 8 cov_w(x, R) / (b − a). In [−1, 1] for x in [a, b];
    /// defined at μ = 0. NaN when b ≤ a or some x_i lies outside [a, b].
    double erreygers = 0;
    /// W = CI* / (1 − μ*), where x* = (x − a)/(b − a) is x as a fraction of b − a above a,
    /// μ* = (μ − a)/(b − a) and CI* = 2 cov_w(x, R) / (μ − a) its concentration index;
    /// equivalently W = 2 (b − a) cov_w(x, R) / ((μ − a)(b − μ)). For bounds 0 and 1 this
    /// is CI / (1 − μ). In [−1, 1] for x in [a, b]. NaN when μ = a or μ = b (every x_i at
    /// that bound), when b ≤ a, or when some x_i lies outside [a, b].
    double wagstaff = 0;
};

/// Concentration index of x along rank_by (higher rank_by = better off). Units without x,
/// without rank_by (or either not finite), or with n_i ≤ 0 are left out.
///
/// Fractional rank: units sorted by rank_by ascending, R_i = (Σ n_j over units before i +
/// n_i / 2) / Σ n. Units with equal rank_by form a block and all share the block's mean
/// rank (W_before + W_block / 2) / Σ n, so the result does not depend on their order.
///
/// Sign: CI > 0 when x is concentrated among the better-off (for canopy: the better-off
/// have more), CI < 0 when among the worse-off; 0 when x or rank_by is the same for all.
/// [a, b] are the bounds of x (0 and 1 for shares); they affect only erreygers and wagstaff.
///
/// Edges: nullopt when fewer than 2 units are left. μ = 0 does not give nullopt: index
/// and wagstaff are NaN and erreygers is still given (heat as a difference can average 0).
/// μ = a or μ = b makes wagstaff NaN. x outside [a, b] or b ≤ a make erreygers and
/// wagstaff NaN. Negative x is allowed (the index is then hard to read; see docs/equity.md).
std::optional<Concentration> concentration(const std::vector<std::optional<double>>& x, const std::vector<double>& n,
                                           const std::vector<std::optional<double>>& rank_by, double a, double b);

/// Population-weighted Gini: G = Σ_i Σ_j n_i n_j |x_i − x_j| / (2 (Σn)² μ), over the used
/// units. Computed in O(k log k) for k units: with units sorted by x ascending,
/// Σ_i Σ_j n_i n_j |x_i − x_j| = 2 Σ_i n_i (x_i W_i − S_i), W_i = Σ_{j<i} n_j, S_i = Σ_{j<i} n_j x_j.
/// In [0, 1): 0 when everyone has the same exposure, (N − 1)/N on N equal individuals when
/// one holds it all. nullopt when no unit is used, when μ = 0, or when any used x_i < 0
/// (negative exposures, such as heat as a difference, make the measure meaningless).
std::optional<double> gini(const std::vector<std::optional<double>>& x, const std::vector<double>& n);

/// Theil T: T = (1/Σn) Σ n_i (x_i/μ) ln(x_i/μ), with 0 ln 0 = 0. At least 0 (everyone has the
/// same exposure); ln(Σn / n_k) when unit k holds all of it (ln N for N individuals). nullopt
/// when no unit is used, when μ = 0, or when any used x_i < 0 (negative exposures make it
/// meaningless).
std::optional<double> theil_t(const std::vector<std::optional<double>>& x, const std::vector<double>& n);

/// Atkinson index with inequality aversion ε ≥ 0:
/// A = 1 − (Σ n_i (x_i/μ)^(1−ε) / Σn)^(1/(1−ε)) for ε ≠ 1, and its limit
/// A = 1 − exp(Σ n_i ln(x_i/μ) / Σn) for ε = 1. In [0, 1]; 0 when everyone has the same
/// exposure; 1 for ε ≥ 1 as soon as one used x_i is 0. nullopt when no unit is used, when
/// μ = 0, when ε < 0 or is not finite, or when any used x_i < 0 (negative exposures make
/// it meaningless).
std::optional<double> atkinson(const std::vector<std::optional<double>>& x, const std::vector<double>& n, double epsilon);

/// Dissimilarity index of two groups over the same units: D = ½ Σ |a_i / A − b_i / B|, with
/// A = Σ a_i and B = Σ b_i: the share of either group that would have to move for both to be
/// spread alike. In [0, 1]. A unit where either count is not finite is left out. nullopt when
/// A or B is 0 or any count is negative.
std::optional<double> dissimilarity(const std::vector<double>& group_a, const std::vector<double>& group_b);

}  // namespace shadegap::equity
