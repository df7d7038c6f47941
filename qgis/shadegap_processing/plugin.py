# SPDX-License-Identifier: MIT
"""The plugin object: registers the shadegap Processing provider.

QGIS desktop calls initGui(); qgis_process (headless) calls initProcessing() of plugins whose
metadata say hasProcessingProvider=yes. Both register the same provider once.
"""

from qgis.core import QgsApplication


class ShadegapPlugin:
    def __init__(self, iface=None):
        self.iface = iface
        self.provider = None

    def initProcessing(self):  # noqa: N802 (QGIS API)
        if self.provider is None:
            from .provider import ShadegapProvider
            self.provider = ShadegapProvider()
            QgsApplication.processingRegistry().addProvider(self.provider)

    def initGui(self):  # noqa: N802 (QGIS API)
        self.initProcessing()

    def unload(self):
        if self.provider is not None:
            QgsApplication.processingRegistry().removeProvider(self.provider)
            self.provider = None
