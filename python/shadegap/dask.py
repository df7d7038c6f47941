# SPDX-License-Identifier: MIT
"""Run shadegap on Dask distributed: the census units in N shards, one `shadegap run
--shard I/N` per shard on the workers, then `shadegap merge` on the client.

    python3 -m shadegap.dask [--scheduler ADDRESS] [--workers N] [--shards N]
                             PROJECT.toml --out DIR [run options]

Without --scheduler a LocalCluster of --workers processes (one thread each) runs the
shards. Workers run the shadegap program (the environment variable SHADEGAP_EXE, else
`shadegap` on PATH) in a subprocess: they need the program and the inputs' GDAL paths,
not this package's compiled extension. Only paths and options go to the workers, and only
the shards' sums (a few hundred bytes per census unit) come back; pixels never cross the
network. The outputs are those of `shadegap run PROJECT.toml --out DIR`, byte for byte
(run.json but its timings). See docs/scale.md.
"""

import argparse
import logging
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

SHARD_FILES = ("shard.json", "sums.tsv")


class ShadegapError(RuntimeError):
    """The shadegap program failed; the message is its one-line error."""


def shadegap_exe():
    """The shadegap program: $SHADEGAP_EXE, else `shadegap` on PATH."""
    exe = os.environ.get("SHADEGAP_EXE") or shutil.which("shadegap")
    if not exe:
        raise ShadegapError(
            "shadegap: no program found: set SHADEGAP_EXE or put shadegap on PATH (on every worker)"
        )
    return exe


def _worker_threads():
    """The threads of the Dask worker this runs on (1 outside a worker)."""
    try:
        from distributed import get_worker

        worker = get_worker()
        state = getattr(worker, "state", None)
        return max(1, int(state.nthreads if state is not None else worker.nthreads))
    except (ImportError, ValueError, AttributeError):
        return 1


def _one_line(stderr, status):
    """The program's one-line error without its "shadegap: error: " prefix."""
    lines = [line for line in stderr.splitlines() if line.strip()]
    if not lines:
        return f"exit status {status}"
    line = lines[-1]
    prefix = "shadegap: error: "
    return line[len(prefix):] if line.startswith(prefix) else line


def check_project(project, run_args, cwd):
    """On a worker: `shadegap check PROJECT [run options]`, so that a wrong file, field or
    option fails once, in seconds, before any shard is measured (the worker sees the inputs
    as the shards will). Returns the worker's host name; raises ShadegapError."""
    exe = shadegap_exe()
    with tempfile.TemporaryDirectory(prefix="shadegap-check-") as scratch:
        command = [exe, "check", project, *run_args, "--out", os.path.join(scratch, "out"), "--quiet"]
        done = subprocess.run(command, capture_output=True, text=True,
                              cwd=cwd if cwd and os.path.isdir(cwd) else None, check=False)
    if done.returncode != 0:
        raise ShadegapError(f"{_one_line(done.stderr, done.returncode)} (checked on {socket.gethostname()} "
                            "before the shards)")
    return socket.gethostname()


def measure_shard(project, run_args, index, count, cwd, threads=None):
    """On a worker: `shadegap run PROJECT --shard INDEX/COUNT` into a temporary folder.

    Returns {"index", "files": {name: bytes}, "seconds", "host"}; the folder is removed.
    Relative paths resolve in `cwd` (the client's working folder) when the worker has it.
    """
    exe = shadegap_exe()
    threads = threads if threads is not None else _worker_threads()
    with tempfile.TemporaryDirectory(prefix="shadegap-shard-") as scratch:
        out = os.path.join(scratch, "shard")
        command = [exe, "run", project, *run_args, "--shard", f"{index}/{count}", "--out", out,
                   "--threads", str(threads), "--quiet"]
        started = time.monotonic()
        done = subprocess.run(command, capture_output=True, text=True,
                              cwd=cwd if cwd and os.path.isdir(cwd) else None, check=False)
        seconds = time.monotonic() - started
        if done.returncode != 0:
            raise ShadegapError(f"shard {index}/{count} (on {socket.gethostname()}): "
                                f"{_one_line(done.stderr, done.returncode)}")
        files = {}
        for name in SHARD_FILES:
            with open(os.path.join(out, name), "rb") as file:
                files[name] = file.read()
    return {"index": index, "files": files, "seconds": seconds, "host": socket.gethostname()}


def run(project, out, run_args=(), scheduler=None, workers=None, shards=None, threads=None,
        overwrite=False, quiet=False, log=sys.stderr):
    """Measures the shards on Dask and merges them into `out`; returns the shards' reports.

    scheduler: a scheduler address, or None for a LocalCluster of `workers` processes.
    shards: the number of shares (default: the workers' total threads).
    threads: threads of each shard's run (default: the worker's threads).
    Raises ShadegapError with the program's one-line message when a shard or the merge fails.
    """
    from distributed import Client, LocalCluster

    run_args = list(run_args)
    cluster = None
    if scheduler:
        try:
            client = Client(scheduler)
        except (OSError, TimeoutError) as error:
            raise ShadegapError(f"--scheduler {scheduler}: cannot connect to the Dask scheduler: "
                                f"{' '.join(str(error).split())}") from None
    else:
        workers = workers or os.cpu_count() or 1
        # A failed shard is reported once, here; the workers' own log lines would repeat it.
        cluster = LocalCluster(n_workers=workers, processes=True, threads_per_worker=1,
                               dashboard_address=None, silence_logs=logging.CRITICAL)
        client = Client(cluster)
    try:
        if not shards:
            shards = max(1, sum(client.nthreads().values()))
        cwd = os.getcwd()
        client.submit(check_project, project, run_args, cwd, pure=False).result()
        futures = client.map(measure_shard, [project] * shards, [run_args] * shards,
                             range(1, shards + 1), [shards] * shards, [cwd] * shards,
                             [threads] * shards, pure=False)
        reports = client.gather(futures)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()

    exe = shadegap_exe()
    with tempfile.TemporaryDirectory(prefix="shadegap-merge-") as scratch:
        folders = []
        for report in sorted(reports, key=lambda r: r["index"]):
            folder = os.path.join(scratch, str(report["index"]))
            os.makedirs(folder)
            for name, data in report["files"].items():
                with open(os.path.join(folder, name), "wb") as file:
                    file.write(data)
            folders.append(folder)
        command = [exe, "merge", *folders, "--out", out]
        if overwrite:
            command.append("--overwrite")
        if threads is not None:
            command += ["--threads", str(threads)]
        if quiet:
            command.append("--quiet")
        started = time.monotonic()
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        merge_seconds = time.monotonic() - started
    if done.returncode != 0:
        raise ShadegapError(f"merge: {_one_line(done.stderr, done.returncode)}")
    if not quiet:
        for report in sorted(reports, key=lambda r: r["index"]):
            size = sum(len(data) for data in report["files"].values())
            print(f"shadegap.dask: shard {report['index']}/{shards} on {report['host']}: "
                  f"{report['seconds']:.2f} s, {size} bytes of sums", file=log)
        print(f"shadegap.dask: merge: {merge_seconds:.2f} s", file=log)
        log.write(done.stderr)
    return reports


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python3 -m shadegap.dask",
        description="Run shadegap on Dask distributed: shards on the workers, the merge here. "
                    "Options it does not know go to shadegap run (e.g. --equity-group black=B).")
    parser.add_argument("project", metavar="PROJECT.toml", help="the project file of shadegap run")
    parser.add_argument("--out", required=True, metavar="DIR", help="output folder of the merged run")
    parser.add_argument("--scheduler", metavar="ADDRESS",
                        help="Dask scheduler address (tcp://host:8786); default: a LocalCluster")
    parser.add_argument("--workers", type=int, metavar="N",
                        help="worker processes of the LocalCluster (default: the cores); "
                             "ignored with --scheduler")
    parser.add_argument("--shards", type=int, metavar="N",
                        help="shares of the census units (default: the workers' threads)")
    parser.add_argument("--threads", type=int, metavar="N",
                        help="threads of each shard's run and of the merge (default: the worker's threads)")
    parser.add_argument("--overwrite", action="store_true", help="replace outputs in --out")
    parser.add_argument("-q", "--quiet", action="store_true", help="print nothing but errors")
    args, run_args = parser.parse_known_args(argv)
    for name in ("workers", "shards", "threads"):
        value = getattr(args, name)
        if value is not None and value < (0 if name == "threads" else 1):
            parser.error(f"--{name}: expected a whole number of at least {0 if name == 'threads' else 1}, got {value}")
    try:
        import distributed  # noqa: F401
    except ImportError:
        print("shadegap.dask: error: Dask distributed is not installed (Debian: apt install python3-distributed)",
              file=sys.stderr)
        return 1
    try:
        run(args.project, args.out, run_args, scheduler=args.scheduler, workers=args.workers,
            shards=args.shards, threads=args.threads, overwrite=args.overwrite, quiet=args.quiet)
    except ShadegapError as error:
        print(f"shadegap.dask: error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    # Through the package's name, so that the workers unpickle shadegap.dask.measure_shard.
    from shadegap.dask import main as package_main

    sys.exit(package_main())
