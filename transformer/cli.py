"""What every command (train, translate, evaluate, tools.backprop_graph) does
with a mistake: one line on stderr starting ``error:``, exit code 2, no
traceback. An OS error while writing names the file: ``error: cannot write
X: <reason>``. A closed pipe (``... | head``) ends the command quietly."""
from __future__ import annotations

import contextlib
import errno
import os
import sys

import nn

EXIT_USAGE = 2
EXIT_BROKEN_PIPE = 141          # 128 + SIGPIPE, what a shell reports for `yes | head`


class CommandError(Exception):
    """A mistake of the user's, said in one line."""


# The errors a user can cause: bad values, files that are not checkpoints,
# devices that are not there. Anything else is a bug and keeps its traceback.
USER_ERRORS = (CommandError, ValueError, RuntimeError, nn.CheckpointError, nn.StateDictError)


def reason(e: OSError) -> str:
    """What went wrong, in the OS's words. A folder that cannot be made
    because a file holds its name is "Not a directory", as for a path below
    a file (not "File exists")."""
    if isinstance(e, FileExistsError):
        return os.strerror(errno.ENOTDIR)
    return e.strerror or str(e)


@contextlib.contextmanager
def writing(path, intact=False):
    """OS errors inside become ``cannot write PATH: <reason>``, adding that
    the previous file is intact when ``intact`` (an atomic save over it)."""
    try:
        yield
    except BrokenPipeError:
        raise
    except OSError as e:
        note = " (the previous checkpoint is intact)" if intact else ""
        raise CommandError(f"cannot write {path}: {reason(e)}{note}") from None


def run_command(body, *args) -> int:
    """``body(*args)``'s exit code, or 2 after one line for a user's mistake."""
    try:
        return body(*args)
    except BrokenPipeError:
        _silence_stdout()
        return EXIT_BROKEN_PIPE
    except USER_ERRORS as e:
        return _error(str(e))
    except OSError as e:
        return _error(f"{e.filename}: {reason(e)}" if e.filename else str(e))


def _error(message) -> int:
    print(f"error: {message}", file=sys.stderr)
    return EXIT_USAGE


def _silence_stdout():
    """Point stdout at /dev/null, so that Python's flush at exit does not
    report the closed pipe again (the Python docs' recipe)."""
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, fd)
    os.close(devnull)
