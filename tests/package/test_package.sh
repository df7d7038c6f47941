#!/usr/bin/env bash
# The installed package, as another project sees it (CTest "package"; docs/library.md):
# installs the build into a temporary prefix, then
#  1. configures, builds and runs tests/package/consumer with find_package(shadegap) and
#     shadegap::core;
#  2. compiles the same main.cpp with `pkg-config --cflags --libs shadegap` and runs it.
# Both programs must print the expected lines and exit 0. Only the consumer is compiled.
# The consumer also computes a run in memory (compute(), outcome.hpp) on a city of two
# units it writes into GDAL's /vsimem/, and checks their canopy shares by hand.
# Usage: test_package.sh BUILD_DIR SOURCE_DIR CXX_COMPILER VERSION [EXTRA_FLAGS]
set -euo pipefail
build=$1 source=$2 cxx=$3 version=$4 extra=${5:-}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/shadegap-package.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
prefix=$tmp/prefix

step() { printf '== %s\n' "$*"; }
fail() { printf 'FAIL: %s\n' "$*" >&2; exit 1; }

step "cmake --install $build --prefix $prefix"
cmake --install "$build" --prefix "$prefix" >"$tmp/install.log" || { cat "$tmp/install.log"; fail "install"; }

# What the package must hold (lib may be lib/ or lib/<multiarch>/).
for f in include/shadegap/version.hpp include/shadegap/plan.hpp bin/shadegap; do
  [[ -e $prefix/$f ]] || fail "not installed: $f"
done
config=$(find "$prefix" -path '*/cmake/shadegap/shadegapConfig.cmake')
[[ -n $config ]] || fail "not installed: shadegapConfig.cmake"
cmakedir=$(dirname "$config")
for f in shadegapConfigVersion.cmake shadegapTargets.cmake; do
  [[ -e $cmakedir/$f ]] || fail "not installed: $f"
done
grep -q 'shadegap::core' "$cmakedir/shadegapTargets.cmake" || fail "the export does not name shadegap::core"
pc=$(find "$prefix" -name shadegap.pc)
[[ -n $pc ]] || fail "not installed: shadegap.pc"
library=$(find "$prefix" -name 'libshadegap.a' -o -name 'libshadegap.so')
[[ -n $library ]] || fail "not installed: libshadegap.a or libshadegap.so"

expected="canopy kind classes=1,2: ok
trees 6: ok
canopy whole 0.50, left 0.75: ok
shadegap $version (headers $version): ok"
check_output() {  # name, program
  local out
  out=$("$2") || { printf '%s\n' "$out"; fail "$1 exited non-zero"; }
  printf '%s\n' "$out"
  [[ $out == "$expected" ]] || fail "$1 printed something else; expected:
$expected"
}

step "consumer: find_package(shadegap) + shadegap::core"
# Nothing but the prefix tells CMake where shadegap is; the build tree is not visible.
cmake -S "$source/tests/package/consumer" -B "$tmp/consumer" -DCMAKE_BUILD_TYPE=Release \
      -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_PREFIX_PATH="$prefix" \
      -DCMAKE_CXX_FLAGS="$extra" -DCMAKE_EXE_LINKER_FLAGS="$extra" \
      -DCMAKE_FIND_PACKAGE_NO_PACKAGE_REGISTRY=ON >"$tmp/configure.log" 2>&1 \
  || { cat "$tmp/configure.log"; fail "consumer configure"; }
cmake --build "$tmp/consumer" >"$tmp/build.log" 2>&1 || { cat "$tmp/build.log"; fail "consumer build"; }
check_output "consumer (CMake)" "$tmp/consumer/consumer"

step "consumer: pkg-config --cflags --libs shadegap"
export PKG_CONFIG_PATH=$(dirname "$pc")
pkg-config --exists --print-errors shadegap || fail "pkg-config cannot read shadegap.pc"
[[ $(pkg-config --modversion shadegap) == "$version" ]] || fail "shadegap.pc has another version"
flags=$(pkg-config --cflags --libs shadegap)
printf 'pkg-config: %s\n' "$flags"
# The flags name the installed include folder and library (paths may hold "..": compare real paths).
cflags_dir=$(pkg-config --variable=includedir shadegap)
libdir=$(pkg-config --variable=libdir shadegap)
[[ $(realpath "$cflags_dir") == $(realpath "$prefix/include") ]] || fail "includedir is $cflags_dir"
[[ $(realpath "$libdir") == $(realpath "$(dirname "$library")") ]] || fail "libdir is $libdir"
[[ $flags == *"-I$cflags_dir"* && $flags == *"-L$libdir"* && $flags == *"-lshadegap"* ]] \
  || fail "flags lack -I, -L or -lshadegap"
# shellcheck disable=SC2086  # the flags are words
"$cxx" -std=c++17 $extra "$source/tests/package/consumer/main.cpp" -o "$tmp/consumer-pc" $flags \
  -Wl,-rpath,"$libdir" || fail "pkg-config compile"
check_output "consumer (pkg-config)" "$tmp/consumer-pc"
step "ok"
