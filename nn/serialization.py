"""Save and load nested dicts of tensors and plain values as .npz, without
pickle, atomically, with a format version and per-array checksums.

A file holds one ``__meta__`` entry (JSON: format name and version, the tree
of dicts/lists/values with references to arrays, a SHA-256 per array) and
one entry per array. It is written atomically (``nn.atomic``): a crash
leaves either the old file or the new one, never half of one. Loading
checks that the path is a regular zip file before reading it, and inflates
only the entries the metadata names.
"""
from __future__ import annotations

import hashlib
import json
import os
import stat
import zipfile

import autograd as ag
from autograd import backend

from .atomic import atomic_write

FORMAT = "gradformer"
VERSION = 1
ZIP_MAGIC = b"PK\x03\x04"           # every .npz (a zip file) starts with it
MAX_META_BYTES = 64 << 20            # far above any real metadata; refuses a zip bomb


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
    # A file object: np.savez adds no ".npz".
    atomic_write(path, lambda f: backend.save_npz(f, entries))


def load(path, device=None):
    """Read what ``save`` wrote; arrays come back as tensors on ``device``
    (default cpu). Only the entries the metadata names are inflated. Errors
    name the file and what is wrong with it."""
    path = os.fspath(path)
    _check_regular_file(path)
    try:
        with zipfile.ZipFile(path) as z:
            meta = _check_meta(path, _read_meta(path, z))
            unknown = sorted(set(z.namelist()) - {"__meta__.npy"} -
                             {f"{key}.npy" for key in meta["sha256"]})
            if unknown:
                raise CheckpointError(f"{path}: unknown entries {unknown} (not named by its "
                                      "metadata)")
            entries = {key: _read_array(path, z, key, digest)
                       for key, digest in meta["sha256"].items()}
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as e:
        if isinstance(e, CheckpointError):
            raise
        raise CheckpointError(f"{path}: not a readable {FORMAT} file (truncated or corrupted?): "
                              f"{type(e).__name__}: {e}") from None
    try:
        return _decode(meta["tree"], entries, device, path)
    except (KeyError, TypeError, AttributeError) as e:
        raise CheckpointError(f"{path}: corrupted metadata (the tree does not fit the arrays: "
                              f"{type(e).__name__}: {e})") from None


_FILE_KINDS = ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO"),
               (stat.S_ISCHR, "a device"), (stat.S_ISBLK, "a device"),
               (stat.S_ISSOCK, "a socket"))


def _check_regular_file(path):
    """Refuse what is not a regular .npz file before opening it (opening a
    FIFO would wait for a writer forever)."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        raise FileNotFoundError(f"{path}: no such file") from None
    if not stat.S_ISREG(mode):
        kind = next((name for test, name in _FILE_KINDS if test(mode)), "not a file")
        raise CheckpointError(f"{path}: not a regular file ({kind})")
    with open(path, "rb") as f:
        if f.read(4) != ZIP_MAGIC:
            raise CheckpointError(f"{path}: not a {FORMAT} checkpoint (not an .npz file)")


def _read_entry(z, name):
    """One array entry of the open .npz ``z``, read by the backend's reader
    without inflating any other entry."""
    with z.open(name) as f:
        return backend.read_npy(f)


def _read_meta(path, z):
    if "__meta__.npy" not in z.namelist():
        raise CheckpointError(f"{path}: not a {FORMAT} file (no __meta__ entry)")
    if z.getinfo("__meta__.npy").file_size > MAX_META_BYTES:
        raise CheckpointError(f"{path}: corrupted metadata (larger than {MAX_META_BYTES} bytes)")
    try:
        return json.loads(str(_read_entry(z, "__meta__.npy")))
    except ValueError as e:
        raise CheckpointError(f"{path}: corrupted metadata: {e}") from None


def _check_meta(path, meta):
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
    return meta


def _read_array(path, z, key, digest):
    if f"{key}.npy" not in z.namelist():
        raise CheckpointError(f"{path}: array {key} is missing (truncated file?)")
    array = _read_entry(z, f"{key}.npy")
    if hashlib.sha256(backend.array_bytes(array)).hexdigest() != digest:
        raise CheckpointError(f"{path}: array {key} is corrupted (checksum mismatch)")
    return array


def _encode(obj, arrays, where):
    if isinstance(obj, ag.Tensor) or backend.is_array(obj):
        data = obj.data if isinstance(obj, ag.Tensor) else obj
        if data.dtype.hasobject:
            raise TypeError(f"save: cannot store an array of dtype object at {where or 'top'} "
                            "(it would need pickle)")
        key = f"a{len(arrays)}"
        arrays[key] = data
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
