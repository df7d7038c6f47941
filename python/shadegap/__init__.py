"""shadegap in Python: rank neighbourhoods for tree planting, measure canopy and shade.

The functions mirror the command line (docs/python.md):

    run(project=None, **options)      the whole pipeline; tables as dicts of NumPy arrays
    walks(...), plan(...)             the runs of `shadegap walks` and `shadegap plan`
    overlay(raster, units, ...)       exact per-unit canopy (and shade) sums
    sun(...)                          sun positions for a place and local times
    shade(...)                        shade fractions from heights (paths or NumPy arrays)
    shadows(heights, azimuth, ...)    the shadow of every cell for one sun direction

Long calls release the GIL. Errors are shadegap.Error subclasses whose text is the command
line's one-line message, with options named by their keywords (canopy_height, `force_tz =
true`) where the command line names its flags (--canopy-height, --force-tz).
"""

import os
import shutil
import tempfile
import warnings
from itertools import count

try:
    import numpy as np

    from . import _shadegap
    from ._shadegap import (  # noqa: F401  (the public exceptions)
        CrsError,
        Error,
        GeometryError,
        InputError,
        ModelError,
        OutputError,
        UsageError,
    )

    __version__ = _shadegap.__version__
except ImportError as _missing:
    # A build without the extension (SHADEGAP_BUILD_PYTHON off, no pybind11, sanitizer builds):
    # `python3 -m shadegap.dask`, which runs the shadegap program, still works; the functions
    # below raise ImportError saying why.
    class _MissingExtension:
        def __init__(self, error):
            self._error = error

        def __getattr__(self, name):
            raise ImportError(f"shadegap.{name}: this build has no extension shadegap._shadegap "
                              f"(pybind11-dev, python3-dev, SHADEGAP_BUILD_PYTHON): {self._error}")

    _shadegap = _MissingExtension(_missing)
    __version__ = None

    class Error(Exception):
        """Base of every error shadegap raises."""

    class InputError(Error):
        pass

    class CrsError(Error):
        pass

    class ModelError(Error):
        pass

    class GeometryError(Error):
        pass

    class OutputError(Error):
        pass

    class UsageError(Error):
        pass

__all__ = [
    "Error", "InputError", "CrsError", "ModelError", "GeometryError", "OutputError", "UsageError",
    "ShadegapWarning", "options", "run", "walks", "plan", "overlay", "sun", "shade", "shadows",
    "read_raster", "write_raster", "as_geodataframe",
]


def _error(kind, subject, message, hint=""):
    """An error raised by the Python side, shaped like the library's: "subject: message"."""
    error = kind(f"{subject}: {message}")
    error.subject, error.message, error.hint = subject, message, hint
    return error


class ShadegapWarning(UserWarning):
    """A warning of the library (a repaired geometry, a share of nodata...): the run goes on."""


def options():
    """Every option of run(), walks() and plan(), as dicts: key (the keyword), aliases, flag
    (the command line's), type, choices, group, command, required, help."""
    return _shadegap.options()


# ---- run ---------------------------------------------------------------------------------


def run(project=None, *, geodataframe=False, progress=None, **options):
    """Runs the whole pipeline, as `shadegap run [PROJECT.toml] [options]` does.

    project: a project file (TOML) or None. options: the project file's keys as keywords
    (canopy=..., unit_id=..., fields={"population": "POP"}, water_classes=[4], ...); a keyword
    overrides the file's value, and a role of fields/scale/equity_group/moe replaces that role
    only. shadegap.options() lists them. Relative paths in keywords are relative to the
    current folder, those in the project file to its folder.

    With out=DIR the outputs are written into DIR, as the command line writes them
    (overwrite=True to replace earlier ones); without out (in neither the keywords nor the
    project file) nothing is written.

    Returns a dict: the tables by name ("units", "priority", and "equity", "disparity",
    "walks", "routes", "plan", "sites" where the run makes them), each a dict of column name
    to NumPy array in the CSV file's column order (integers as int64, other numbers as
    float64 with NaN for a value that does not exist, text as object arrays with None);
    "geometries" (for the tables with a map: {"wkb": [...], "crs": WKT}, the canopy raster's
    CRS); "outputs" (files written); "city_score" (None when there is none); "diagnostics"
    (the warnings: dicts of code, subject, message); "summary" (counts, model, timings).
    With geodataframe=True (needs geopandas) the tables are pandas DataFrames, and
    GeoDataFrames for those with a map (see as_geodataframe()).

    progress: None or a function(fraction, stage) called between stages. The GIL is
    released while the pipeline runs; Ctrl-C stops it (KeyboardInterrupt, no partial output).
    """
    return _run_command("run", project, geodataframe, progress, options)


def walks(project=None, *, geodataframe=False, progress=None, **options):
    """`shadegap walks`: run() with the walks stage (streets=, destinations=, ...;
    docs/walks.md). Returns what run() returns, with the table "walks"."""
    return _run_command("walks", project, geodataframe, progress, options)


def plan(project=None, *, geodataframe=False, progress=None, **options):
    """`shadegap plan`: run() with a planting plan (landcover=, plantable_classes=, trees=
    or budget= with cost_per_tree=, ...; docs/plan.md). Returns what run() returns, with the
    table "plan"."""
    return _run_command("plan", project, geodataframe, progress, options)


def _run_command(command, project, geodataframe, progress, options):
    if geodataframe:
        _require_geopandas()
    config = _shadegap.build_config(project, options, command)
    outcome = _shadegap.run(config, progress)
    summary = outcome["summary"]
    result = dict(outcome["tables"])
    result["geometries"] = outcome["geometries"]
    result["outputs"] = summary["outputs"]
    result["city_score"] = summary["city_score"]
    result["diagnostics"] = summary["diagnostics"]
    result["summary"] = {k: v for k, v in summary.items() if k not in ("outputs", "city_score", "diagnostics")}
    return as_geodataframe(result) if geodataframe else result


def _require_geopandas():
    try:
        import geopandas  # noqa: F401
    except ImportError as error:
        raise ImportError("geodataframe=True needs geopandas (Debian: python3-geopandas)") from error


def as_geodataframe(result):
    """A run's result with its tables as pandas DataFrames, and those that have a map
    ("priority", "plan": polygons; "sites": points; "routes": lines) as GeoDataFrames in the
    canopy raster's CRS (.to_crs("EPSG:4326") gives priority.geojson's). Needs geopandas."""
    _require_geopandas()
    import geopandas
    import pandas

    converted = dict(result)
    geometries = result.get("geometries", {})
    for name, table in result.items():
        if name == "geometries" or not isinstance(table, dict) or not table:
            continue
        if not all(isinstance(v, np.ndarray) for v in table.values()):
            continue
        if name in geometries:
            geometry = geopandas.GeoSeries.from_wkb(geometries[name]["wkb"], crs=geometries[name]["crs"] or None)
            converted[name] = geopandas.GeoDataFrame(table, geometry=geometry)
        else:
            converted[name] = pandas.DataFrame(table)
    return converted


# ---- overlay, sun, shadows, shade ----------------------------------------------------------


def _warn(diagnostics):
    for warning in diagnostics:
        subject = warning["subject"] + ": " if warning["subject"] else ""
        warnings.warn(subject + warning["message"], ShadegapWarning, stacklevel=3)


def overlay(raster, units, *, unit_id, units_layer=None, canopy_kind="binary", water_classes=(),
            shade=None, shade_mask="land", building_classes=(), walkable_classes=(),
            residential_classes=(), threads=0, block_size=0, progress=None):
    """Exact per-unit sums of a canopy raster over the polygons of `units` (any OGR vector, or
    a GeoDataFrame with a CRS; reprojected to the raster's CRS), as the run's overlay stage computes them: each cell
    counts with the exact share of its area the polygon covers (docs/outputs.md, units.csv).

    Returns a dict of NumPy arrays, one row per unit in the layer's order: unit_id, area_m2,
    covered_m2 (the part on the raster), valid_m2 (valid land), canopy_m2, water_m2,
    nodata_m2, canopy_fraction (NaN without valid land); with shade=PATH also shade_mask_m2,
    shade_m2 and shade_fraction; with residential_classes also residential_m2. Warnings
    (repaired geometries...) are issued as ShadegapWarning. The GIL is released meanwhile."""
    temporary = None
    if not _is_path(units) and hasattr(units, "to_file"):  # a GeoDataFrame, handed over as a GeoPackage
        if units.crs is None:
            raise _error(CrsError, "units", "the GeoDataFrame has no CRS; set one with set_crs()")
        temporary = tempfile.mkdtemp(prefix="shadegap-overlay-")
        path = os.path.join(temporary, "units.gpkg")
        units.to_file(path, driver="GPKG", layer="units")
        units, units_layer = path, "units"
    try:
        result = _shadegap.overlay(
            os.fspath(raster), os.fspath(units), unit_id, units_layer or "", canopy_kind,
            _numbers(water_classes), os.fspath(shade) if shade is not None else "", shade_mask,
            _numbers(building_classes), _numbers(walkable_classes), _numbers(residential_classes),
            threads, block_size, progress)
    finally:
        if temporary:
            shutil.rmtree(temporary, ignore_errors=True)
    _warn(result["diagnostics"])
    return result["table"]


def _numbers(values):
    if isinstance(values, str):
        return [float(v) for v in values.split(",") if v.strip()]
    if np.isscalar(values):
        return [float(values)]
    return [float(v) for v in values]


def sun(*, lat=None, lon=None, raster=None, at=None, date=None, time=None, step=15, tz, force_tz=False):
    """Sun positions, as `shadegap sun` prints them: for lat/lon (degrees, WGS 84) or the centre
    of a raster, at local times `at` (one "YYYY-MM-DDTHH:MM[:SS]" or a list) or on every day of
    `date` ("YYYY-MM-DD" or "D1..D2") at the clock times of `time` ("HH:MM" or "HH:MM-HH:MM",
    every `step` minutes), in the time zone `tz` (IANA name or fixed offset).

    Returns a dict of NumPy arrays: local_time, utc_time (ISO 8601 text), utc_seconds,
    azimuth_deg (clockwise from north), elevation_deg (apparent, with refraction),
    true_elevation_deg. Local times skipped by daylight saving are left out with a
    ShadegapWarning."""
    if isinstance(at, str):
        at = [at]
    result = _shadegap.sun(lat, lon, os.fspath(raster) if raster is not None else "", list(at or []),
                           date or "", time or "", step, tz, force_tz)
    for local in result["missing"]:
        warnings.warn(f"time: {local} does not exist in {tz} (daylight saving starts); left out",
                      ShadegapWarning, stacklevel=2)
    return result["table"]


def shadows(heights=None, *, azimuth, elevation, cell_size=1.0, canopy=None, threads=0):
    """The shadow of every cell for one sun direction (the library's cast_shadows): a uint8
    array of heights' shape, 0 in the sun, 1 behind or under canopy only, 2 behind an opaque
    surface. heights: opaque heights above ground in metres (2-D, row 0 north); canopy:
    canopy heights; azimuth: degrees clockwise from the grid's north; elevation: degrees
    above the horizon (> 0); cell_size: metres, one number or (width, height)."""
    width, height = (cell_size, cell_size) if np.isscalar(cell_size) else cell_size
    return _shadegap.shadows(heights, canopy, float(azimuth), float(elevation), float(width), float(height),
                             threads)


_vsimem_names = count()


def shade(surface=None, buildings=None, canopy_height=None, *, date, time, tz, step=15,
          geotransform=None, crs=None, transmissivity=0.03, sun_tolerance=1.0, force_tz=False,
          out=None, masks=None, overwrite=False, threads=0, progress=None):
    """Shade fractions, as `shadegap shade` computes them: the share of the sampled instants
    (sun above the horizon) at which each cell is in shadow, canopy letting `transmissivity`
    of the light through.

    surface / buildings / canopy_height: raster paths, or 2-D NumPy arrays of heights in
    metres (row 0 north; NaN = nodata) with `geotransform` (GDAL's 6 numbers, north-up, or an
    affine.Affine) and `crs` ("EPSG:32618", WKT, or a pyproj.CRS). date ("YYYY-MM-DD" or "D1..D2"), time ("HH:MM" or "HH:MM-HH:MM",
    every `step` minutes) and tz as for sun(); the sun's place is the rasters' centre.

    With out=PATH the Float32 COG and its manifest (PATH with .json) are written and kept
    (masks=DIR: also one mask per instant); without, they go to a temporary folder.
    Returns a dict: "fraction" (2-D float32, NaN where every input is nodata),
    "geotransform", "crs" (WKT), and the run's summary: sampled_count, used_count,
    position_count, latitude, longitude, grid_convergence_deg, outputs, manifest, seconds,
    diagnostics. The GIL is released meanwhile."""
    layers = {"surface": surface, "buildings": buildings, "canopy_height": canopy_height}
    if all(v is None for v in layers.values()):
        raise _error(UsageError, "surface", "heights are required: give surface=, or buildings= and/or "
                     "canopy_height= (paths or 2-D arrays)")
    arrays = {k: v for k, v in layers.items() if v is not None and not _is_path(v)}
    if hasattr(geotransform, "to_gdal"):  # an affine.Affine (rasterio)
        geotransform = geotransform.to_gdal()
    if crs is not None and not isinstance(crs, str) and hasattr(crs, "to_wkt"):  # a pyproj.CRS
        crs = crs.to_wkt()
    if arrays and (geotransform is None or crs is None):
        name = next(iter(arrays))
        raise _error(UsageError, name, "an array of heights needs geotransform= and crs=")
    temporary = tempfile.mkdtemp(prefix="shadegap-shade-") if out is None else None
    written = []
    try:
        paths = {}
        for name, value in layers.items():
            if value is None:
                paths[name] = ""
            elif name in arrays:
                path = f"/vsimem/shadegap-python-{os.getpid()}-{next(_vsimem_names)}/{name}.tif"
                _shadegap.write_raster(path, np.asarray(value), list(geotransform), crs, None)
                written.append(path)
                paths[name] = path
            else:
                paths[name] = os.fspath(value)
        target = os.path.join(temporary, "shade.tif") if temporary else os.fspath(out)
        summary = _shadegap.run_shade(paths["surface"], paths["buildings"], paths["canopy_height"], date, time,
                                      step, tz, float(transmissivity), float(sun_tolerance), force_tz, target,
                                      os.fspath(masks) if masks is not None else "", overwrite, threads, progress)
        raster = _shadegap.read_raster(target)
    finally:
        for path in written:
            _shadegap.unlink(path)
        if temporary:
            shutil.rmtree(temporary, ignore_errors=True)
    _warn(summary["diagnostics"])
    values = raster["values"]
    if raster["nodata"] is not None:
        values = np.where(values == raster["nodata"], np.nan, values)
    result = dict(summary)
    if temporary:
        result["outputs"], result["manifest"] = [], None
    result["fraction"] = values.astype(np.float32)
    result["geotransform"] = raster["geotransform"]
    result["crs"] = raster["crs"]
    return result


def _is_path(value):
    return isinstance(value, (str, bytes)) or hasattr(value, "__fspath__")


def read_raster(path):
    """Band 1 of a raster (any GDAL raster) as a dict: values (2-D float64), geotransform,
    crs (WKT), crs_name, nodata (or None)."""
    return _shadegap.read_raster(os.fspath(path))


def write_raster(path, values, geotransform, crs, nodata=None):
    """Writes a 2-D array as a GeoTIFF: Byte, Int16, UInt16, Int32 and Float32 arrays keep
    their type, others are written as Float64. geotransform: GDAL's north-up
    (x_min, cell_width, 0, y_max, 0, -cell_height); crs: anything GDAL reads ("EPSG:32618",
    WKT, PROJ JSON)."""
    _shadegap.write_raster(os.fspath(path), np.asarray(values), list(geotransform), crs, nodata)
