"""Reading parallel corpora: plain and gzip files, TSV, Multi30k, every error."""
import gzip
import pathlib
import re

import pytest

from transformer.corpus import Corpus, CorpusError, read_parallel, read_tsv

from .helpers import MULTI30K


def write(path, text, gz=False):
    data = text.encode("utf-8") if isinstance(text, str) else text
    if gz:
        data = gzip.compress(data, mtime=0)
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("gz", [False, True])
def test_read_parallel_plain_and_gzip(tmp_path, gz):
    src = write(tmp_path / "a.de", "Ein Hund .\n  Zwei Katzen  \r\nDrei\n", gz)
    tgt = write(tmp_path / "a.en", "A dog .\nTwo cats\nThree", gz)      # no final newline
    corpus = read_parallel(src, tgt)
    assert corpus == Corpus(pairs=[("Ein Hund .", "A dog ."), ("Zwei Katzen", "Two cats"),
                                   ("Drei", "Three")], skipped_empty=0)


def test_gzip_is_recognised_by_content_not_name(tmp_path):
    src = write(tmp_path / "src.txt", "eins\nzwei\n", gz=True)
    tgt = write(tmp_path / "tgt.gz", "one\ntwo\n")          # plain text despite the name
    assert read_parallel(str(src), str(tgt)).pairs == [("eins", "one"), ("zwei", "two")]


def test_empty_lines_are_skipped_and_counted(tmp_path):
    src = write(tmp_path / "s", "a\n\nc\n   \ne\n")
    tgt = write(tmp_path / "t", "A\nB\n\nD\nE\n")
    corpus = read_parallel(src, tgt)
    assert corpus.pairs == [("a", "A"), ("e", "E")]
    assert corpus.skipped_empty == 3


def test_byte_order_mark_is_dropped(tmp_path):
    src = write(tmp_path / "s", "\ufeffa\nb\n")
    tgt = write(tmp_path / "t", "A\nB\n")
    assert read_parallel(src, tgt).pairs[0] == ("a", "A")


def test_missing_file_is_named(tmp_path):
    tgt = write(tmp_path / "t", "A\n")
    missing = tmp_path / "nope.de"
    with pytest.raises(CorpusError, match=f"^{re.escape(str(missing))}: no such file$"):
        read_parallel(missing, tgt)
    with pytest.raises(CorpusError, match="no such file"):
        read_tsv(tmp_path / "nope.tsv")
    with pytest.raises(CorpusError, match="is a directory"):
        read_tsv(tmp_path)


def test_line_counts_that_differ_name_both_files_and_counts(tmp_path):
    src = write(tmp_path / "s.de", "a\nb\nc\n")
    tgt = write(tmp_path / "t.en", "A\nB\n", gz=True)
    with pytest.raises(CorpusError) as e:
        read_parallel(src, tgt)
    message = str(e.value)
    assert message == f"line counts differ: {src} has 3 lines, {tgt} has 2"
    assert "\n" not in message


@pytest.mark.parametrize("gz", [False, True])
def test_bytes_that_are_not_utf8_name_file_and_line(tmp_path, gz):
    src = write(tmp_path / "s", "a\nb\n".encode() + "café".encode("latin-1") + b"\nd\n", gz)
    tgt = write(tmp_path / "t", "A\nB\nC\nD\n")
    with pytest.raises(CorpusError, match=rf"^{re.escape(str(src))}: line 3: bytes that are "
                                          r"not UTF-8 \(b'\\xe9' at byte 3 of the line\)$"):
        read_parallel(src, tgt)


def test_corrupt_gzip_names_the_file(tmp_path):
    src = write(tmp_path / "s.gz", gzip.compress(b"a\nb\n")[:12])
    with pytest.raises(CorpusError, match=rf"^{re.escape(str(src))}: not a readable gzip file"):
        read_parallel(src, src)


@pytest.mark.parametrize("gz", [False, True])
def test_read_tsv(tmp_path, gz):
    path = write(tmp_path / "p.tsv", "Hallo Welt\tHello world\r\n\nnur\t\n\tonly\n x \t y \n", gz)
    corpus = read_tsv(path)
    assert corpus.pairs == [("Hallo Welt", "Hello world"), ("x", "y")]
    assert corpus.skipped_empty == 3


@pytest.mark.parametrize("line, tabs", [("no tab here", 0), ("a\tb\tc", 2)])
def test_tsv_line_without_exactly_one_tab(tmp_path, line, tabs):
    path = write(tmp_path / "p.tsv", f"a\tb\n{line}\n")
    with pytest.raises(CorpusError, match=rf"^{re.escape(str(path))}: line 2: expected one tab "
                                          rf"between source and target, found {tabs}$"):
        read_tsv(path)


def test_multi30k_validation_split():
    if not MULTI30K.is_dir():
        pytest.skip(f"Multi30k not found at {MULTI30K} (set MULTI30K to its folder)")
    corpus = read_parallel(MULTI30K / "val.de.gz", MULTI30K / "val.en.gz")
    assert len(corpus.pairs) == 1014 and corpus.skipped_empty == 0
    de, en = corpus.pairs[0]
    assert de == "Eine Gruppe von Männern lädt Baumwolle auf einen Lastwagen"
    assert en.startswith("A group of men")
