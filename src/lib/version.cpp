// The library's version (include/shadegap/version.hpp, generated from cmake/version.hpp.in).
// SPDX-License-Identifier: MIT
#include "shadegap/version.hpp"

namespace shadegap {

const char* version() noexcept { return SHADEGAP_VERSION_STRING; }

}  // namespace shadegap
