# SPDX-License-Identifier: MIT
"""CTest: python3 -m shadegap.dask on a LocalCluster of 2 worker processes writes the outputs
of one `shadegap run`, byte for byte (run.json but its timings and output folder).

Usage: run_local_cluster.py SHADEGAP_EXE SAMPLE_DIR PYTHON_PACKAGE_DIR
Exit 77 (skipped) only when Dask distributed is not installed.
"""

import json
import os
import socket
import subprocess
import sys
import tempfile

try:
    import distributed  # noqa: F401
except ImportError:
    print("skipped: Dask distributed is not installed (Debian: python3-distributed)")
    sys.exit(77)


def comparable(folder):
    """Every output's bytes, run.json without timings_s and with output names only."""
    files = {}
    for name in sorted(os.listdir(folder)):
        with open(os.path.join(folder, name), "rb") as file:
            data = file.read()
        if name == "run.json":
            run = json.loads(data)
            del run["timings_s"]
            run["outputs"] = [os.path.basename(path) for path in run["outputs"]]
            data = json.dumps(run, indent=2, sort_keys=True).encode()
        files[name] = data
    return files


def main():
    exe, sample, package = (os.path.abspath(arg) for arg in sys.argv[1:4])
    options = [os.path.join(sample, "city.toml"), "--equity-group", "black=black",
               "--equity-group", "white=white", "--threads", "1"]
    with tempfile.TemporaryDirectory(prefix="shadegap-dask-test-") as scratch:
        one = os.path.join(scratch, "one")
        subprocess.run([exe, "run", *options, "--out", one, "--quiet"], check=True)
        merged = os.path.join(scratch, "merged")
        env = dict(os.environ, SHADEGAP_EXE=exe,
                   PYTHONPATH=os.pathsep.join(filter(None, [package, os.environ.get("PYTHONPATH")])))
        done = subprocess.run([sys.executable, "-m", "shadegap.dask", "--workers", "2", "--shards", "3",
                               *options, "--out", merged], env=env, cwd=scratch,
                              capture_output=True, text=True, check=False)
        print(done.stderr, end="")
        if done.returncode != 0:
            print(f"FAIL: python3 -m shadegap.dask exited with {done.returncode}")
            return 1
        shard_lines = [line for line in done.stderr.splitlines() if line.startswith("shadegap.dask: shard ")]
        if len(shard_lines) != 3:
            print(f"FAIL: expected a report line for each of 3 shards, got {len(shard_lines)}")
            return 1
        expected, actual = comparable(one), comparable(merged)
        if sorted(expected) != sorted(actual):
            print(f"FAIL: outputs differ: one run wrote {sorted(expected)}, dask wrote {sorted(actual)}")
            return 1
        differing = [name for name in expected if expected[name] != actual[name]]
        if differing:
            print(f"FAIL: not byte for byte the one run's: {differing}")
            return 1

        # A wrong field: the check on a worker fails before any shard, with check's one line,
        # exit status 1, no output and no shard report.
        failed = os.path.join(scratch, "failed")
        done = subprocess.run([sys.executable, "-m", "shadegap.dask", "--workers", "2", "--shards", "2",
                               os.path.join(sample, "city.toml"), "--unit-id", "NO_SUCH_FIELD",
                               "--out", failed], env=env, cwd=scratch, capture_output=True, text=True,
                              check=False)
        lines = done.stderr.strip().splitlines()
        if (done.returncode != 1 or len(lines) != 1 or not lines[0].startswith("shadegap.dask: error: ")
                or "field 'NO_SUCH_FIELD' not found" not in lines[0] or "before the shards" not in lines[0]
                or os.path.exists(failed)):
            print(f"FAIL: a wrong field gave exit {done.returncode}, stderr {done.stderr!r}")
            return 1

        # A shard that fails after the check passed (its output folder cannot be made on the
        # worker: SHADEGAP_EXE is a wrapper that fails for --shard runs only): the shard's line.
        wrapper = os.path.join(scratch, "fail-shards.sh")
        with open(wrapper, "w") as file:
            file.write("#!/bin/sh\ncase \"$*\" in *--shard*) echo 'shadegap: error: disk full' >&2; exit 1;; esac\n"
                       f"exec '{exe}' \"$@\"\n")
        os.chmod(wrapper, 0o755)
        done = subprocess.run([sys.executable, "-m", "shadegap.dask", "--workers", "2", "--shards", "2",
                               os.path.join(sample, "city.toml"), "--out", failed],
                              env=dict(env, SHADEGAP_EXE=wrapper), cwd=scratch, capture_output=True, text=True,
                              check=False)
        lines = done.stderr.strip().splitlines()
        if (done.returncode != 1 or len(lines) != 1 or not lines[0].startswith("shadegap.dask: error: shard ")
                or not lines[0].endswith(": disk full") or os.path.exists(failed)):
            print(f"FAIL: a failing shard gave exit {done.returncode}, stderr {done.stderr!r}")
            return 1

        # A scheduler nobody listens on: one line naming it, exit status 1, no output.
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        done = subprocess.run([sys.executable, "-m", "shadegap.dask", "--scheduler", f"tcp://127.0.0.1:{port}",
                               os.path.join(sample, "city.toml"), "--out", failed],
                              env=dict(env, DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT="2s"), cwd=scratch,
                              capture_output=True, text=True, check=False)
        lines = done.stderr.strip().splitlines()
        if (done.returncode != 1 or len(lines) != 1
                or not lines[0].startswith(f"shadegap.dask: error: --scheduler tcp://127.0.0.1:{port}: cannot connect")
                or os.path.exists(failed)):
            print(f"FAIL: an unreachable scheduler gave exit {done.returncode}, stderr {done.stderr!r}")
            return 1
    print(f"ok: 3 shards on 2 workers, {len(expected)} outputs identical to one run")
    return 0


if __name__ == "__main__":
    sys.exit(main())
