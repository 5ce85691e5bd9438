"""Every error path of transformer, reached the way a user would reach it:
model inputs, decoding, configs, vocabularies, checkpoints, corpora and the
commands; each message names the culprit (argument, value, file, line)."""
import errno
import os
import re
import threading
from dataclasses import asdict

import numpy as np
import pytest

import autograd as ag
import nn
import transformer as T
from autograd import backend
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
    with pytest.raises(ValueError, match=r"^--schedule must be one of noam, cosine, "
                                         r"constant, got 'linear'$"):
        TrainSettings(schedule="linear")
    with pytest.raises(ValueError, match=r"^--model must be one of base, small, tiny, "
                                         r"got 'huge'$"):
        TrainSettings(model="huge")
    with pytest.raises(ValueError, match=r"^--subword must be one of bpe, unigram, none, "
                                         r"got 'wordpiece'$"):
        TrainSettings(subword="wordpiece")
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
    with pytest.raises(ValueError, match=r"^run/last.npz: --schedule must be"):
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


# -- every number checked before anything is written ---------------------------------------

TINY = ["--task", "copy", "--task-size", "40", "--eval-size", "4", "--max-tokens", "200",
        "--max-steps", "1"]


@pytest.mark.parametrize("args,message", [
    (["--lr", "-1"], "--lr must be a positive number, got -1"),
    (["--lr", "0"], "--lr must be a positive number, got 0"),
    (["--lr", "nan"], "--lr must be a positive number, got nan"),
    (["--clip-norm", "-1"], "--clip-norm must be a positive number or 0 (no clipping), got -1"),
    (["--warmup", "-5"], "--warmup must be at least 0, got -5"),
    (["--warmup", "0", "--schedule", "noam"],
     "--warmup must be at least 1 with the noam schedule, got 0"),
    (["--log-every", "0"], "--log-every must be at least 1, got 0"),
    (["--epochs", "0"], "--epochs must be at least 1, got 0"),
    (["--eval-limit", "-1"], "--eval-limit must be at least 0, got -1"),
    (["--label-smoothing", "1"], "--label-smoothing must be in [0, 1), got 1"),
    (["--label-smoothing", "-0.1"], "--label-smoothing must be in [0, 1), got -0.1"),
    (["--seed", "-1"], "--seed must be at least 0, got -1"),
    (["--dropout", "1.5"], "--dropout must be in [0, 1), got 1.5"),
    (["--max-tokens", "0"], "--max-tokens must be at least 1, got 0"),
    (["--save-every", "-1"], "--save-every must be at least 0, got -1"),
])
def test_every_training_number_is_checked_before_anything_is_written(tmp_path, capsys, args,
                                                                     message):
    _fails(TINY + args, capsys, rf"^error: {re.escape(message)}$", tmp_path / "run")


@pytest.mark.parametrize("command,args,message", [
    ("translate", ["--beam", "0"], "--beam must be at least 1, got 0"),
    ("translate", ["--alpha", "nan"], "--alpha must be a finite number, got nan"),
    ("evaluate", ["--beam", "-2"], "--beam must be at least 1, got -2"),
    ("evaluate", ["--batch-size", "0"], "--batch-size must be at least 1, got 0"),
    ("evaluate", ["--limit", "-1"], "--limit must be at least 0, got -1"),
    ("evaluate", ["--alpha", "inf"], "--alpha must be a finite number, got inf"),
])
def test_every_decoding_number_is_checked(run_checkpoint, tmp_path, capsys, command, args,
                                          message):
    src = _corpus(tmp_path, "src.txt", ["w0 w1"])
    main, rest = ((translate.main, ["w0 w1"]) if command == "translate" else
                  (evaluate.main, ["--src", src, "--ref", src]))
    assert main(["--checkpoint", str(run_checkpoint), *args, *rest]) == 2
    captured = capsys.readouterr()
    assert captured.err == f"error: {message}\n" and captured.out == ""


# -- every OS error is one line --------------------------------------------------------------

def test_an_out_that_is_a_file_or_below_one_is_named(tmp_path, capsys):
    a_file = tmp_path / "taken"
    a_file.write_text("x")
    rc = train.main(TINY + ["--quiet", "--out", str(a_file)])
    assert rc == 2 and capsys.readouterr().err == \
        f"error: cannot write {a_file}: it is a file, not a folder\n"
    rc = train.main(TINY + ["--quiet", "--out", str(a_file / "run")])
    assert rc == 2 and capsys.readouterr().err == \
        f"error: cannot write {a_file / 'run'}: Not a directory\n"


def test_an_out_that_cannot_be_made_names_the_reason(tmp_path, capsys, monkeypatch):
    def denied(path, *args, **kwargs):
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), path)
    monkeypatch.setattr(os, "makedirs", denied)                # as a user without the rights
    out = tmp_path / "locked" / "run"
    assert train.main(TINY + ["--quiet", "--out", str(out)]) == 2
    assert capsys.readouterr().err == f"error: cannot write {out}: Permission denied\n"


def test_a_full_disk_names_the_checkpoint_and_says_the_previous_one_is_intact(
        tmp_path, capsys, monkeypatch, no_plots):
    real, saves = backend.save_npz, []

    def filling_up(f, arrays):
        saves.append(1)
        if len(saves) == 2:
            f.write(b"PK\x03\x04 half")
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real(f, arrays)
    monkeypatch.setattr(backend, "save_npz", filling_up)
    run = tmp_path / "run"
    rc = train.main(TINY[:-2] + ["--quiet", "--save-every", "1", "--out", str(run)])
    assert rc == 2
    assert capsys.readouterr().err == (f"error: cannot write {run / 'last.npz'}: No space left "
                                       "on device (the previous checkpoint is intact)\n")
    monkeypatch.undo()
    assert checkpoint.load_run(run, prefer=checkpoint.LAST)["progress"]["step"] == 1
    assert not [n for n in os.listdir(run) if n.endswith(".tmp")]


def test_attention_pictures_into_a_file_are_named(run_checkpoint, tmp_path, capsys):
    a_file = tmp_path / "pics"
    a_file.write_text("x")
    assert translate.main(["--checkpoint", str(run_checkpoint), "--attention", str(a_file),
                           "w0 w1"]) == 2
    assert capsys.readouterr().err == \
        f"error: cannot write {a_file}: Not a directory\n"


def test_a_fifo_or_a_device_given_as_a_checkpoint_is_refused_and_never_waited_on(tmp_path,
                                                                                  capsys):
    fifo = tmp_path / "last.npz"
    os.mkfifo(fifo)
    codes = []
    worker = threading.Thread(target=lambda: codes.append(
        translate.main(["--checkpoint", str(fifo), "w0"])), daemon=True)
    worker.start()
    worker.join(20)
    if worker.is_alive():                     # opened for reading: unblock it, then fail
        with open(fifo, "wb"):
            pass
        worker.join(5)
        pytest.fail("translate waited on a FIFO given as its checkpoint")
    assert codes == [2]
    assert capsys.readouterr().err == f"error: {fifo}: not a regular file (a FIFO)\n"
    assert translate.main(["--checkpoint", "/dev/zero", "w0"]) == 2
    assert capsys.readouterr().err == "error: /dev/zero: not a regular file (a device)\n"


# -- a checkpoint validated as a whole ---------------------------------------------------------

def _broken_checkpoint(run_checkpoint, tmp_path, change):
    state = dict(nn.load(run_checkpoint))
    change(state)
    path = tmp_path / "broken.npz"
    nn.save(state, path)
    return path


@pytest.mark.parametrize("change,message", [
    (lambda s: s.pop("src_vocab"), ": missing entries ['src_vocab']"),
    (lambda s: s.update(config={**s["config"], "d_model": "8"}),
     ": entry config: TransformerConfig: d_model must be of type int, got '8'"),
    (lambda s: s.update(config={**s["config"], "dropout": True}),
     ": entry config: TransformerConfig: dropout must be of type float, got True"),
    (lambda s: s.update(tgt_tokenizer={"type": "bpe"}),
     ": entry tgt_tokenizer: WordTokenizer.from_dict: expected a dict with type 'word', got "
     "{'type': 'bpe'}"),
    (lambda s: s.update(src_vocab={"tokens": s["src_vocab"]["tokens"][:-1]}),
     ": entry src_vocab has 10 tokens, but the model's src_vocab_size is 11"),
])
def test_a_checkpoint_is_checked_as_a_whole_and_each_failure_names_the_entry(
        run_checkpoint, tmp_path, capsys, change, message):
    path = _broken_checkpoint(run_checkpoint, tmp_path, change)
    src = _corpus(tmp_path, "src.txt", ["w0 w1"])
    assert translate.main(["--checkpoint", str(path), "w0"]) == 2
    assert capsys.readouterr().err == f"error: {path}{message}\n"
    assert evaluate.main(["--checkpoint", str(path), "--src", src, "--ref", src]) == 2
    assert capsys.readouterr().err == f"error: {path}{message}\n"


def test_resuming_from_a_checkpoint_without_its_training_entries_names_them(run_checkpoint,
                                                                            capsys):
    rc = train.main(["--resume", str(run_checkpoint)])
    assert rc == 2 and capsys.readouterr().err == (
        f"error: {run_checkpoint}: missing entries ['settings', 'optimizer', 'schedule', 'rng', "
        "'progress']\n")


# -- inputs and outputs line up ----------------------------------------------------------------

def test_evaluate_on_an_empty_source_says_there_is_nothing_to_score(run_checkpoint, tmp_path,
                                                                    capsys):
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    assert evaluate.main(["--checkpoint", str(run_checkpoint), "--src", str(empty),
                          "--ref", str(empty)]) == 2
    assert capsys.readouterr().err == f"error: {empty}: no sentences to score\n"


def test_sources_longer_than_the_model_are_reported_not_silently_cut(run_checkpoint, tmp_path,
                                                                     capsys):
    long_line = " ".join(["w1"] * 20)                   # max_len 16: 15 source tokens + <eos>
    warning = ("warning: 1 of 2 source sentences are longer than the model's 15 source tokens; "
               "only their first 15 tokens are translated\n")
    assert translate.main(["--checkpoint", str(run_checkpoint), long_line, "w0"]) == 0
    assert capsys.readouterr().err == warning
    src = _corpus(tmp_path, "src.txt", [long_line, "w0"])
    assert evaluate.main(["--checkpoint", str(run_checkpoint), "--src", src, "--ref", src]) == 0
    assert capsys.readouterr().err == warning
