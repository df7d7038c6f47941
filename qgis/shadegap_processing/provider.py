# SPDX-License-Identifier: MIT
"""The shadegap Processing provider and its one setting: the path of the program."""

from qgis.core import QgsApplication, QgsProcessingProvider

from . import cli
from .algorithms import all_algorithms


class ShadegapProvider(QgsProcessingProvider):
    def id(self):
        return 'shadegap'

    def name(self):
        return 'shadegap'

    def longName(self):  # noqa: N802 (QGIS API)
        return 'shadegap: tree canopy, shade and planting priority'

    def icon(self):
        return QgsApplication.getThemeIcon('/processingAlgorithm.svg')

    def load(self):
        # Processing > Options > Providers > shadegap > shadegap executable. Empty: the
        # environment variable SHADEGAP_EXE, else `shadegap` on the PATH.
        try:
            from processing.core.ProcessingConfig import ProcessingConfig, Setting
            ProcessingConfig.settingIcons[self.name()] = self.icon()
            ProcessingConfig.addSetting(Setting(
                self.name(), cli.SETTING_EXECUTABLE,
                'shadegap executable (empty: $' + cli.ENV_EXECUTABLE + ', else the PATH)', '',
                valuetype=Setting.FILE))
            ProcessingConfig.readSettings()
        except ImportError:  # Processing's Python plugin is absent: the variable or the PATH
            pass
        self.refreshAlgorithms()
        return True

    def unload(self):
        try:
            from processing.core.ProcessingConfig import ProcessingConfig
            ProcessingConfig.removeSetting(cli.SETTING_EXECUTABLE)
        except ImportError:
            pass

    def loadAlgorithms(self):  # noqa: N802 (QGIS API)
        for algorithm in all_algorithms():
            self.addAlgorithm(algorithm)
