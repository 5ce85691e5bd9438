"""Every error path of transformer, reached the way a user would reach it:
model inputs, decoding, configs, vocabularies, checkpoints, corpora and the
commands; each message names the culprit (argument, value, file, line)."""
import re
from dataclasses import asdict

import numpy as np
import pytest

import autograd as ag
import nn
import transformer as T
from transformer import checkpoint, evaluate, train, translate
from transformer.corpus import CorpusError, read_parallel, read_tsv
from transformer.metrics import exact_match
from transformer.settings import TrainSettings
from transformer.tokenizer import BOS, EOS, PAD, UNK, Vocab, WordTokenizer

from .helpers import micro_config, model

SPECIALS = [PAD, BOS, EOS, UNK]


@pytest.fixture(scope="module")
def m():
    return model(micro_config(max_len=8), dtype=ag.float32)


def i64(*shape):
    return ag.ones(*shape, dtype=ag.int64)


# -- model inputs -----------------------------------------------------------------------

@pytest.mark.parametrize("src,pattern", [
    ([[1, 2, 3], [1]], r"^src: cannot make a tensor from this list: .*inhomogeneous"),
    ([["a", "b"]], r"^src: cannot make a tensor from data of type <U1 \(list\)"),
    (np.ones((1, 3)), r"^src: expected integer token ids, got float64$"),
    (ag.ones(1, 3) > 0, r"^src: expected integer token ids, got bool$"),
    (ag.zeros(1, 0, dtype=ag.int64), r"^src: expected at least one token per sequence, got "
                                     r"shape \(1, 0\)$"),
    (i64(1, 3, 1), r"^src: expected token ids of shape \(batch, length\), got shape "
                   r"\(1, 3, 1\)$"),
    ([[0, 1, -1]], r"^src: token id -1 is outside the vocabulary range \[0, 10\]$"),
])
def test_bad_source_ids_are_named(m, src, pattern):
    with pytest.raises((TypeError, ValueError), match=pattern):
        m(src, i64(1, 2))


def test_bad_target_ids_are_named(m):
    with pytest.raises(ValueError, match=r"^tgt_in: length 9 exceeds the model's max_len 8$"):
        m(i64(1, 3), i64(1, 9))
    with pytest.raises(ValueError, match=r"^tgt_in: token id 13 is outside the vocabulary "
                                         r"range \[0, 12\]$"):
        m(i64(1, 3), [[1, 13]])
    with pytest.raises(ValueError, match=r"^tgt_in: expected at least one token"):
        m(i64(1, 3), ag.zeros(1, 0, dtype=ag.int64))


def test_token_ids_out_of_vocabulary(m):
    with pytest.raises(ValueError, match=r"src: token id 11 is outside the vocabulary range \[0, 10\]"):
        m(ag.tensor([[1, 11]]), ag.tensor([[1, 2]]))
    with pytest.raises(ValueError, match=r"tgt_in: token id -1"):
        m(ag.tensor([[1, 2]]), ag.tensor([[1, -1]]))


def test_sequence_longer_than_max_len(m):
    with pytest.raises(ValueError, match="src: length 9 exceeds the model's max_len 8"):
        m(ag.ones(1, 9, dtype=ag.int64), ag.ones(1, 2, dtype=ag.int64))


def test_wrong_dtype_or_rank(m):
    with pytest.raises(TypeError, match="src: expected integer token ids, got float32"):
        m(ag.ones(1, 3), ag.ones(1, 2, dtype=ag.int64))
    with pytest.raises(ValueError, match=r"tgt_in: expected token ids of shape \(batch, length\)"):
        m(ag.ones(1, 3, dtype=ag.int64), ag.ones(2, dtype=ag.int64))


def test_mismatched_batch_sizes(m):
    with pytest.raises(ValueError, match="tgt_in: batch size 3 does not match the source batch size 2"):
        m(ag.ones(2, 3, dtype=ag.int64), ag.ones(3, 2, dtype=ag.int64))


@pytest.mark.parametrize("decode", [T.greedy_decode, T.beam_search])
def test_decoding_checks_the_source_as_the_model_does(m, decode):
    with pytest.raises(TypeError, match=r"^src: expected integer token ids, got float32$"):
        decode(m, ag.ones(1, 3), 1, 2)
    with pytest.raises(ValueError, match=r"^src: expected token ids of shape \(batch, length\), "
                                         r"got shape \(3,\)$"):
        decode(m, i64(3), 1, 2)


def test_decoding_from_a_bos_outside_the_vocabulary_names_it(m):
    with pytest.raises(ValueError, match=r"^tgt_in: token id 99 is outside the vocabulary"):
        T.greedy_decode(m, i64(1, 3), 99, 2)


@pytest.mark.parametrize("size", [0, -2])
def test_beam_size_below_one_is_named(m, size):
    with pytest.raises(ValueError, match=rf"^beam_search: beam_size must be at least 1, "
                                         rf"got {size}$"):
        T.beam_search(m, i64(1, 3), 1, 2, beam_size=size)


def test_attention_inputs_of_the_wrong_rank_or_width_are_named():
    mha = T.MultiHeadAttention(8, 2)
    x = ag.ones(1, 3, 8)
    with pytest.raises(ValueError, match=r"^MultiHeadAttention: expected query of shape "
                                         r"\(batch, length, d_model\), got shape \(3, 8\)$"):
        mha(ag.ones(3, 8), x, x)
    with pytest.raises(ValueError, match=r"expected value of shape .* got shape \(1, 1, 3, 8\)"):
        mha(x, x, ag.ones(1, 1, 3, 8))
    with pytest.raises(ag.OpError, match=r"linear: input of shape \(1, 3, 6\) does not fit a "
                                         r"weight of shape \(8, 8\)"):
        mha(ag.ones(1, 3, 6), x, x)


def test_attention_inside_a_model_names_its_path(m):
    layer = m.encoder.layers[0].self_attn
    with pytest.raises(ValueError, match=r"^MultiHeadAttention encoder.layers.0.self_attn: "
                                         r"expected query"):
        layer(ag.ones(3, 8), ag.ones(3, 8), ag.ones(3, 8))


# -- configs ----------------------------------------------------------------------------------

@pytest.mark.parametrize("settings,pattern", [
    (dict(d_model=10, n_heads=4), r"d_model \(10\) must be divisible by n_heads \(4\)"),
    (dict(n_heads=0), r"n_heads must be at least 1, got 0"),
    (dict(activation="tanh"), r"activation must be 'relu' or 'gelu', got 'tanh'"),
    (dict(positional="rope"), r"positional must be 'sinusoidal', 'learned' or 'none', "
                              r"got 'rope'"),
    (dict(share_embeddings=True, src_vocab_size=11, tgt_vocab_size=13),
     r"share_embeddings needs src_vocab_size == tgt_vocab_size, got 11 and 13"),
])
def test_bad_config_settings_are_named(settings, pattern):
    with pytest.raises(ValueError, match=r"^TransformerConfig: " + pattern + "$"):
        T.TransformerConfig(**settings)


def test_an_unknown_preset_or_setting_is_named():
    with pytest.raises(ValueError, match=r"^unknown model preset 'huge'; choose one of "
                                         r"\['base', 'small', 'tiny'\]$"):
        T.TransformerConfig.preset("huge")
    with pytest.raises(ValueError, match=r"^TransformerConfig: unknown settings \['dmodel'\]$"):
        T.TransformerConfig.from_dict({"dmodel": 8})


def test_multi_head_attention_with_no_heads_is_named():
    with pytest.raises(ValueError, match=r"^MultiHeadAttention: n_heads must be at least 1, "
                                         r"got 0$"):
        T.MultiHeadAttention(8, 0)


# -- tokenizer, vocabulary, metrics, batching ------------------------------------------------

def test_vocabularies_name_the_bad_token():
    with pytest.raises(ValueError, match=r"^Vocab: the first four tokens must be .*, got "
                                         r"\['a', 'b', 'c', 'd'\]$"):
        Vocab(["a", "b", "c", "d"])
    with pytest.raises(ValueError, match=r"^Vocab: token 4 is not a string: 5$"):
        Vocab(SPECIALS + [5])
    with pytest.raises(ValueError, match=r"^Vocab: token 'a' appears twice \(ids 4 and 5\)$"):
        Vocab(SPECIALS + ["a", "a"])
    with pytest.raises(ValueError, match=r"^Vocab.build: max_size must be at least 4 .*got 3$"):
        Vocab.build([["a"]], max_size=3)


def test_saved_tokenizers_and_vocabularies_of_the_wrong_form_are_named():
    with pytest.raises(ValueError, match=r"^Vocab.from_dict: expected a dict with a 'tokens' "
                                         r"list$"):
        Vocab.from_dict({"toks": SPECIALS})
    with pytest.raises(ValueError, match=r"^WordTokenizer.from_dict: expected a dict with type "
                                         r"'word', got \{'type': 'bpe'\}$"):
        WordTokenizer.from_dict({"type": "bpe"})


def test_exact_match_names_both_counts():
    with pytest.raises(ValueError, match=r"^exact_match: 2 hypotheses for 1 references$"):
        exact_match([["a"], ["b"]], [["a"]])


# -- checkpoints -----------------------------------------------------------------------------

def test_a_run_folder_without_checkpoints_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match=rf"^{re.escape(str(tmp_path))}: no checkpoint "
                                                r"\(last.npz or best.npz\) in this run folder$"):
        checkpoint.load_run(tmp_path)
    missing = tmp_path / "nope"
    with pytest.raises(FileNotFoundError, match=rf"^{re.escape(str(missing))}: no such "
                                                r"checkpoint or run folder$"):
        checkpoint.load_run(missing)


@pytest.mark.parametrize("content,found", [({"step": 1}, "None"), ([1, 2], "None"),
                                           ({"run_format": "other"}, "'other'")])
def test_a_file_that_is_not_a_run_checkpoint_is_named(tmp_path, content, found):
    path = tmp_path / "x.npz"
    nn.save(content, path)
    with pytest.raises(nn.CheckpointError, match=rf"^{re.escape(str(path))}: not a training "
                                                 rf"checkpoint of gradformer \(run_format "
                                                 rf"{found}\)$"):
        checkpoint.load_run(path)


def test_a_run_checkpoint_of_another_version_is_named(tmp_path):
    path = tmp_path / "last.npz"
    nn.save({"run_format": checkpoint.RUN_FORMAT, "run_version": 99}, path)
    with pytest.raises(nn.CheckpointError, match=rf"^{re.escape(str(path))}: checkpoint "
                                                 r"version 99, this gradformer reads version 1$"):
        checkpoint.load_run(tmp_path)


# -- training settings -----------------------------------------------------------------------

def test_training_settings_name_the_bad_value():
    with pytest.raises(ValueError, match=r"^TrainSettings: schedule must be one of noam, cosine, "
                                         r"constant, got 'linear'$"):
        TrainSettings(schedule="linear")
    with pytest.raises(ValueError, match=r"^TrainSettings: model must be one of \['base', "
                                         r"'small', 'tiny'\], got 'huge'$"):
        TrainSettings(model="huge")
    with pytest.raises(ValueError, match=r"^unknown task 'nope'; choose one of copy, reverse, "
                                         r"sort, toy-pair$"):
        TrainSettings.preset("nope")


def test_saved_training_settings_that_do_not_fit_name_the_file_and_the_fields():
    saved = asdict(TrainSettings().resolve(steps_per_epoch=3, d_model=8))
    assert TrainSettings.from_checkpoint(saved, "run/last.npz").steps_per_epoch == 3
    with pytest.raises(ValueError, match=r"^run/last.npz: the checkpoint's training settings do "
                                         r"not fit this gradformer's TrainSettings: unknown "
                                         r"fields \['colour'\]$"):
        TrainSettings.from_checkpoint({**saved, "colour": "red"}, "run/last.npz")
    with pytest.raises(ValueError, match=r"^run/last.npz: .*: missing fields \['seed'\]$"):
        TrainSettings.from_checkpoint({k: v for k, v in saved.items() if k != "seed"},
                                      "run/last.npz")
    with pytest.raises(ValueError, match=r"^run/last.npz: TrainSettings: schedule must be"):
        TrainSettings.from_checkpoint({**saved, "schedule": "linear"}, "run/last.npz")
    with pytest.raises(ValueError, match=r"^run/last.npz: the checkpoint's training settings "
                                         r"lack their derived values"):
        TrainSettings.from_checkpoint(asdict(TrainSettings()), "run/last.npz")


# -- corpora -----------------------------------------------------------------------------------

def test_a_corpus_path_that_cannot_be_read_names_it(tmp_path):
    plain = tmp_path / "plain.txt"
    plain.write_text("a\n")
    below = plain / "src.txt"                     # a file used as a folder
    with pytest.raises(CorpusError, match=rf"^{re.escape(str(below))}: cannot read: Not a "
                                          r"directory$"):
        read_parallel(below, plain)
    with pytest.raises(CorpusError, match=rf"^{re.escape(str(below))}: cannot read"):
        read_tsv(below)


# -- the commands ------------------------------------------------------------------------------

def _corpus(folder, name, lines):
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


def _fails(args, capsys, pattern, out_dir):
    """One line on stderr starting "error: " that matches ``pattern``, exit
    code 2, and no run folder left behind."""
    rc = train.main(args + ["--quiet", "--out", str(out_dir)])
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert rc == 2, err
    assert len(lines) == 1 and re.search(pattern, lines[0]), err
    assert lines[0].startswith("error: ")
    assert not out_dir.exists()


@pytest.fixture
def corpus(tmp_path):
    folder = tmp_path / "corpus"
    src = _corpus(folder, "src.txt", ["a b c", "d e"])
    tgt = _corpus(folder, "tgt.txt", ["x y", "z"])
    tsv = _corpus(folder, "pairs.tsv", ["a b\tx y", "d e\tz"])
    return src, tgt, tsv


@pytest.mark.parametrize("which", ["train", "valid", "test", "train_tsv", "valid_tsv"])
def test_the_training_command_names_a_missing_corpus_file(tmp_path, capsys, corpus, which):
    src, tgt, tsv = corpus
    missing = str(tmp_path / f"missing-{which}.txt")
    files = {"train": [src, tgt], "valid": [src, tgt], "test": [src, tgt]}
    tsvs = {"train_tsv": tsv, "valid_tsv": tsv}
    if which in files:
        files[which] = [src, missing]
    else:
        tsvs[which] = missing
    args = (["--train", *files["train"], "--valid", *files["valid"], "--test", *files["test"]]
            if which in files else ["--train-tsv", tsvs["train_tsv"],
                                    "--valid-tsv", tsvs["valid_tsv"]])
    _fails(args, capsys, rf"^error: {re.escape(missing)}: no such file$", tmp_path / "run")


def test_the_training_command_names_a_folder_given_as_a_corpus(tmp_path, capsys, corpus):
    src, tgt, _ = corpus
    _fails(["--train", str(tmp_path), tgt, "--valid", src, tgt], capsys,
           rf"^error: {re.escape(str(tmp_path))}: is a directory, not a file$", tmp_path / "run")


def test_the_training_command_with_nothing_left_to_train_on(tmp_path, capsys, corpus):
    src, tgt, _ = corpus
    _fails(["--train", src, tgt, "--valid", src, tgt, "--max-len", "2"], capsys,
           r"^error: no training pairs left \(all empty or too long\)$", tmp_path / "run")


def test_the_training_command_refuses_to_overwrite_a_run(tmp_path, capsys, corpus):
    src, tgt, _ = corpus
    out = tmp_path / "run"
    out.mkdir()
    (out / checkpoint.LAST).write_bytes(b"")
    rc = train.main(["--train", src, tgt, "--valid", src, tgt, "--quiet", "--out", str(out)])
    err = capsys.readouterr().err
    assert rc == 2
    assert re.fullmatch(rf"error: {re.escape(str(out))} already holds a run; continue it with "
                        rf"--resume {re.escape(str(out))}, or choose another --out\n", err), err


def test_the_training_command_names_a_resume_folder_without_a_checkpoint(tmp_path, capsys):
    rc = train.main(["--resume", str(tmp_path), "--quiet"])
    err = capsys.readouterr().err
    assert rc == 2 and err == f"error: {tmp_path}: no checkpoint (last.npz or best.npz) in " \
                              "this run folder\n"


@pytest.mark.parametrize("device,pattern", [
    ("tpu", r"^error: unknown device 'tpu'; known devices: \["),
    ("cpu:x", r"^error: bad device index in 'cpu:x'$"),
    ("cuda", r"^error: --device cuda: device 'cuda' is not available: "),
])
def test_the_training_command_names_a_device_it_cannot_use(tmp_path, capsys, corpus, device,
                                                           pattern):
    if device == "cuda" and ag.cuda_available():
        pytest.skip("CUDA is available here")
    src, tgt, _ = corpus
    _fails(["--train", src, tgt, "--valid", src, tgt, "--device", device], capsys, pattern,
           tmp_path / "run")


@pytest.fixture
def run_checkpoint(tmp_path):
    """A checkpoint with what translate and evaluate read (an untrained model)."""
    config = micro_config()
    vocab = lambda n: Vocab(SPECIALS + [f"w{i}" for i in range(n - 4)])   # noqa: E731
    state = {"config": config.to_dict(), "model": model(config, dtype=ag.float32).state_dict(),
             "src_tokenizer": WordTokenizer().to_dict(), "tgt_tokenizer": WordTokenizer().to_dict(),
             "src_vocab": vocab(config.src_vocab_size).to_dict(),
             "tgt_vocab": vocab(config.tgt_vocab_size).to_dict()}
    path = tmp_path / "last.npz"
    checkpoint.save_run(path, state)
    return path


def test_translate_and_evaluate_name_a_device_they_cannot_use(run_checkpoint, capsys):
    if ag.cuda_available():
        pytest.skip("CUDA is available here")
    assert translate.main(["--checkpoint", str(run_checkpoint), "w0"]) == 0
    capsys.readouterr()
    assert translate.main(["--checkpoint", str(run_checkpoint), "--device", "cuda", "w0"]) == 2
    assert capsys.readouterr().err.startswith("error: device 'cuda' is not available: ")
    assert evaluate.main(["--checkpoint", str(run_checkpoint), "--device", "cuda",
                          "--src", "x", "--ref", "y"]) == 2
    assert capsys.readouterr().err.startswith("error: device 'cuda' is not available: ")


def test_evaluate_names_a_missing_reference_file(run_checkpoint, tmp_path, capsys):
    src = _corpus(tmp_path, "src.txt", ["w0 w1"])
    missing = tmp_path / "ref.txt"
    assert evaluate.main(["--checkpoint", str(run_checkpoint), "--src", src,
                          "--ref", str(missing)]) == 2
    assert capsys.readouterr().err == f"error: {missing}: no such file\n"
