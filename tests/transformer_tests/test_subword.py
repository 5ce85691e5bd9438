"""Subword vocabularies (SentencePiece): deterministic and quiet training,
cased text in and out, no <unk> for unseen words, the model inside the
checkpoint and the run folder, joint or separate vocabularies, shared
embeddings, and the errors of sizes that do not fit."""
import base64
import os
import stat

import pytest

import nn
from transformer import checkpoint, evaluate, translate
from transformer.subword import SubwordTokenizer
from transformer.tokenizer import SPECIALS, Vocab

from .helpers import TINY_RUN, text_corpus, run_train

UNSEEN = "A xylophonist with a Zylinder played 漢字 near the river."


@pytest.fixture(scope="module")
def sentences(tmp_path_factory):
    src, tgt = text_corpus(tmp_path_factory.mktemp("text"))
    return open(src).read().splitlines() + open(tgt).read().splitlines()


def test_training_is_deterministic_and_quiet(sentences, capfd):
    for model_type in ("bpe", "unigram"):
        a = SubwordTokenizer.train(sentences, model_type, vocab_size=320, seed=1)
        b = SubwordTokenizer.train(sentences, model_type, vocab_size=320, seed=1)
        assert a.model == b.model and a == b                      # the same bytes
    captured = capfd.readouterr()                                 # SentencePiece's C++ log
    assert captured.err == "" and captured.out == ""


def test_cased_text_round_trips_and_an_unseen_word_becomes_known_pieces(sentences):
    tok = SubwordTokenizer.train(sentences, "bpe", vocab_size=320)
    vocab = tok.vocab()
    assert vocab.tokens[:4] == SPECIALS and len(vocab) == 320
    pieces = tok.tokenize(UNSEEN)
    assert all(p in vocab for p in pieces) and Vocab.unk_id not in vocab.encode(pieces)
    assert "<0xE6>" in pieces                                     # 漢: UTF-8 bytes (fallback)
    assert tok.detokenize(pieces) == UNSEEN                       # cased, exact
    assert tok.detokenize(tok.tokenize("The  big dog,  he said!")) == "The big dog, he said!"
    some = tok.tokenize("A big dog")
    assert tok.detokenize(some[:1] + ["<unk>"] + some[1:]) == "A big dog"   # never shown


def test_the_model_round_trips_as_plain_values(sentences):
    tok = SubwordTokenizer.train(sentences, "unigram", vocab_size=300, lowercase=True)
    d = tok.to_dict()
    assert (d["type"], d["model_type"], d["lowercase"]) == ("sentencepiece", "unigram", True)
    assert base64.b64decode(d["model"]) == tok.model
    again = SubwordTokenizer.from_dict(d)
    assert again == tok and again.tokenize("The Dog") == tok.tokenize("the dog")
    with pytest.raises(ValueError, match="not base64"):
        SubwordTokenizer.from_dict({**d, "model": "%%%"})
    with pytest.raises(ValueError, match="not a SentencePiece model"):
        SubwordTokenizer.from_dict({**d, "model": base64.b64encode(b"junk").decode()})


def test_sizes_that_do_not_fit_the_text_are_named(sentences):
    with pytest.raises(ValueError, match=r"^--vocab-size 100 is too small for this training "
                                         r"text: .* need at least \d+$"):
        SubwordTokenizer.train(sentences, "bpe", vocab_size=100)
    with pytest.raises(ValueError, match=r"^--vocab-size 9000 is too large for this training "
                                         r"text \(600 sentences\): at most \d+ pieces"):
        SubwordTokenizer.train(sentences, "bpe", vocab_size=9000)
    soft = SubwordTokenizer.train(sentences, "bpe", vocab_size=9000, exact=False)
    assert 300 < len(soft.vocab()) < 9000                         # the default: at most


@pytest.fixture(scope="module")
def subword_run(tmp_path_factory):
    """A corpus run on its default joint BPE (given a size), shared embeddings."""
    folder = tmp_path_factory.mktemp("subword")
    files = text_corpus(folder / "text")
    run = folder / "run"
    old = os.umask(0o022)
    try:
        import transformer.train as train
        assert train.main(["--train", *files, "--valid", *files, "--vocab-size", "320",
                           "--share-embeddings", "--max-steps", "3", "--max-tokens", "600",
                           "--quiet", "--out", str(run)]) == 0
    finally:
        os.umask(old)
    return run


def test_the_run_folder_and_checkpoint_hold_the_model(subword_run):
    state = checkpoint.load_run(subword_run, prefer=checkpoint.LAST)
    parts = checkpoint.model_parts(state)
    assert isinstance(parts.src_tokenizer, SubwordTokenizer) and parts.src_tokenizer == \
        parts.tgt_tokenizer                                        # one joint model
    model_file = subword_run / "sentencepiece.model"
    assert model_file.read_bytes() == parts.src_tokenizer.model
    assert stat.S_IMODE(model_file.stat().st_mode) == 0o644
    config = parts.config
    assert config.share_embeddings and config.src_vocab_size == config.tgt_vocab_size == 320
    assert "decoder.embed.token.weight" in state["model"]
    assert (state["model"]["decoder.embed.token.weight"].numpy() ==
            state["model"]["encoder.embed.token.weight"].numpy()).all()   # one matrix
    bad = dict(state)
    bad["tgt_vocab"] = {"tokens": SPECIALS + [f"t{i}" for i in range(316)]}
    with pytest.raises(nn.CheckpointError, match="entry tgt_vocab is not the vocabulary of "
                                                 "entry tgt_tokenizer's SentencePiece model"):
        checkpoint.model_parts(bad)


def test_translate_and_evaluate_need_nothing_but_the_checkpoint(subword_run, tmp_path, capsys):
    moved = tmp_path / "only.npz"                     # away from the run folder and its model
    moved.write_bytes((subword_run / "last.npz").read_bytes())
    assert translate.main(["--checkpoint", str(moved), UNSEEN, "Two cats slept."]) == 0
    lines = capsys.readouterr().out.split("\n")
    assert len(lines) == 3 and lines[0] and lines[1]              # each translated
    assert not any(mark in "".join(lines) for mark in ("<unk>", "⁇", "▁"))
    (src, ref) = (tmp_path / "s.txt", tmp_path / "r.txt")
    src.write_text(UNSEEN + "\n")
    ref.write_text("Ein Xylophonist.\n")
    assert evaluate.main(["--checkpoint", str(moved), "--src", str(src), "--ref", str(ref)]) == 0
    out = capsys.readouterr().out
    assert "case:mixed" in out and "chrF" in out                  # cased sacreBLEU


def test_separate_vocabularies_and_the_settings_that_need_a_joint_one(tmp_path, capsys):
    files = text_corpus(tmp_path / "text")
    run = tmp_path / "run"
    rc, out, _ = run_train(["--train", *files, "--valid", *files, "--vocab-size", "300",
                            "--separate-vocabularies", "--subword", "unigram", "--max-steps", "1",
                            "--max-tokens", "600", "--quiet", "--out", str(run)], capsys)
    assert rc == 0 and "unigram vocabularies of 300 source and 300 target pieces" in out
    assert {"sentencepiece.src.model", "sentencepiece.tgt.model"} <= set(os.listdir(run))
    for flags, message in (
            (["--separate-vocabularies", "--share-embeddings"], "--share-embeddings needs one "
             "vocabulary for both sides"),
            (["--subword", "none", "--share-embeddings"], "--share-embeddings needs one"),
            (["--min-freq", "2"], "--min-freq applies to word vocabularies (--subword none)"),
            (["--subword", "none", "--separate-vocabularies"], "--separate-vocabularies applies "
             "to subword vocabularies"),
            (["--vocab-size", "50"], "--vocab-size 50 is too small for this training text")):
        out_dir = tmp_path / "refused"
        rc, _, err = run_train(["--train", *files, "--valid", *files, *flags, "--out",
                                str(out_dir)], capsys)
        assert rc == 2 and err.startswith("error: ") and message in err, err
        assert not out_dir.exists()


def test_word_vocabularies_stay_for_the_tasks_and_can_be_capped(tmp_path, capsys, no_plots):
    files = text_corpus(tmp_path / "text")
    rc, out, _ = run_train(["--train", *files, "--valid", *files, "--subword", "none",
                            "--vocab-size", "20", "--max-steps", "1", "--quiet", "--out",
                            str(tmp_path / "words")], capsys)
    assert rc == 0 and "source vocabulary 20 words, target vocabulary 20 words" in out
    rc, out, _ = run_train(TINY_RUN + ["--max-steps", "1", "--out", str(tmp_path / "task")],
                           capsys)
    assert rc == 0 and "source vocabulary 20 words" in out        # copy: 16 symbols + specials
