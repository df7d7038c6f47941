// Uses the installed library through its public headers: a canopy kind, a tree allocation
// worked out by hand, and the version. Prints one line per check; exits 1 on a wrong answer.
// SPDX-License-Identifier: MIT
#include <shadegap/plan.hpp>
#include <shadegap/raster.hpp>
#include <shadegap/version.hpp>

#include <cstdio>
#include <cstring>

int main() {
    int failures = 0;

    // "classes=1,2": land-cover classes 1 and 2 are canopy, 3 is not.
    const auto kind = shadegap::CanopyKind::parse("classes=1,2");
    const bool kind_ok = kind.canopy_of(2) == 1.0 && kind.canopy_of(3) == 0.0 &&
                         kind.to_string() == "classes=1,2";
    std::printf("canopy kind %s: %s\n", kind.to_string().c_str(), kind_ok ? "ok" : "WRONG");
    failures += !kind_ok;

    // One unit of 1,000 m² land, 75 % short of its goal: 750 m² of canopy to gain, 125 m² per
    // crown (exact in binary), so 6 trees close the gap and a 7th adds nothing.
    shadegap::plan::UnitNeed unit;
    unit.id = "a";
    unit.priority = 1;
    unit.population = 100;
    unit.land_m2 = 1000;
    unit.gap = 0.75;
    unit.sites = 20;
    const auto plan = shadegap::plan::allocate_trees({unit}, 10, 125.0);
    const bool plan_ok = plan.trees.size() == 1 && plan.trees[0] == 6;
    std::printf("trees %lld: %s\n", plan.trees.empty() ? -1LL : static_cast<long long>(plan.trees[0]),
                plan_ok ? "ok" : "WRONG");
    failures += !plan_ok;

    // The library linked and the headers are the same version.
    const bool version_ok = std::strcmp(shadegap::version(), SHADEGAP_VERSION_STRING) == 0;
    std::printf("shadegap %s (headers %d.%d.%d): %s\n", shadegap::version(), SHADEGAP_VERSION_MAJOR,
                SHADEGAP_VERSION_MINOR, SHADEGAP_VERSION_PATCH, version_ok ? "ok" : "WRONG");
    failures += !version_ok;

    return failures == 0 ? 0 : 1;
}
