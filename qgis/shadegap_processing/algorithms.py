# SPDX-License-Identifier: MIT
"""The Processing algorithms: run, check, shade, plan and walks. Each builds the command
line from its parameter table (params.py), runs the shadegap program (cli.py) and registers
the files it wrote as outputs, loading the maps into the project."""

import os

from qgis.core import (QgsProcessingAlgorithm, QgsProcessingContext, QgsProcessingException,
                       QgsProcessingOutputFile,
                       QgsProcessingOutputHtml, QgsProcessingOutputString,
                       QgsProcessingOutputVectorLayer, QgsProcessingParameterFile,
                       QgsProcessingParameterFolderDestination,
                       QgsProcessingParameterRasterDestination, QgsProcessingUtils)

from . import cli, params


def _executable():
    setting = None
    try:
        from processing.core.ProcessingConfig import ProcessingConfig
        setting = ProcessingConfig.getSetting(cli.SETTING_EXECUTABLE)
    except Exception:  # Processing's settings are not loaded (a bare PyQGIS script)
        setting = None
    return cli.find_executable(setting or None)


class ShadegapAlgorithm(QgsProcessingAlgorithm):
    """Common to every algorithm: a sub-command, a parameter table, the manual page."""

    COMMAND = ''
    DISPLAY = ''
    SHORT = ''
    SPECS = []

    def createInstance(self):  # noqa: N802 (QGIS API)
        return type(self)()

    def name(self):
        return self.COMMAND

    def displayName(self):  # noqa: N802
        return self.DISPLAY

    # No group: the five algorithms sit directly under the provider in the toolbox.
    def group(self):
        return ''

    def groupId(self):  # noqa: N802
        return ''

    def shortHelpString(self):  # noqa: N802
        return (self.SHORT + '\n\nRuns `shadegap {0}`; each parameter is the flag of the same '
                'name (docs/cli/shadegap-{0}.md, docs/qgis.md). Errors are shadegap\'s own '
                'one-line messages.').format(self.COMMAND)

    def specs(self):
        return self.SPECS

    def add_outputs(self):
        pass

    def command(self, parameters, context, feedback):
        return [self.COMMAND] + params.arguments(self.specs(), self, parameters, context,
                                                 feedback)


def _load(context, path, name, output):
    details = QgsProcessingContext.LayerDetails(name, context.project(), output)
    context.addLayerToLoadOnCompletion(path, details)


class _RunLike(ShadegapAlgorithm):
    """run, plan and walks: the options of `shadegap run`, an output folder and its files."""

    OUTPUT = 'OUTPUT'
    EXTRA_SPECS = []

    def specs(self):
        return params.RUN_INPUTS + self.EXTRA_SPECS + params.RUN_OUTPUT_OPTIONS

    def initAlgorithm(self, config=None):  # noqa: N802
        for spec in self.specs():
            self.addParameter(spec.definition())
        self.addParameter(QgsProcessingParameterFolderDestination(self.OUTPUT,
                                                                  'Output folder'))
        self.addOutput(QgsProcessingOutputVectorLayer('PRIORITY', 'Priority map'))
        self.addOutput(QgsProcessingOutputFile('PRIORITY_CSV', 'priority.csv'))
        self.addOutput(QgsProcessingOutputFile('UNITS_CSV', 'units.csv'))
        self.addOutput(QgsProcessingOutputFile('RUN_JSON', 'run.json'))
        self.addOutput(QgsProcessingOutputFile('EQUITY_CSV', 'equity.csv'))
        self.addOutput(QgsProcessingOutputFile('DISPARITY_CSV', 'disparity.csv'))
        self.addOutput(QgsProcessingOutputHtml('REPORT_HTML', 'report.html'))
        self.add_outputs()

    def processAlgorithm(self, parameters, context, feedback):  # noqa: N802
        folder = os.path.abspath(self.parameterAsFileOutput(parameters, self.OUTPUT, context))
        args = self.command(parameters, context, feedback) + ['--out', folder, '--progress']
        cli.run(_executable(), args, feedback)
        results = {self.OUTPUT: folder}
        files = {'PRIORITY': 'priority.geojson', 'PRIORITY_CSV': 'priority.csv',
                 'UNITS_CSV': 'units.csv', 'RUN_JSON': 'run.json',
                 'EQUITY_CSV': 'equity.csv', 'DISPARITY_CSV': 'disparity.csv',
                 'REPORT_HTML': 'report.html'}
        files.update(self.extra_files())
        for key, name in files.items():
            path = os.path.join(folder, name)
            if os.path.exists(path):
                results[key] = path
        gpkg = os.path.join(folder, 'priority.gpkg')
        if os.path.exists(gpkg):
            # The GeoPackage carries the QGIS style (score in colours); prefer it for the map.
            _load(context, gpkg, 'priority', 'PRIORITY')
        elif 'PRIORITY' in results:
            _load(context, results['PRIORITY'], 'priority', 'PRIORITY')
        for key, name in self.extra_layers().items():
            if key in results:
                _load(context, results[key], name, key)
        return results

    def extra_files(self):
        return {}

    def extra_layers(self):
        return {}


class RunAlgorithm(_RunLike):
    COMMAND = 'run'
    DISPLAY = 'Rank neighbourhoods for planting (run)'
    SHORT = ('Measures the exact canopy (and shade, heat) of every census unit, moves the '
             'census counts to the ranking units, applies the model and ranks the units for '
             'tree planting. Writes priority.geojson (loaded as a layer), priority.csv, '
             'units.csv and run.json into the output folder.')


class PlanAlgorithm(_RunLike):
    COMMAND = 'plan'
    DISPLAY = 'Plan tree planting (plan)'
    SHORT = ('run, then finds planting sites on plantable land, gives the trees to the units '
             'where they close the most equity-weighted gap and measures the canopy (and '
             'shade) with the plan. Writes run\'s outputs and plan.csv, sites.geojson (loaded '
             'as a layer) and plan.json. Give the number of trees, or a budget and a cost '
             'per tree.')
    EXTRA_SPECS = params.PLAN_OPTIONS

    def add_outputs(self):
        self.addOutput(QgsProcessingOutputVectorLayer('SITES', 'Planting sites'))
        self.addOutput(QgsProcessingOutputFile('PLAN_CSV', 'plan.csv'))
        self.addOutput(QgsProcessingOutputFile('PLAN_JSON', 'plan.json'))

    def extra_files(self):
        return {'SITES': 'sites.geojson', 'PLAN_CSV': 'plan.csv', 'PLAN_JSON': 'plan.json'}

    def extra_layers(self):
        return {'SITES': 'sites'}


class WalksAlgorithm(_RunLike):
    COMMAND = 'walks'
    DISPLAY = 'Shade on walks to destinations (walks)'
    SHORT = ('run, then walks the residents of every census unit along the streets to the '
             'nearest destination and measures the shade on the way. Writes run\'s outputs '
             'and walks.csv, walks.json and, with routes, routes.geojson (loaded as a layer).')
    EXTRA_SPECS = params.WALKS_OPTIONS

    def add_outputs(self):
        self.addOutput(QgsProcessingOutputVectorLayer('ROUTES', 'Routes'))
        self.addOutput(QgsProcessingOutputFile('WALKS_CSV', 'walks.csv'))
        self.addOutput(QgsProcessingOutputFile('WALKS_JSON', 'walks.json'))

    def extra_files(self):
        return {'ROUTES': 'routes.geojson', 'WALKS_CSV': 'walks.csv',
                'WALKS_JSON': 'walks.json'}

    def extra_layers(self):
        return {'ROUTES': 'routes'}


class CheckAlgorithm(ShadegapAlgorithm):
    COMMAND = 'check'
    DISPLAY = 'Check a project without running (check)'
    SHORT = ('Makes every check run makes before reading the rasters (files, layers, fields, '
             'CRSs, the model, the join, the canopy kind on a sample, the output folder) and '
             'writes nothing. Fails with shadegap\'s error, or returns its verdict.')

    def specs(self):
        return params.RUN_INPUTS + [s for s in params.RUN_OUTPUT_OPTIONS
                                    if s.name in ('FORMAT', 'REPORT', 'OVERWRITE')]

    def initAlgorithm(self, config=None):  # noqa: N802
        for spec in self.specs():
            self.addParameter(spec.definition())
        self.addParameter(QgsProcessingParameterFile(
            'OUTPUT_FOLDER', 'Output folder the run would write (optional)',
            QgsProcessingParameterFile.Folder, optional=True))
        self.addOutput(QgsProcessingOutputString('VERDICT', 'Verdict'))

    def processAlgorithm(self, parameters, context, feedback):  # noqa: N802
        args = self.command(parameters, context, feedback)
        folder = self.parameterAsFile(parameters, 'OUTPUT_FOLDER', context)
        if not folder:
            # check needs the folder a run would write; a new temporary one is always fine.
            folder = QgsProcessingUtils.generateTempFilename('shadegap-check')
        args += ['--out', os.path.abspath(folder)]
        lines = cli.run(_executable(), args, feedback)
        return {'VERDICT': '\n'.join(lines)}


class ShadeAlgorithm(ShadegapAlgorithm):
    COMMAND = 'shade'
    DISPLAY = 'Shade from heights (shade)'
    SHORT = ('The share of a time window each cell spends in the shadow of buildings and '
             'trees, from their heights above ground, for the sun positions of the dates and '
             'local times given. Writes a Float32 GeoTIFF of 0–1 on the heights\' grid '
             '(loaded as a layer) and its manifest (.json beside it).')
    SPECS = params.SHADE_OPTIONS
    OUTPUT = 'OUTPUT'

    def initAlgorithm(self, config=None):  # noqa: N802
        for spec in self.specs():
            self.addParameter(spec.definition())
        self.addParameter(QgsProcessingParameterRasterDestination(self.OUTPUT,
                                                                  'Shade fraction'))
        self.addOutput(QgsProcessingOutputFile('MANIFEST', 'Manifest (JSON)'))
        masks = QgsProcessingParameterFolderDestination('MASKS', 'Shadow masks folder',
                                                        optional=True,
                                                        createByDefault=False)
        self.addParameter(masks)

    def processAlgorithm(self, parameters, context, feedback):  # noqa: N802
        out = self.parameterAsOutputLayer(parameters, self.OUTPUT, context)
        if not out.lower().endswith(('.tif', '.tiff')):
            raise QgsProcessingException(
                '{}: shadegap shade writes a GeoTIFF (hint: give a .tif path)'.format(out))
        out = os.path.abspath(out)
        args = self.command(parameters, context, feedback)
        args += ['--out', out, '--overwrite', '--progress']
        masks = self.parameterAsFileOutput(parameters, 'MASKS', context)
        if masks:
            args += ['--masks', os.path.abspath(masks)]
        cli.run(_executable(), args, feedback)
        results = {self.OUTPUT: out, 'MANIFEST': os.path.splitext(out)[0] + '.json'}
        if masks:
            results['MASKS'] = os.path.abspath(masks)
        return results


def all_algorithms():
    return [RunAlgorithm(), CheckAlgorithm(), ShadeAlgorithm(), PlanAlgorithm(),
            WalksAlgorithm()]

