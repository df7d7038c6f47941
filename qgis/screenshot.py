#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Makes docs/qgis.png: the dialog of the shadegap:run algorithm, filled in for the sample
city, beside the priority map it made, in QGIS (Debian's PyQGIS, under an X server):

    xvfb-run -a -s '-screen 0 1600x1000x24' /usr/bin/python3 qgis/screenshot.py \\
        build/shadegap docs/qgis.png
"""

import os
import sys
import tempfile

from qgis.core import (QgsApplication, QgsProject, QgsRasterLayer, QgsVectorLayer)
from qgis.gui import QgsMapCanvas
from qgis.PyQt.QtCore import Qt
from qgis.PyQt.QtGui import QImage
from qgis.PyQt.QtWidgets import QSplitter

here = os.path.dirname(os.path.abspath(__file__))
root = os.path.dirname(here)


def main():
    shadegap, png = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    os.environ['SHADEGAP_EXE'] = shadegap
    home = tempfile.mkdtemp(prefix='shadegap-qgis-shot-')
    QgsApplication.setPrefixPath('/usr', True)
    app = QgsApplication([], True, home)
    app.initQgis()
    sys.path.insert(0, '/usr/share/qgis/python/plugins')
    sys.path.insert(0, here)
    from processing.core.Processing import Processing
    Processing.initialize()
    import processing
    from shadegap_processing.provider import ShadegapProvider
    provider = ShadegapProvider()
    QgsApplication.processingRegistry().addProvider(provider)

    sample = os.path.join(root, 'sample-rasters')
    out = os.path.join(home, 'demo')
    parameters = {
        'CANOPY': os.path.join(sample, 'landcover.tif'), 'CANOPY_KIND': 'classes=1',
        'WATER_CLASSES': '4', 'UNITS': os.path.join(sample, 'blocks.gpkg'),
        'UNIT_ID': 'GEOID', 'JOIN': os.path.join(sample, 'acs.csv'), 'JOIN_KEY': 'GEOID',
        'NEIGHBOURHOODS': os.path.join(sample, 'neighbourhoods.gpkg'),
        'NEIGHBOURHOOD_ID': 'nbhd_id', 'NEIGHBOURHOOD_NAME': 'name', 'MODEL': 'tree-equity',
        'FORMAT': 1, 'OUTPUT': out}
    result = processing.run('shadegap:run', parameters)

    project = QgsProject.instance()
    landcover = QgsRasterLayer(os.path.join(sample, 'landcover.tif'), 'landcover')
    priority = QgsVectorLayer(os.path.join(out, 'priority.gpkg'), 'priority')
    priority.loadDefaultStyle()  # the GeoPackage's layer_styles: score in colours
    priority.setOpacity(0.8)
    project.addMapLayers([landcover, priority])

    # The dialog as a user fills it: layers of the project, the CSV by its name.
    blocks = QgsVectorLayer(os.path.join(sample, 'blocks.gpkg'), 'blocks')
    neighbourhoods = QgsVectorLayer(os.path.join(sample, 'neighbourhoods.gpkg'),
                                    'neighbourhoods')
    project.addMapLayers([blocks, neighbourhoods], False)
    parameters.update({'UNITS': blocks.id(), 'NEIGHBOURHOODS': neighbourhoods.id(),
                       'JOIN': 'acs.csv', 'OUTPUT': 'shadegap-city'})
    from processing.gui.AlgorithmDialog import AlgorithmDialog
    dialog = AlgorithmDialog(QgsApplication.processingRegistry().createAlgorithmById(
        'shadegap:run'), parent=None)
    dialog.setParameters(parameters)
    splitter = QSplitter(Qt.Horizontal)
    dialog.setParent(splitter, Qt.Widget)
    canvas = QgsMapCanvas()
    canvas.setLayers([priority, landcover])
    canvas.setDestinationCrs(landcover.crs())
    canvas.setExtent(priority.extent())
    canvas.setCanvasColor(Qt.white)
    splitter.addWidget(dialog)
    splitter.addWidget(canvas)
    splitter.resize(1240, 760)
    splitter.setSizes([700, 540])
    splitter.show()
    for _ in range(20):
        app.processEvents()
    canvas.zoomToFullExtent()
    canvas.setExtent(priority.extent())
    canvas.refresh()
    canvas.waitWhileRendering()
    for _ in range(20):
        app.processEvents()
    image = splitter.grab().toImage().convertToFormat(
        QImage.Format_Indexed8, Qt.ThresholdDither | Qt.AvoidDither)
    image.save(png, 'PNG', 9)
    print('wrote {} ({} bytes), priority from {}'.format(png, os.path.getsize(png),
                                                         result['PRIORITY']))
    sys.stdout.flush()
    # Qt's widgets and QGIS's registries are torn down in an order that crashes PyQGIS 3.22
    # at exit; the image is written, so leave at once.
    os._exit(0)


if __name__ == '__main__':
    main()
