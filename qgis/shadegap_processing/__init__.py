# SPDX-License-Identifier: MIT
"""QGIS plugin: a Processing provider whose algorithms run the shadegap program."""


def classFactory(iface):  # noqa: N802 (the name QGIS looks for)
    from .plugin import ShadegapPlugin
    return ShadegapPlugin(iface)
