# SPDX-License-Identifier: MIT
"""Finding and running the shadegap program for the Processing algorithms.

The program prints nothing useful on stdout for run, shade, plan and walks; on stderr it
prints warnings (`shadegap: warning: ...`), a progress bar redrawn in place with carriage
returns (`  overlay    [#########          ]  30%`, drawn with --progress), one summary
line, and on failure one error line (`shadegap: error: FILE: problem (hint: ...)`). This
module turns those into Processing feedback and a QgsProcessingException.
"""

import os
import queue
import re
import shlex
import shutil
import signal
import subprocess
import threading

from qgis.core import QgsProcessingException

SETTING_EXECUTABLE = 'SHADEGAP_EXECUTABLE'
ENV_EXECUTABLE = 'SHADEGAP_EXE'
ERROR_PREFIX = 'shadegap: error: '
WARNING_PREFIX = 'shadegap: warning: '
_PROGRESS = re.compile(r'^(\S+)\s+\[[# ]*\]\s+(\d+)%$')
_SEPARATORS = re.compile(rb'[\r\n]')

# After SIGTERM the program stops at its next progress report and removes its temporary
# files; it is killed if it has not ended after this many seconds.
TERMINATE_GRACE_S = 10.0


def find_executable(setting_value=None):
    """The shadegap program: the provider setting, else $SHADEGAP_EXE, else `shadegap` on
    the PATH. A setting or variable that names no executable file is an error (it is never
    passed over silently)."""
    for origin, value in (('the provider setting "shadegap executable"', setting_value),
                          ('the environment variable ' + ENV_EXECUTABLE,
                           os.environ.get(ENV_EXECUTABLE))):
        if value:
            if os.path.isfile(value) and os.access(value, os.X_OK):
                return value
            found = shutil.which(value)
            if found:
                return found
            raise QgsProcessingException(
                '{}: {} names no executable file (hint: give the path of the shadegap program)'
                .format(value, origin))
    found = shutil.which('shadegap')
    if found:
        return found
    raise QgsProcessingException(
        'shadegap: program not found on the PATH (hint: install shadegap, or set its path '
        'under Processing > Options > Providers > shadegap, or in the environment variable '
        + ENV_EXECUTABLE + ')')


def _pump(stream, name, events):
    """Reads a pipe to its end and queues its lines; a line ends at CR or LF (the progress
    bar is redrawn with CR). Bytes are decoded per line, so UTF-8 is never split."""
    pending = b''
    while True:
        chunk = stream.read1(65536) if hasattr(stream, 'read1') else stream.read(65536)
        if not chunk:
            break
        pending += chunk
        parts = _SEPARATORS.split(pending)
        pending = parts.pop()
        for part in parts:
            events.put((name, part.decode('utf-8', 'replace')))
    if pending:
        events.put((name, pending.decode('utf-8', 'replace')))
    events.put((name, None))


def _stop(proc):
    try:
        if hasattr(signal, 'SIGTERM') and os.name != 'nt':
            proc.send_signal(signal.SIGTERM)
        else:
            proc.terminate()
        proc.wait(TERMINATE_GRACE_S)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    except OSError:
        pass


def run(executable, args, feedback):
    """Runs `executable args...`, reporting progress, warnings and the summary to feedback.

    Returns the lines printed on stdout and the other lines of stderr that are not
    progress, warnings or errors: the summary (check's verdict). Raises
    QgsProcessingException with the program's error line when it fails, and when the
    user cancels (the program is sent SIGTERM, which removes its temporary outputs)."""
    command = [executable] + [str(a) for a in args]
    if feedback is not None:
        feedback.pushCommandInfo(' '.join(shlex.quote(a) for a in command))
    creation = {}
    if os.name == 'nt':
        creation['creationflags'] = getattr(subprocess, 'CREATE_NO_WINDOW', 0)
    proc = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, **creation)
    events = queue.Queue()
    readers = [threading.Thread(target=_pump, args=(proc.stdout, 'out', events), daemon=True),
               threading.Thread(target=_pump, args=(proc.stderr, 'err', events), daemon=True)]
    for reader in readers:
        reader.start()
    open_streams = 2
    stdout_lines, errors, others = [], [], []
    canceled = False
    stage = None
    while open_streams:
        if feedback is not None and feedback.isCanceled() and not canceled:
            canceled = True
            feedback.pushInfo('Canceled: stopping shadegap (SIGTERM)')
            threading.Thread(target=_stop, args=(proc,), daemon=True).start()
        try:
            name, line = events.get(timeout=0.1)
        except queue.Empty:
            continue
        if line is None:
            open_streams -= 1
            continue
        text = line.strip()
        if not text:
            continue
        if name == 'out':
            stdout_lines.append(text)
            if feedback is not None:
                feedback.pushConsoleInfo(text)
            continue
        progress = _PROGRESS.match(text)
        if progress:
            if feedback is not None:
                if progress.group(1) != stage:
                    stage = progress.group(1)
                    feedback.setProgressText(stage)
                feedback.setProgress(float(progress.group(2)))
        elif text.startswith(ERROR_PREFIX):
            errors.append(text)
        elif text.startswith(WARNING_PREFIX):
            if feedback is not None:
                if hasattr(feedback, 'pushWarning'):
                    feedback.pushWarning(text)
                else:
                    feedback.reportError(text, False)
        else:
            others.append(text)
            if feedback is not None:
                feedback.pushInfo(text)
    for reader in readers:
        reader.join()
    proc.stdout.close()
    proc.stderr.close()
    status = proc.wait()
    if status != 0:
        if errors:
            message = errors[-1]
        elif others:
            message = others[-1]
        else:
            message = 'shadegap: error: {} exited with status {}'.format(executable, status)
        if canceled and not errors:
            message = 'shadegap: canceled; no output was written'
        raise QgsProcessingException(message)
    return stdout_lines + others
