#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""The QGIS Processing provider (qgis/shadegap_processing), headless through Debian's
qgis_process, in a temporary QGIS profile (the user's profile is not touched):

1. `qgis_process plugins enable shadegap_processing` with the plugin found via QGIS_PLUGINPATH;
2. shadegap:run on the sample city with every input given as a parameter: priority.csv is
   byte for byte the CLI's own for the same options (sample-rasters/city.toml), and every
   property of the priority layer (priority.geojson) equals the CLI's priority.csv row;
3. shadegap:shade on an 8 m x 4 m block 10 m high at one winter noon: the raster equals the
   CLI's for the same options, and every cell whose shadow is not within 0.75 m of an edge
   is in shadow exactly where the hand geometry (a ray towards the sun from the cell's
   centre meets the block below its roof) says so; the roof is in the sun;
4. shadegap:run on a project whose canopy raster is missing fails with the CLI's own one-line
   error and writes nothing.

Usage: test_qgis_provider.py SHADEGAP_BINARY SOURCE_DIR. Exit 77 (skipped) only where
qgis_process is not installed.
"""

import csv
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile

SKIP = 77


def fail(message):
    print('FAIL: ' + message, file=sys.stderr)
    sys.exit(1)


def find_qgis_process():
    # Debian 12's /usr/bin/qgis_process wrapper passes --noversioncheck (from
    # /etc/default/qgis), which qgis_process 3.22 rejects; the program itself is
    # qgis_process.bin beside it.
    for name in ('qgis_process.bin', 'qgis_process'):
        found = shutil.which(name)
        if found:
            return found
    return None


def main():
    if len(sys.argv) != 3:
        fail('usage: test_qgis_provider.py SHADEGAP_BINARY SOURCE_DIR')
    shadegap, source = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    qgis_process = find_qgis_process()
    if qgis_process is None:
        print('SKIP: qgis_process is not installed (Debian packages qgis python3-qgis '
              'qgis-providers; scripts/install-deps installs them)')
        return SKIP
    from osgeo import gdal, osr  # python3-gdal (gdal-bin and python3-qgis-common need it)
    gdal.UseExceptions()

    work = tempfile.mkdtemp(prefix='shadegap-qgis-')
    try:
        home = os.path.join(work, 'home')
        os.makedirs(home, mode=0o700)
        env = dict(os.environ)
        env.update({
            'HOME': home, 'XDG_RUNTIME_DIR': home,
            'XDG_DATA_HOME': os.path.join(home, 'data'),
            'XDG_CONFIG_HOME': os.path.join(home, 'config'),
            'XDG_CACHE_HOME': os.path.join(home, 'cache'),
            'QT_QPA_PLATFORM': 'offscreen',
            'QGIS_PLUGINPATH': os.path.join(source, 'qgis'),
            'SHADEGAP_EXE': shadegap,
            'OMP_NUM_THREADS': '1',
            # QGIS computes statistics of the rasters it loads; none go beside the sample's.
            'GDAL_PAM_ENABLED': 'NO',
        })
        env.pop('PYTHONPATH', None)
        env.pop('PYTHONHOME', None)

        def qgis(*args, expect_ok=True):
            proc = subprocess.run([qgis_process] + list(args), env=env, cwd=work,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  text=True, timeout=240)
            if expect_ok and proc.returncode != 0:
                fail('qgis_process {} exited with {}:\n{}\n{}'.format(
                    ' '.join(args[:3]), proc.returncode, proc.stdout[-3000:],
                    proc.stderr[-3000:]))
            return proc

        def cli(*args):
            proc = subprocess.run([shadegap] + list(args), cwd=work, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True, timeout=240)
            return proc

        # 1. Enable the plugin in the temporary profile.
        enabled = qgis('plugins', 'enable', 'shadegap_processing')
        if '* shadegap_processing' not in enabled.stdout:
            fail('plugins enable did not list shadegap_processing as enabled:\n'
                 + enabled.stdout)

        # 2. run on the sample city.
        sample = os.path.join(source, 'sample-rasters')
        cli_out = os.path.join(work, 'cli-run')
        got = cli('run', os.path.join(sample, 'city.toml'), '--out', cli_out, '--quiet')
        if got.returncode != 0:
            fail('shadegap run on the sample city failed: ' + got.stderr)
        qgis_out = os.path.join(work, 'qgis-run')
        proc = qgis('--json', 'run', 'shadegap:run', '--',
                    'CANOPY=' + os.path.join(sample, 'landcover.tif'),
                    'CANOPY_KIND=classes=1', 'WATER_CLASSES=4',
                    'UNITS=' + os.path.join(sample, 'blocks.gpkg'), 'UNIT_ID=GEOID',
                    'JOIN=' + os.path.join(sample, 'acs.csv'), 'JOIN_KEY=GEOID',
                    'NEIGHBOURHOODS=' + os.path.join(sample, 'neighbourhoods.gpkg'),
                    'NEIGHBOURHOOD_ID=nbhd_id', 'NEIGHBOURHOOD_NAME=name',
                    'MODEL=tree-equity', 'BUILDING_CLASSES=5', 'WALKABLE_CLASSES=2,3,6',
                    'THREADS=2', 'OUTPUT=' + qgis_out)
        results = json.loads(proc.stdout)['results']
        if results.get('OUTPUT') != qgis_out:
            fail('OUTPUT is {!r}, expected {!r}'.format(results.get('OUTPUT'), qgis_out))
        if results.get('PRIORITY') != os.path.join(qgis_out, 'priority.geojson'):
            fail('PRIORITY output is {!r}'.format(results.get('PRIORITY')))
        with open(os.path.join(cli_out, 'priority.csv'), 'rb') as f:
            cli_csv = f.read()
        with open(results['PRIORITY_CSV'], 'rb') as f:
            qgis_csv = f.read()
        if cli_csv != qgis_csv:
            fail('priority.csv from QGIS differs from the CLI\'s for the same options')
        rows = list(csv.DictReader(open(os.path.join(cli_out, 'priority.csv'), newline='')))
        features = json.load(open(results['PRIORITY']))['features']
        if len(rows) != 8 or len(features) != len(rows):
            fail('{} CSV rows and {} features; the sample city has 8 neighbourhoods'
                 .format(len(rows), len(features)))
        for row, feature in zip(rows, features):
            props = feature['properties']
            for key, text in row.items():
                value = props.get(key)
                if text == '':
                    ok = value is None
                else:
                    try:
                        number = float(text)
                    except ValueError:
                        ok = value == text
                    else:
                        ok = (isinstance(value, (int, float)) and
                              abs(value - number) <= 1e-12 * max(1.0, abs(number)))
                if not ok:
                    fail('priority layer {} {}: {!r}, CLI priority.csv says {!r}'
                         .format(row['id'], key, value, text))
        print('run: priority.csv identical to the CLI\'s, {} features x {} properties equal'
              .format(len(features), len(rows[0])))

        # 3. shade: a block 8 m x 4 m, 10 m high, on a 40 x 40 grid of 1 m cells (UTM 18N).
        size, height, x0, y0 = 40, 10.0, 400000.0, 4300000.0
        block = (16, 24, 26, 30)  # columns 16-23, rows 26-29
        heights = os.path.join(work, 'heights.tif')
        ds = gdal.GetDriverByName('GTiff').Create(heights, size, size, 1, gdal.GDT_Float32)
        ds.SetGeoTransform((x0, 1.0, 0.0, y0 + size, 0.0, -1.0))
        srs = osr.SpatialReference()
        srs.ImportFromEPSG(32618)
        ds.SetProjection(srs.ExportToWkt())
        values = [[height if block[0] <= c < block[1] and block[2] <= r < block[3] else 0.0
                   for c in range(size)] for r in range(size)]
        import array
        band = ds.GetRasterBand(1)
        band.WriteRaster(0, 0, size, size,
                         array.array('f', [v for line in values for v in line]).tobytes())
        ds = None
        options = ['--date', '2026-12-21', '--time', '12:00', '--tz', '-05:00']
        cli_shade = os.path.join(work, 'cli-shade.tif')
        got = cli('shade', '--buildings', heights, *options, '--out', cli_shade, '--quiet')
        if got.returncode != 0:
            fail('shadegap shade failed: ' + got.stderr)
        qgis_shade = os.path.join(work, 'qgis-shade.tif')
        proc = qgis('run', 'shadegap:shade', '--', 'BUILDINGS=' + heights,
                    'DATE=2026-12-21', 'TIME=12:00', 'TZ=-05:00', 'OUTPUT=' + qgis_shade)
        if 'OUTPUT:\t' + qgis_shade not in proc.stdout:
            fail('shadegap:shade did not report its OUTPUT:\n' + proc.stdout)

        def read(path):
            d = gdal.Open(path)
            data = d.GetRasterBand(1).ReadRaster()
            return list(array.array('f', data))

        mine, theirs = read(qgis_shade), read(cli_shade)
        if mine != theirs:
            fail('the shade raster from QGIS differs from the CLI\'s for the same options')
        manifest = json.load(open(os.path.splitext(qgis_shade)[0] + '.json'))
        instant = [i for i in manifest['instants'] if i['used']]
        if len(instant) != 1:
            fail('expected one instant with the sun up, got {}'.format(len(instant)))
        azimuth = math.radians(instant[0]['grid_azimuth_deg'])
        slope = math.tan(math.radians(instant[0]['elevation_deg']))
        toward_sun = (math.sin(azimuth), math.cos(azimuth))  # (east, north)
        xmin, xmax = x0 + block[0], x0 + block[1]
        ymax, ymin = y0 + size - block[2], y0 + size - block[3]

        def shaded(x, y):
            """A ray from ground point (x, y) towards the sun meets the block below its roof."""
            t_in, t_out = 0.0, math.inf
            for p, d, lo, hi in ((x, toward_sun[0], xmin, xmax), (y, toward_sun[1], ymin, ymax)):
                if abs(d) < 1e-12:
                    if not lo <= p <= hi:
                        return False
                    continue
                a, b = (lo - p) / d, (hi - p) / d
                t_in, t_out = max(t_in, min(a, b)), min(t_out, max(a, b))
            return t_in <= t_out and t_in * slope < height

        checked = in_shadow = 0
        for r in range(size):
            for c in range(size):
                value = mine[r * size + c]
                if block[0] <= c < block[1] and block[2] <= r < block[3]:
                    if value != 0.0:
                        fail('roof cell row {} col {}: shade {}, expected 0'.format(r, c, value))
                    continue
                cx, cy = x0 + c + 0.5, y0 + size - r - 0.5
                verdicts = {shaded(cx + dx, cy + dy)
                            for dx, dy in ((0, 0), (-.75, 0), (.75, 0), (0, -.75), (0, .75))}
                if len(verdicts) != 1:
                    continue  # the shadow's edge crosses the cell
                expected = 1.0 if verdicts.pop() else 0.0
                checked += 1
                in_shadow += expected == 1.0
                if value != expected:
                    fail('cell row {} col {}: shade {}, the hand geometry says {}'
                         .format(r, c, value, expected))
        length = height / slope
        if in_shadow < 80 or checked < size * size * 0.8:
            fail('too few cells checked ({}, {} in shadow)'.format(checked, in_shadow))
        print('shade: equal to the CLI\'s; {} cells match the hand geometry ({} in the shadow, '
              '{:.1f} m long at elevation {:.2f} deg)'.format(
                  checked, in_shadow, length, instant[0]['elevation_deg']))

        # 4. A missing canopy raster: the CLI's one-line error, nothing written.
        project = os.path.join(work, 'bad.toml')
        with open(project, 'w') as f:
            f.write('canopy = "{}"\n'.format(os.path.join(work, 'missing.tif')))
            with open(os.path.join(sample, 'city.toml')) as city:
                for line in city:
                    key = line.split('=')[0].strip()
                    if key in ('units', 'join', 'neighbourhoods'):
                        value = os.path.join(sample, line.split('"')[1])
                        f.write('{} = "{}"\n'.format(key, value))
                    elif key != 'canopy':
                        f.write(line)
        bad_out = os.path.join(work, 'cli-bad')
        got = cli('run', project, '--out', bad_out)
        errors = [l for l in got.stderr.splitlines() if l.startswith('shadegap: error: ')]
        if got.returncode != 1 or len(errors) != 1 or 'missing.tif' not in errors[0]:
            fail('the CLI did not fail on a missing canopy raster as expected: ' + got.stderr)
        qgis_bad = os.path.join(work, 'qgis-bad')
        proc = qgis('run', 'shadegap:run', '--', 'PROJECT=' + project, 'OUTPUT=' + qgis_bad,
                    expect_ok=False)
        if proc.returncode == 0:
            fail('shadegap:run succeeded with a missing canopy raster')
        said = proc.stdout + proc.stderr
        if errors[0] not in said:
            fail('qgis_process did not report the CLI\'s error {!r}:\n{}'.format(errors[0], said))
        if os.path.exists(os.path.join(qgis_bad, 'priority.geojson')):
            fail('a failed run left priority.geojson')
        print('bad input: Processing error ' + errors[0])

        # 5. In this process (PyQGIS, no qgis_process): progress from the program's bar, the
        # executable's lookup, and cancellation, which stops the program with SIGTERM.
        sys.path.insert(0, os.path.join(source, 'qgis'))
        from qgis.core import QgsProcessingException, QgsProcessingFeedback
        from shadegap_processing import cli as plugin_cli
        progress, stages = [], []

        class Recorder(QgsProcessingFeedback):
            def setProgressText(self, text):  # noqa: N802 (QGIS API)
                stages.append(text)

        feedback = Recorder()
        feedback.progressChanged.connect(progress.append)
        plugin_cli.run(shadegap, ['shade', '--buildings', heights, *options, '--out',
                                  os.path.join(work, 'progress.tif'), '--progress'], feedback)
        if not progress or progress[-1] != 100.0 or progress != sorted(progress) \
                or 'shadows' not in stages:
            fail('progress {} with stages {}: expected a rise to 100 through "shadows"'
                 .format(progress, stages))
        os.environ[plugin_cli.ENV_EXECUTABLE] = os.path.join(work, 'no-such-shadegap')
        try:
            plugin_cli.find_executable(None)
            fail('find_executable accepted a SHADEGAP_EXE that names no file')
        except QgsProcessingException as e:
            if 'no-such-shadegap' not in str(e) or 'SHADEGAP_EXE' not in str(e):
                fail('find_executable: unexpected message ' + str(e))
        if plugin_cli.find_executable(shadegap) != shadegap:
            fail('find_executable did not take the provider setting first')
        # A long shade (a summer, every 5 minutes, each instant cast), canceled after 1 s.
        feedback = QgsProcessingFeedback()
        long_out = os.path.join(work, 'canceled', 'shade.tif')
        import threading
        import time
        timer = threading.Timer(1.0, feedback.cancel)
        timer.start()
        started = time.monotonic()
        try:
            plugin_cli.run(shadegap, [
                'shade', '--buildings', os.path.join(sample, 'building_height.tif'),
                '--date', '2026-06-01..2026-08-31', '--time', '06:00-20:00', '--step', '5',
                '--sun-tolerance', '0', '--tz', 'America/New_York', '--threads', '1',
                '--out', long_out, '--progress'], feedback)
            fail('a canceled shade returned without an error')
        except QgsProcessingException as e:
            if 'interrupted by SIGTERM' not in str(e):
                fail('canceled: unexpected message ' + str(e))
        elapsed = time.monotonic() - started
        if elapsed > 30 or os.path.exists(long_out):
            fail('canceled shade took {:.1f} s or left {}'.format(elapsed, long_out))
        print('progress {} steps to 100 %; cancel stopped shade after {:.1f} s, nothing written'
              .format(len(progress), elapsed))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == '__main__':
    sys.exit(main())
