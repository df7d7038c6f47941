#!/usr/bin/env bash
# Compares shadegap's shadow masks with GRASS GIS r.sunmask (Debian package grass-core) on one height raster.
# SPDX-License-Identifier: MIT
#
# Usage: bench/shade/compare_r_sunmask.sh SHADEGAP HEIGHTS.tif DATE TIME-WINDOW STEP TZ
# Runs `shadegap shade --masks` for the instants, then r.sunmask with the same grid azimuth and
# elevation (from the manifest) on the same heights as an elevation model (-z: cells at 0 m
# are ground, not null), and prints per instant the share of cells on which the masks agree.
set -euo pipefail
shadegap=$(realpath "$1"); heights=$(realpath "$2"); date=$3; window=$4; step=$5; tz=$6
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$shadegap" shade --surface "$heights" --date "$date" --time "$window" --step "$step" --tz "$tz" \
    --out "$work/shade.tif" --masks "$work/masks" --quiet
# One line per used instant: mask file, grid azimuth, elevation.
grep -o '"grid_azimuth_deg": [^,]*\|"elevation_deg": [^,]*\|"mask": "[^"]*"' "$work/shade.json" |
    awk -F': ' '/elevation/ {e=$2} /grid_azimuth/ {a=$2} /mask/ {gsub(/"/, "", $2); print $2, a, e}' > "$work/instants"
grass -c "$heights" -e "$work/grassdb/location"
cat > "$work/compare.sh" <<'INNER'
set -euo pipefail
r.in.gdal --quiet input="$HEIGHTS" output=heights
g.region raster=heights
cells=$(r.univar -g map=heights | awk -F= '$1 == "n" {print $2}')
while read -r mask azimuth elevation; do
    r.in.gdal --quiet --overwrite input="$WORK/masks/$mask" output=shadegap
    r.sunmask -z --quiet --overwrite elevation=heights output=grass altitude="$elevation" azimuth="$azimuth"
    r.mapcalc --quiet --overwrite "same = if(isnull(grass), 0, 1) == shadegap"
    r.mapcalc --quiet --overwrite "only_shadegap = shadegap == 1 && isnull(grass)"
    r.mapcalc --quiet --overwrite "only_grass = shadegap == 0 && !isnull(grass)"
    # A differing cell on an edge of shadegap's shadow: one of its 8 neighbours differs from it.
    r.mapcalc --quiet --overwrite "edge = same == 0 && (shadegap != shadegap[-1,-1] || shadegap != shadegap[-1,0] || \
        shadegap != shadegap[-1,1] || shadegap != shadegap[0,-1] || shadegap != shadegap[0,1] || \
        shadegap != shadegap[1,-1] || shadegap != shadegap[1,0] || shadegap != shadegap[1,1])"
    agree=$(r.univar -g map=same | awk -F= '$1 == "sum" {print $2}')
    edge=$(r.univar -g map=edge | awk -F= '$1 == "sum" {print $2}')
    a=$(r.univar -g map=only_shadegap | awk -F= '$1 == "sum" {print $2}')
    b=$(r.univar -g map=only_grass | awk -F= '$1 == "sum" {print $2}')
    awk -v m="$mask" -v az="$azimuth" -v el="$elevation" -v s="$agree" -v n="$cells" -v a="$a" -v b="$b" -v e="$edge" \
        'BEGIN {printf "%s azimuth %.2f elevation %.2f: %.4f%% equal; %d only shadegap, %d only r.sunmask, %d of them on a shadow edge\n", m, az, el, 100 * s / n, a, b, e}'
done < "$WORK/instants"
INNER
HEIGHTS="$heights" WORK="$work" grass "$work/grassdb/location/PERMANENT" --exec bash "$work/compare.sh"
