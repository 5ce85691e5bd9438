"""Reading real parallel corpora: aligned text files or one tab-separated file.

    corpus = read_parallel("train.de.gz", "train.en.gz")   # line N <-> line N
    corpus = read_tsv("pairs.tsv")                           # source<TAB>target
    corpus.pairs, corpus.skipped_empty

Files are UTF-8, plain or gzip (recognised by their first bytes, whatever
their name), one sentence a line; "\\n" ends a line and surrounding white
space (a "\\r" included) is stripped. A pair with an empty side is skipped and
counted. Every problem is a ``CorpusError`` whose one-line message names the
file, and the line where there is one.
"""
from __future__ import annotations

import gzip
import os
import zlib
from dataclasses import dataclass

_GZIP_MAGIC = b"\x1f\x8b"


class CorpusError(ValueError):
    """A corpus file that cannot be read as asked; the message names the file."""


@dataclass
class Corpus:
    pairs: list[tuple[str, str]]
    skipped_empty: int               # line pairs where either side is empty (skipped and counted)


def _read_bytes(path) -> bytes:
    path = os.fspath(path)
    try:
        with open(path, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        raise CorpusError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise CorpusError(f"{path}: is a directory, not a file") from None
    except OSError as e:
        raise CorpusError(f"{path}: cannot read: {e.strerror or e}") from None
    if data.startswith(_GZIP_MAGIC):
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as e:
            raise CorpusError(f"{path}: not a readable gzip file: {e}") from None
    return data


def read_lines(path, strip: bool = True) -> list[str]:
    """The lines of a UTF-8 text file (plain or gzip), stripped of white space
    (only of a trailing "\\r" when not ``strip``)."""
    data = _read_bytes(path)
    raw = data.split(b"\n")
    if raw and raw[-1] == b"":           # a final newline ends the last line
        raw.pop()
    lines = []
    for n, line in enumerate(raw, 1):
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError as e:
            raise CorpusError(f"{os.fspath(path)}: line {n}: bytes that are not UTF-8 "
                              f"({line[e.start:e.end]!r} at byte {e.start} of the line)") from None
        if n == 1:
            text = text.removeprefix("\ufeff")   # a byte-order mark is not text
        lines.append(text.strip() if strip else text.removesuffix("\r"))
    return lines


def _pairs(sources, targets) -> Corpus:
    pairs, skipped = [], 0
    for s, t in zip(sources, targets):
        if s and t:
            pairs.append((s, t))
        else:
            skipped += 1
    return Corpus(pairs=pairs, skipped_empty=skipped)


def read_parallel(src_path, tgt_path) -> Corpus:
    """Line-aligned source and target files."""
    sources, targets = read_lines(src_path), read_lines(tgt_path)
    if len(sources) != len(targets):
        raise CorpusError(f"line counts differ: {os.fspath(src_path)} has {len(sources)} lines, "
                          f"{os.fspath(tgt_path)} has {len(targets)}")
    return _pairs(sources, targets)


def read_tsv(path) -> Corpus:
    """One "source<TAB>target" pair a line; a wholly empty line counts as skipped."""
    sources, targets = [], []
    for n, line in enumerate(read_lines(path, strip=False), 1):
        if not line.strip():
            sources.append("")
            targets.append("")
            continue
        fields = line.split("\t")
        if len(fields) != 2:
            raise CorpusError(f"{os.fspath(path)}: line {n}: expected one tab between source and "
                              f"target, found {len(fields) - 1}")
        sources.append(fields[0].strip())
        targets.append(fields[1].strip())
    return _pairs(sources, targets)
