"""Atomic file writes: a temporary file in the same folder, flushed, fsynced
and renamed over the final name, so a crash leaves either the old file or
the new one, never half of one.

The temporary file is created with mode 0o666 and ``O_EXCL``, so the final
file gets the user's umask (0644 typically), not ``mkstemp``'s 0600. Its
name (``.NAME.<random>.tmp``) is recognised by ``remove_stray_temporaries``,
which clears what a killed process left behind.
"""
from __future__ import annotations

import os
import re
import secrets

_STRAY = re.compile(r"^\..+\.[0-9a-f]{16}\.tmp$")


def atomic_write(path, write, text=False):
    """Call ``write(f)`` on a new temporary file beside ``path`` (binary, or
    UTF-8 text with ``text``), then rename it to ``path``."""
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    tmp = os.path.join(folder, f".{os.path.basename(path)}.{secrets.token_hex(8)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "w" if text else "wb", **({"encoding": "utf-8"} if text else {})) as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    _fsync_folder(folder)


def write_bytes(path, data: bytes):
    """``data`` to ``path``, whole or not at all."""
    atomic_write(path, lambda f: f.write(data))


def write_text(path, text: str):
    """``text`` to ``path`` as UTF-8, whole or not at all."""
    atomic_write(path, lambda f: f.write(text), text=True)


def remove_stray_temporaries(folder) -> list[str]:
    """Delete the temporary files that killed ``atomic_write`` calls left in
    ``folder``; returns their names."""
    stray = sorted(n for n in os.listdir(folder) if _STRAY.match(n))
    for name in stray:
        os.unlink(os.path.join(folder, name))
    return stray


def _fsync_folder(folder):
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
