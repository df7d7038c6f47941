# Every dependency in one place: what it is for, the minimum version, the Debian package.
macro(shadegap_require name version purpose debian)
  find_package(${name} ${version} ${ARGN})
  if(NOT ${name}_FOUND)
    message(FATAL_ERROR "shadegap needs ${name} >= ${version} (${purpose}); "
                        "on Debian 12: apt-get install ${debian} (or run scripts/install-deps)")
  endif()
endmacro()

shadegap_require(GDAL 3.6 "raster and vector I/O" libgdal-dev CONFIG)
shadegap_require(GEOS 3.11 "polygon intersection and repair" libgeos-dev CONFIG)
shadegap_require(PROJ 9.1 "CRS transformations and geodesic areas" libproj-dev CONFIG)
shadegap_require(Boost 1.74 "R-tree spatial index" libboost-dev)
shadegap_require(OpenMP 4.5 "parallel overlay" "g++ (libgomp)")
shadegap_require(tomlplusplus 3.3 "model and project files" libtomlplusplus-dev)
shadegap_require(nlohmann_json 3.11 "run.json" nlohmann-json3-dev)
shadegap_require(fmt 9 "message formatting" libfmt-dev)
shadegap_require(CLI11 2.1 "command-line options" libcli11-dev)

# cctz (time zones from the system's tzdata) ships neither a CMake package nor a pkg-config
# file, and no version in its headers: its header and library are looked for by name.
find_path(CCTZ_INCLUDE_DIR cctz/time_zone.h)
find_library(CCTZ_LIBRARY cctz)
if(NOT CCTZ_INCLUDE_DIR OR NOT CCTZ_LIBRARY)
  message(FATAL_ERROR "shadegap needs cctz >= 2.3 (time zones from the system's tzdata); "
                      "on Debian 12: apt-get install libcctz-dev (or run scripts/install-deps)")
endif()
add_library(cctz::cctz UNKNOWN IMPORTED)
set_target_properties(cctz::cctz PROPERTIES IMPORTED_LOCATION "${CCTZ_LIBRARY}"
                      INTERFACE_INCLUDE_DIRECTORIES "${CCTZ_INCLUDE_DIR}")
# Libraries Debian ships with a pkg-config file and no CMake package: PkgConfig::<PREFIX>.
find_package(PkgConfig QUIET)
function(shadegap_find_pkgconfig prefix module why package)
  if(PkgConfig_FOUND)
    pkg_check_modules(${prefix} QUIET IMPORTED_TARGET GLOBAL ${module})
  endif()
  if(NOT ${prefix}_FOUND)
    message(FATAL_ERROR "shadegap needs ${module} (${why}), found with pkg-config; "
                        "on Debian 12: apt-get install ${package} pkg-config (or run scripts/install-deps)")
  endif()
endfunction()
# xxHash identifies the inputs of a shard by their bytes (XXH3).
shadegap_find_pkgconfig(XXHASH "libxxhash>=0.8" "content hashes of a shard's inputs" libxxhash-dev)
# libdeflate compresses the tiles of the shade fractions' COG as they are made (cog_writer.cpp).
shadegap_find_pkgconfig(DEFLATE "libdeflate>=1.10" "the tiles of the shade COG" libdeflate-dev)
# Leaflet (JavaScript, no CMake package): its files are inlined into report.html.
find_path(SHADEGAP_LEAFLET_DIR leaflet.js PATHS /usr/share/javascript/leaflet NO_DEFAULT_PATH)
if(NOT SHADEGAP_LEAFLET_DIR OR NOT EXISTS ${SHADEGAP_LEAFLET_DIR}/leaflet.css)
  message(FATAL_ERROR "shadegap needs Leaflet >= 1.7 (the map of report.html, inlined); "
                      "on Debian 12: apt-get install libjs-leaflet (or run scripts/install-deps)")
endif()
if(SHADEGAP_BUILD_TESTS)
  shadegap_require(Catch2 2.13 "unit and integration tests" catch2)
endif()
