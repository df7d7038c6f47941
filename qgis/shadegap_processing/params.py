# SPDX-License-Identifier: MIT
"""One table of parameters per algorithm: each Processing parameter and the shadegap flag it
becomes. The same table builds the dialog and the command line, so they cannot disagree.
docs/qgis.md lists them; docs/cli/shadegap-*.md say what each flag does.
"""

import re

from qgis.core import (QgsProcessing, QgsProcessingException, QgsProcessingParameterBoolean,
                       QgsProcessingParameterDefinition, QgsProcessingParameterEnum,
                       QgsProcessingParameterFeatureSource, QgsProcessingParameterField,
                       QgsProcessingParameterFile, QgsProcessingParameterNumber,
                       QgsProcessingParameterRasterLayer, QgsProcessingParameterString)

# Formats shadegap (OGR) reads as they are; any other layer (a memory layer, a selection, a
# database table) is written by Processing to a temporary GeoPackage first.
VECTOR_FORMATS = ['gpkg', 'shp', 'geojson', 'json', 'fgb', 'gml', 'kml', 'sqlite', 'tab', 'csv']
_PAIR_SPLIT = re.compile(r'[;,\n]')


class Spec:
    """One parameter: NAME, the shadegap FLAG (None for the project file, an argument),
    its KIND and how the dialog shows it."""

    def __init__(self, name, flag, kind, description, default=None, optional=True,
                 advanced=False, help_text='', **extra):
        self.name = name
        self.flag = flag
        self.kind = kind
        self.description = description
        self.default = default
        self.optional = optional
        self.advanced = advanced
        self.help_text = help_text
        self.extra = extra

    def definition(self):
        kind, extra = self.kind, self.extra
        if kind == 'project':
            p = QgsProcessingParameterFile(self.name, self.description,
                                           QgsProcessingParameterFile.File, 'toml',
                                           optional=self.optional,
                                           fileFilter='Project files (*.toml)')
        elif kind == 'file':
            p = QgsProcessingParameterFile(self.name, self.description,
                                           QgsProcessingParameterFile.File,
                                           extra.get('extension', ''), optional=self.optional,
                                           fileFilter=extra.get('filter', ''))
        elif kind == 'raster':
            p = QgsProcessingParameterRasterLayer(self.name, self.description,
                                                  optional=self.optional)
        elif kind == 'vector':
            p = QgsProcessingParameterFeatureSource(
                self.name, self.description,
                extra.get('types', [QgsProcessing.TypeVectorAnyGeometry]),
                optional=self.optional)
        elif kind == 'field':
            p = QgsProcessingParameterField(self.name, self.description, None,
                                            extra['parent'], QgsProcessingParameterField.Any,
                                            optional=self.optional)
        elif kind in ('string', 'pairs'):
            p = QgsProcessingParameterString(self.name, self.description, self.default,
                                             optional=self.optional)
        elif kind in ('int', 'number'):
            number = (QgsProcessingParameterNumber.Integer if kind == 'int'
                      else QgsProcessingParameterNumber.Double)
            p = QgsProcessingParameterNumber(self.name, self.description, number, self.default,
                                             optional=self.optional,
                                             minValue=extra.get('minimum', 0))
            if 'maximum' in extra:
                p.setMaximum(extra['maximum'])
        elif kind == 'bool':
            p = QgsProcessingParameterBoolean(self.name, self.description,
                                              bool(self.default), optional=True)
        elif kind == 'enum':
            p = QgsProcessingParameterEnum(self.name, self.description, extra['options'],
                                           False, self.default, optional=self.optional)
        else:
            raise ValueError('unknown parameter kind ' + kind)
        if self.advanced:
            p.setFlags(p.flags() | QgsProcessingParameterDefinition.FlagAdvanced)
        if self.help_text:
            p.setHelp(self.help_text)
        return p

    def arguments(self, alg, parameters, context, feedback):
        """The command-line arguments for this parameter's value ([] when not given)."""
        kind, name, value = self.kind, self.name, parameters.get(self.name)
        # A bool left out takes its default (OVERWRITE is on); any other value left out or
        # empty is not passed, so shadegap's default (or the project file's value) holds.
        if kind != 'bool' and (value is None or (isinstance(value, str) and value == '')):
            return []
        if kind in ('project', 'file'):
            path = alg.parameterAsFile(parameters, name, context)
            return [path] if self.flag is None else ([self.flag, path] if path else [])
        if kind == 'raster':
            layer = alg.parameterAsRasterLayer(parameters, name, context)
            if layer is None:
                raise QgsProcessingException('{}: could not load the raster {!r}'
                                             .format(name, value))
            if layer.providerType() != 'gdal':
                raise QgsProcessingException(
                    '{}: layer {!r} is not read through GDAL (provider {}); shadegap reads '
                    'raster files (hint: save it as a GeoTIFF first)'
                    .format(name, layer.name(), layer.providerType()))
            return [self.flag, layer.source()]
        if kind == 'vector':
            path, layer_name = alg.parameterAsCompatibleSourceLayerPathAndLayerName(
                parameters, name, context, VECTOR_FORMATS, 'gpkg', feedback)
            if not path:
                return []
            args = [self.flag, path]
            if layer_name and self.extra.get('layer_flag'):
                args += [self.extra['layer_flag'], layer_name]
            return args
        if kind == 'field':
            field = alg.parameterAsString(parameters, name, context)
            return [self.flag, field] if field else []
        if kind == 'string':
            text = alg.parameterAsString(parameters, name, context).strip()
            return [self.flag, text] if text else []
        if kind == 'pairs':
            text = alg.parameterAsString(parameters, name, context)
            args = []
            for item in _PAIR_SPLIT.split(text):
                item = item.strip()
                if item:
                    args += [self.flag, item]
            return args
        if kind == 'int':
            return [self.flag, str(alg.parameterAsInt(parameters, name, context))]
        if kind == 'number':
            return [self.flag, repr(alg.parameterAsDouble(parameters, name, context))]
        if kind == 'bool':
            return [self.flag] if alg.parameterAsBool(parameters, name, context) else []
        if kind == 'enum':
            index = alg.parameterAsEnum(parameters, name, context)
            return [self.flag, self.extra['options'][index]]
        raise ValueError('unknown parameter kind ' + kind)


POLYGONS = [QgsProcessing.TypeVectorPolygon]
LINES = [QgsProcessing.TypeVectorLine]
POINTS = [QgsProcessing.TypeVectorPoint]

PROJECT = Spec('PROJECT', None, 'project', 'Project file (TOML)',
               help_text='Any option below may come from the project file; a parameter given '
                         'here overrides its value. Relative paths resolve against its folder.')

# The inputs and options of `shadegap run`, shared by run, check, plan and walks.
RUN_INPUTS = [
    PROJECT,
    Spec('CANOPY', '--canopy', 'raster', 'Canopy raster (land cover, canopy or percent)'),
    Spec('CANOPY_KIND', '--canopy-kind', 'string',
         'Canopy kind (binary, percent, fraction, classes=C1,... or min=X)'),
    Spec('WATER_CLASSES', '--water-classes', 'string', 'Water classes (comma-separated values)'),
    Spec('UNITS', '--units', 'vector', 'Census units (polygons with demographics)',
         types=POLYGONS, layer_flag='--units-layer'),
    Spec('UNIT_ID', '--unit-id', 'field', 'Census unit id field', parent='UNITS'),
    Spec('JOIN', '--join', 'file', 'Attribute CSV joined to the census units',
         extension='csv', filter='CSV files (*.csv)'),
    Spec('JOIN_KEY', '--join-key', 'string', 'Join key (FIELD or UNITS_FIELD=CSV_FIELD)'),
    Spec('ALLOW_UNMATCHED', '--allow-unmatched', 'bool',
         'Allow census units without a row in the CSV', advanced=True),
    Spec('NEIGHBOURHOODS', '--neighbourhoods', 'vector',
         'Neighbourhoods (ranking units)', types=POLYGONS,
         layer_flag='--neighbourhoods-layer'),
    Spec('NEIGHBOURHOOD_ID', '--neighbourhood-id', 'field', 'Neighbourhood id field',
         parent='NEIGHBOURHOODS'),
    Spec('NEIGHBOURHOOD_NAME', '--neighbourhood-name', 'field', 'Neighbourhood name field',
         parent='NEIGHBOURHOODS'),
    Spec('GROUP_BY', '--group-by', 'string',
         'Group census units by this field instead of neighbourhoods', advanced=True),
    Spec('MODEL', '--model', 'string',
         'Model: tree-equity, canopy-gap, shade-equity or a model TOML path'),
    Spec('FIELDS', '--field', 'pairs', 'Model fields ROLE=FIELD (comma-separated)',
         advanced=True),
    Spec('SCALES', '--scale', 'pairs', 'Variable scales ROLE=FACTOR (comma-separated)',
         advanced=True),
    Spec('ALLOW_MISSING_VARIABLES', '--allow-missing-variables', 'bool',
         'Run without the model variables that have no column', advanced=True),
    Spec('SHADE', '--shade', 'raster', 'Shade-fraction raster on the canopy grid'),
    Spec('SHADE_MASK', '--shade-mask', 'enum', 'Shade mask', options=['land', 'walkable']),
    Spec('BUILDING_CLASSES', '--building-classes', 'string',
         'Building classes (comma-separated values)'),
    Spec('WALKABLE_CLASSES', '--walkable-classes', 'string',
         'Walkable classes (comma-separated values)'),
    Spec('HEAT', '--heat', 'raster', 'Land-surface temperature raster in °C',
         advanced=True),
    Spec('RESIDENTIAL_CLASSES', '--residential-classes', 'string',
         'Residential classes (comma-separated values)', advanced=True),
    Spec('EQUITY_GROUPS', '--equity-group', 'pairs',
         'Equity groups NAME=FIELD (comma-separated)', advanced=True),
    Spec('REFERENCE', '--reference', 'string', 'Reference group for equity', advanced=True),
    Spec('RANK_BY', '--rank-by', 'string', 'Column ranking units from worse to better off',
         advanced=True),
    Spec('MOE', '--moe', 'pairs', 'Margins of error FIELD=MOE_FIELD (comma-separated)',
         advanced=True),
    Spec('DRAWS', '--draws', 'int', 'Monte Carlo draws', advanced=True),
    Spec('SEED', '--seed', 'int', 'Seed of the draws (and of walks\' agents)', advanced=True),
]

RUN_OUTPUT_OPTIONS = [
    Spec('FORMAT', '--format', 'enum', 'Map formats', options=['geojson', 'gpkg']),
    Spec('REPORT', '--report', 'bool', 'Also write report.html'),
    Spec('OVERWRITE', '--overwrite', 'bool', 'Replace outputs already in the output folder',
         default=True),
    Spec('THREADS', '--threads', 'int', 'Threads (0: all cores)', advanced=True),
    Spec('BLOCK_SIZE', '--block-size', 'int', 'Overlay block edge in cells (0: the raster\'s)',
         advanced=True),
]

PLAN_OPTIONS = [
    Spec('LANDCOVER', '--landcover', 'raster', 'Land-cover raster (classes)', optional=True),
    Spec('PLANTABLE_CLASSES', '--plantable-classes', 'string',
         'Plantable classes (comma-separated values)'),
    Spec('TREES', '--trees', 'int', 'Trees to plant'),
    Spec('BUDGET', '--budget', 'number', 'Budget (with the cost per tree)'),
    Spec('COST_PER_TREE', '--cost-per-tree', 'number', 'Cost per tree'),
    Spec('SPACING', '--spacing', 'number', 'Least distance between sites (m)', advanced=True),
    Spec('CROWN_M2', '--crown-m2', 'number', 'Crown area at maturity (m²)', advanced=True),
    Spec('YEARS', '--years', 'number', 'Years after planting', advanced=True),
    Spec('SURVIVAL', '--survival', 'number', 'Yearly survival share (0–1)', advanced=True,
         maximum=1),
    Spec('TREE_HEIGHT', '--tree-height', 'number', 'Tree height at maturity (m)',
         advanced=True),
]

WALKS_OPTIONS = [
    Spec('STREETS', '--streets', 'vector', 'Streets (lines)', types=LINES,
         layer_flag='--streets-layer'),
    Spec('DESTINATIONS', '--destinations', 'vector', 'Destinations (points)', types=POINTS,
         layer_flag='--destinations-layer'),
    Spec('DESTINATION_KIND', '--destination-kind', 'string',
         'Only destinations with FIELD=V1,V2,...'),
    Spec('AGENTS_PER_PERSON', '--agents-per-person', 'number', 'Agents per resident'),
    Spec('AGENTS', '--agents', 'int', 'About this many agents in all (instead)'),
    Spec('MAX_WALK_M', '--max-walk-m', 'number', 'Longest walk (m)', advanced=True),
    Spec('SUN_AVERSION', '--sun-aversion', 'number', 'Sun aversion (0: shortest routes)',
         advanced=True),
    Spec('ROUTES', '--routes', 'int', 'Routes to write to routes.geojson'),
]

SHADE_OPTIONS = [
    Spec('SURFACE', '--surface', 'raster', 'Opaque surface heights (m; instead of the two below)'),
    Spec('BUILDINGS', '--buildings', 'raster', 'Building heights (m)'),
    Spec('CANOPY_HEIGHT', '--canopy-height', 'raster', 'Canopy heights (m)'),
    Spec('TRANSMISSIVITY', '--transmissivity', 'number', 'Canopy transmissivity (0–1)',
         maximum=1),
    Spec('DATE', '--date', 'string', 'Date YYYY-MM-DD or range YYYY-MM-DD..YYYY-MM-DD',
         optional=False),
    Spec('TIME', '--time', 'string', 'Local time HH:MM or window HH:MM-HH:MM', optional=False),
    Spec('STEP', '--step', 'int', 'Step in minutes within the window'),
    Spec('SUN_TOLERANCE', '--sun-tolerance', 'number', 'Sun tolerance (degrees)',
         advanced=True),
    Spec('TZ', '--tz', 'string', 'Time zone (IANA name, UTC or a fixed offset)',
         optional=False),
    Spec('FORCE_TZ', '--force-tz', 'bool', 'Use the time zone even far from the solar time',
         advanced=True),
    Spec('THREADS', '--threads', 'int', 'Threads (0: all cores)', advanced=True),
]


def arguments(specs, alg, parameters, context, feedback):
    args = []
    for spec in specs:
        args += spec.arguments(alg, parameters, context, feedback)
    return args
