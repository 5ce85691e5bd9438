"""Save and load nested dicts of tensors and plain values as .npz, without
pickle, atomically, with a format version and per-array checksums.

A file holds one ``__meta__`` entry (JSON: format name and version, the tree
of dicts/lists/values with references to arrays, a SHA-256 per array) and
one entry per array. It is written to a temporary file in the same folder,
flushed, fsynced and renamed over the final name, so a crash leaves either
the old file or the new one, never half of one.
"""
from __future__ import annotations

import hashlib
import json
import os
import tempfile

import autograd as ag
from autograd import backend

FORMAT = "gradformer"
VERSION = 1


class CheckpointError(ValueError):
    """A file that cannot be loaded: names the file and the reason."""


class LoadedDict(dict):
    """A dict read from a file; ``source`` is the file's path (for errors)."""
    source: str = None


def save(obj, path):
    """Write ``obj`` (dicts, lists, tuples, tensors, arrays, numbers, strings,
    None) to ``path`` atomically."""
    arrays = {}
    tree = _encode(obj, arrays, "")
    meta = {"format": FORMAT, "version": VERSION, "tree": tree,
            "sha256": {k: hashlib.sha256(backend.array_bytes(a)).hexdigest()
                       for k, a in arrays.items()}}
    entries = {"__meta__": backend.string_array(json.dumps(meta))}
    entries.update(arrays)
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix="." + os.path.basename(path) + ".",
                               suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            backend.save_npz(f, entries)   # a file object: np.savez adds no ".npz"
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    _fsync_folder(folder)


def load(path, device=None):
    """Read what ``save`` wrote; arrays come back as tensors on ``device``
    (default cpu). Errors name the file and what is wrong with it."""
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"{path}: no such file")
    try:
        entries = backend.load_npz(path)
    except Exception as e:
        raise CheckpointError(f"{path}: not a readable {FORMAT} file (truncated or corrupted?): "
                              f"{type(e).__name__}: {e}") from None
    if "__meta__" not in entries:
        raise CheckpointError(f"{path}: not a {FORMAT} file (no __meta__ entry)")
    try:
        meta = json.loads(str(entries["__meta__"]))
    except ValueError as e:
        raise CheckpointError(f"{path}: corrupted metadata: {e}") from None
    if not isinstance(meta, dict):
        raise CheckpointError(f"{path}: corrupted metadata (a JSON {type(meta).__name__}, "
                              "not an object)")
    if meta.get("format") != FORMAT:
        raise CheckpointError(f"{path}: format {meta.get('format')!r}, expected {FORMAT!r}")
    if meta.get("version") != VERSION:
        raise CheckpointError(f"{path}: format version {meta.get('version')}, but this "
                              f"gradformer reads version {VERSION}")
    if not isinstance(meta.get("sha256"), dict) or "tree" not in meta:
        raise CheckpointError(f"{path}: corrupted metadata (no checksums or no tree)")
    for key, digest in meta["sha256"].items():
        if key not in entries:
            raise CheckpointError(f"{path}: array {key} is missing (truncated file?)")
        if hashlib.sha256(backend.array_bytes(entries[key])).hexdigest() != digest:
            raise CheckpointError(f"{path}: array {key} is corrupted (checksum mismatch)")
    try:
        return _decode(meta["tree"], entries, device, path)
    except (KeyError, TypeError, AttributeError) as e:
        raise CheckpointError(f"{path}: corrupted metadata (the tree does not fit the arrays: "
                              f"{type(e).__name__}: {e})") from None


def _encode(obj, arrays, where):
    if isinstance(obj, ag.Tensor) or backend.is_array(obj):
        key = f"a{len(arrays)}"
        arrays[key] = obj.data if isinstance(obj, ag.Tensor) else obj
        return {"array": key}
    if isinstance(obj, dict):
        items = []
        for k, v in obj.items():
            if not isinstance(k, (str, int)) or isinstance(k, bool):
                raise TypeError(f"save: dict keys must be str or int, got {k!r} at {where or 'top'}")
            items.append([k, _encode(v, arrays, f"{where}/{k}")])
        return {"dict": items}
    if isinstance(obj, (list, tuple)):
        return {"tuple" if isinstance(obj, tuple) else "list":
                [_encode(v, arrays, f"{where}/{i}") for i, v in enumerate(obj)]}
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return {"value": obj}
    if backend.is_scalar(obj):   # NumPy scalars
        return {"value": obj.item()}
    raise TypeError(f"save: cannot store a {type(obj).__name__} at {where or 'top'} "
                    "(only dicts, lists, tuples, tensors, numbers, strings and None)")


def _decode(node, entries, device, path):
    if "array" in node:
        return ag.Tensor._make(backend.asarray(entries[node["array"]], device=device))
    if "dict" in node:
        out = LoadedDict((k, _decode(v, entries, device, path)) for k, v in node["dict"])
        out.source = path
        return out
    if "list" in node:
        return [_decode(v, entries, device, path) for v in node["list"]]
    if "tuple" in node:
        return tuple(_decode(v, entries, device, path) for v in node["tuple"])
    return node["value"]


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
