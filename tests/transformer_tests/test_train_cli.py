"""The training, translation and evaluation commands: smoke runs, exact
resume, a save killed half-way, Ctrl-C, and bad input."""
import gzip
import json
import os
import signal
import subprocess
import sys
import time

import pytest

import nn
from transformer import checkpoint, evaluate, metrics, train, trainer, translate
from transformer.settings import TrainSettings

from .helpers import MULTI30K, ROOT, assert_same_run, run_train

FAST = ["--task", "copy", "--task-size", "120", "--eval-size", "8", "--max-tokens", "300",
        "--quiet", "--save-every", "0"]


_run = run_train


@pytest.fixture(scope="module")
def trained_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "copy"
    # A low peak: barely trained, its translations are never empty (the translate test).
    assert train.main(FAST + ["--epochs", "2", "--lr", "1e-4", "--out", str(out)]) == 0
    return out


def test_a_smoke_run_writes_its_run_folder(trained_run):
    names = sorted(os.listdir(trained_run))
    assert names == ["best.npz", "grad_norms.png", "last.npz", "loss.png", "metrics.jsonl",
                     "settings.json"]
    records = [json.loads(line) for line in open(trained_run / "metrics.jsonl")]
    epochs = [r for r in records if r["kind"] == "epoch"]
    assert [r["epoch"] for r in epochs] == [1, 2]
    assert {"train_loss", "valid_loss", "valid_ppl", "exact_match", "lr"} <= set(epochs[0])
    state = checkpoint.load_run(trained_run, prefer=checkpoint.LAST)
    assert state["progress"]["epoch"] == 2
    assert {"model", "optimizer", "schedule", "rng", "src_vocab", "tgt_vocab", "config",
            "settings", "src_tokenizer", "tgt_tokenizer"} <= set(state)


def test_the_checkpoint_holds_the_resolved_settings(trained_run):
    state = checkpoint.load_run(trained_run, prefer=checkpoint.LAST)
    s = TrainSettings.from_checkpoint(dict(state["settings"]), state["path"])
    assert (s.task, s.epochs, s.max_tokens, s.schedule, s.metric) == ("copy", 2, 300, "cosine",
                                                                      "exact_match")
    assert (s.warmup, s.warmup_steps) == (400, 1)          # 400 > the run's 10 steps: a tenth
    assert s.peak_lr == 1e-4 and s.schedule_steps == 10           # 2 epochs of 5 steps
    saved = json.loads((trained_run / "settings.json").read_text())["settings"]
    assert TrainSettings(**saved) == s


def test_each_task_has_its_preset_and_a_corpus_the_plain_defaults_on_subwords():
    copy = TrainSettings.preset("copy", epochs=3)
    assert (copy.task, copy.epochs, copy.max_tokens, copy.schedule, copy.lr, copy.dropout) == \
        ("copy", 3, 1024, "cosine", 1e-3, 0.0)
    toy = TrainSettings.preset("toy-pair")
    assert (toy.epochs, toy.max_tokens, toy.schedule, toy.warmup, toy.lr, toy.dropout,
            toy.subword) == (12, 4096, "noam", 100, 5e-3, None, "none")
    corpus = TrainSettings.preset(None, train=["a.src", "a.tgt"], task="sort")
    assert corpus.corpus and (corpus.epochs, corpus.schedule, corpus.lr) == (10, "noam", None)
    assert (corpus.subword, corpus.vocab_size, corpus.separate_vocabularies) == \
        ("bpe", None, False)                               # one joint BPE of at most 8000


def test_the_derived_settings_are_set_once_by_resolve():
    toy = TrainSettings.preset("toy-pair", lr=None).resolve(steps_per_epoch=70, d_model=64)
    assert (toy.metric, toy.steps_per_epoch, toy.schedule_steps) == ("exact_match", 70, None)
    assert toy.peak_lr == 64 ** -0.5 * 100 ** -0.5                 # the paper's, at warmup's end
    copy = TrainSettings.preset("copy").resolve(steps_per_epoch=200, d_model=64)
    assert (copy.schedule_steps, copy.peak_lr) == (30 * 200, 1e-3)
    text = TrainSettings(train=["a", "b"], schedule="constant").resolve(5, d_model=64)
    assert (text.metric, text.peak_lr) == ("bleu", 5e-4)
    assert TrainSettings(lr=2e-3).resolve(5, d_model=64).peak_lr == 2e-3


def test_the_run_ends_with_held_out_accuracy_and_samples(tmp_path, capsys):
    rc, out, _ = _run(FAST + ["--epochs", "1", "--out", str(tmp_path / "r")], capsys)
    assert rc == 0
    assert "epoch   1 |" in out and "exact match" in out
    assert "test exact match:" in out and "  source " in out and "  model " in out


def test_an_interrupted_and_resumed_run_matches_an_uninterrupted_one_bit_for_bit(tmp_path,
                                                                               capsys):
    common = FAST + ["--epochs", "2", "--log-every", "1", "--schedule", "constant"]
    straight, pieces = tmp_path / "straight", tmp_path / "pieces"
    assert _run(common + ["--out", str(straight)], capsys)[0] == 0
    rc, out, _ = _run(common + ["--out", str(pieces), "--max-steps", "3"], capsys)
    assert rc == 0 and "stopped at step 3" in out
    rc, out, _ = _run(["--resume", str(pieces), "--quiet"], capsys)
    assert rc == 0 and "resuming" in out
    assert_same_run(straight, pieces)


def test_a_process_killed_while_saving_leaves_the_previous_checkpoint(tmp_path):
    run = tmp_path / "killed"
    args = FAST[:-2] + ["--save-every", "1", "--epochs", "2", "--out", str(run)]
    code = f"""
import os, signal, sys
from autograd import backend
import transformer.train as tr
real, calls = backend.save_npz, [0]
def dying(f, arrays):
    calls[0] += 1
    if calls[0] == 3:                      # the third save: die half-way through
        f.write(b"PK\\x03\\x04 half a checkpoint")
        f.flush()
        os.kill(os.getpid(), signal.SIGKILL)
    real(f, arrays)
backend.save_npz = dying
sys.exit(tr.main({args!r}))
"""
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          timeout=300)
    assert proc.returncode == -signal.SIGKILL
    state = checkpoint.load_run(run, prefer=checkpoint.LAST)       # still loadable
    assert state["progress"]["step"] == 2
    assert train.main(["--resume", str(run), "--quiet", "--max-steps", "4"]) == 0
    assert checkpoint.load_run(run, prefer=checkpoint.LAST)["progress"]["step"] == 4


def test_ctrl_c_saves_a_checkpoint_and_exits_130(tmp_path):
    run = tmp_path / "interrupted"
    cmd = [sys.executable, "-m", "transformer.train", "--task", "copy", "--task-size", "4000",
           "--eval-size", "8", "--max-tokens", "300", "--quiet", "--save-every", "1",
           "--out", str(run)]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    deadline = time.time() + 120
    while not (run / "last.npz").exists() and time.time() < deadline and proc.poll() is None:
        time.sleep(0.2)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err                # 128 + SIGINT: `train && evaluate` stops
    assert "Ctrl-C: saving a checkpoint" in out and "continue with: python -m transformer.train" \
        " --resume" in out
    state = checkpoint.load_run(run, prefer=checkpoint.LAST)
    assert state["progress"]["step"] >= 1
    assert not [n for n in os.listdir(run) if n.endswith(".tmp")]


def _terminated(signum, frame):                    # SIGTERM's usual end, inside a test
    raise SystemExit(128 + signum)


@pytest.fixture
def sigterm_exits():
    old = signal.signal(signal.SIGTERM, _terminated)
    yield
    signal.signal(signal.SIGTERM, old)


def test_the_same_signal_again_within_a_second_is_the_same_one(monkeypatch, capsys,
                                                               sigterm_exits):
    """Under mpiexec each rank gets Ctrl-C from the terminal and again from
    the launcher: one request. A later one, or another signal, stops at once."""
    now = [100.0]
    monkeypatch.setattr(trainer.time, "monotonic", lambda: now[0])
    with trainer._StopSignals() as signals:
        signal.raise_signal(signal.SIGTERM)
        now[0] += 0.5
        signal.raise_signal(signal.SIGTERM)                 # forwarded: the same one
        assert signals.received == signal.SIGTERM
        now[0] += 1.0
        with pytest.raises(SystemExit):
            signal.raise_signal(signal.SIGTERM)             # sent again: at once
    with trainer._StopSignals() as signals:
        signal.raise_signal(signal.SIGINT)
        signal.raise_signal(signal.SIGINT)
        assert signals.received == signal.SIGINT
        with pytest.raises(SystemExit):
            signal.raise_signal(signal.SIGTERM)             # another signal: at once
    assert capsys.readouterr().out.count("saving a checkpoint") == 2
    assert signal.getsignal(signal.SIGTERM) is _terminated  # the handlers are given back


def _corpus(folder, src_lines, tgt_lines, gz=False):
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, lines in (("src.txt", src_lines), ("tgt.txt", tgt_lines)):
        data = ("\n".join(lines) + "\n").encode("utf-8") if isinstance(lines, list) else lines
        path = folder / (name + (".gz" if gz else ""))
        path.write_bytes(gzip.compress(data) if gz else data)
        paths.append(str(path))
    return paths


def _fails(args, capsys, pattern, out_dir):
    rc, _, err = _run(args + ["--out", str(out_dir)], capsys)
    assert rc == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert pattern in lines[0], lines[0]
    assert not out_dir.exists()                                     # no half-written output


def test_bad_input_gives_one_line_errors_and_no_output(tmp_path, capsys):
    good = _corpus(tmp_path / "good", ["a b c", "d e"], ["x y", "z"])
    out = tmp_path / "run"
    _fails(["--task", "nope"], capsys, "unknown task 'nope'", out)
    _fails(["--train", str(tmp_path / "missing.src"), good[1], "--valid", *good], capsys,
           "missing.src", out)
    uneven = _corpus(tmp_path / "uneven", ["a", "b", "c"], ["x", "y"])
    _fails(["--train", *uneven, "--valid", *good], capsys, "3", out)
    bad_utf8 = _corpus(tmp_path / "latin1", b"ok\nnon \xe9t\xe9\n", ["x", "y"])
    _fails(["--train", *bad_utf8, "--valid", *good], capsys, "line 2", out)
    _fails(["--train", *good], capsys, "validation split", out)


def test_empty_lines_and_long_sentences_are_counted(tmp_path, capsys):
    src = ["a b c", "", "d e", "a a a a a a a a a a a a", "b c"]
    tgt = ["x y", "w", "z", "y y", "x"]
    files = _corpus(tmp_path / "c", src, tgt)
    rc, out, _ = _run(["--train", *files, "--valid", *files, "--max-len", "8", "--max-steps",
                       "1", "--quiet", "--out", str(tmp_path / "run")], capsys)
    assert rc == 0
    assert "skipped 1 line pairs with an empty side" in out
    assert "filtered 1 pairs longer than 8 tokens" in out


def test_a_checkpoint_of_another_version_or_shape_is_refused(trained_run, tmp_path, capsys):
    state = dict(checkpoint.load_run(trained_run, prefer=checkpoint.LAST))
    state.pop("path")
    state.pop("run_format"), state.pop("run_version")
    old = tmp_path / "old"
    old.mkdir()
    nn.save({**state, "run_format": checkpoint.RUN_FORMAT, "run_version": 99}, old / "last.npz")
    rc, _, err = _run(["--resume", str(old)], capsys)
    assert rc == 2 and "checkpoint version 99" in err
    assert translate.main(["--checkpoint", str(old), "a b"]) == 2
    shape = tmp_path / "shape"
    shape.mkdir()
    config = dict(state["config"])
    config["d_model"] = 32
    checkpoint.save_run(shape / "last.npz", {**state, "config": config})
    rc, _, err = _run(["--resume", str(shape)], capsys)
    assert rc == 2 and "cannot load state dict" in err and "last.npz" in err
    unfit = tmp_path / "settings"
    unfit.mkdir()
    settings = {**state["settings"], "colour": "red"}
    settings.pop("warmup")
    checkpoint.save_run(unfit / "last.npz", {**state, "settings": settings})
    rc, _, err = _run(["--resume", str(unfit)], capsys)
    assert rc == 2 and err == (f"error: {unfit / 'last.npz'}: the checkpoint's training settings "
                               "do not fit this gradformer's TrainSettings: unknown fields "
                               "['colour']; missing fields ['warmup']\n")


def test_translate_arguments_stdin_beam_and_attention_pictures(trained_run, tmp_path, capsys,
                                                               monkeypatch):
    assert translate.main(["--checkpoint", str(trained_run), "1 2 3", "4 5"]) == 0
    assert len(capsys.readouterr().out.strip().splitlines()) == 2
    import io
    monkeypatch.setattr(sys, "stdin", io.StringIO("1 2 3\n\n7 8\n\n"))
    assert translate.main(["--checkpoint", str(trained_run), "--beam", "3"]) == 0
    lines = capsys.readouterr().out.split("\n")       # one line per input line, blank for blank
    assert len(lines) == 5 and lines[0] and lines[1] == "" and lines[2] and lines[3:] == ["", ""]
    pics = tmp_path / "pics"
    assert translate.main(["--checkpoint", str(trained_run), "--attention", str(pics),
                           "1 2 3"]) == 0
    assert sorted(os.listdir(pics)) == [f"attention_{kind}_layer{layer}.png" for kind in (
        "cross", "decoder_self", "encoder_self") for layer in (0, 1)]        # one per layer
    chosen = tmp_path / "chosen"
    assert translate.main(["--checkpoint", str(trained_run), "--attention", str(chosen),
                           "--layer", "1", "--head", "2", "1 2 3"]) == 0
    assert sorted(os.listdir(chosen)) == ["attention_cross_layer1.png",
                                          "attention_decoder_self_layer1.png",
                                          "attention_encoder_self_layer1.png"]
    capsys.readouterr()
    assert translate.main(["--checkpoint", str(trained_run), "--attention", str(chosen),
                           "--head", "4", "1 2 3"]) == 2
    assert capsys.readouterr().err == "error: --head 4: the model has 4 heads (0 to 3)\n"


def test_evaluate_prints_both_bleus_with_signatures(trained_run, tmp_path, capsys):
    src, ref = _corpus(tmp_path / "eval", ["1 2 3", "4 5 6 7"], ["1 2 3", "4 5 6 7"])
    assert evaluate.main(["--checkpoint", str(trained_run), "--src", src, "--ref", ref]) == 0
    out = capsys.readouterr().out
    assert "BLEU (tokenized, lower-cased)" in out and "tok:none" in out and "case:lc" in out
    assert "sacreBLEU" in out and "tok:13a" in out


def test_bleu_scores_take_detokenized_sentences():
    # The one scoring of the training loop and of evaluate: tokenized lower-cased BLEU
    # (both sides split into words), cased sacreBLEU and chrF on the sentences as they are.
    refs = ["A man rides a horse.", "Two dogs play in the snow, happily."]
    perfect = metrics.bleu_scores(refs, refs)
    assert perfect["bleu"] == pytest.approx(100) and perfect["sacrebleu"] == pytest.approx(100)
    assert perfect["chrf"] == pytest.approx(100)
    assert "tok:none" in perfect["bleu_signature"] and "case:lc" in perfect["bleu_signature"]
    assert "tok:13a" in perfect["sacrebleu_signature"] and \
        "case:mixed" in perfect["sacrebleu_signature"]                # sacreBLEU's default
    assert "nc:6" in perfect["chrf_signature"] and "case:mixed" in perfect["chrf_signature"]
    lower = [r.lower() for r in refs]
    cased = metrics.bleu_scores(lower, refs)
    assert cased["bleu"] == pytest.approx(100)                      # lower-cased: no loss
    assert cased["sacrebleu"] < 100 and cased["chrf"] < 100         # cased: capitals count
    ignoring = metrics.bleu_scores(lower, refs, lowercased=True)    # a lower-cased model
    assert ignoring["sacrebleu"] == pytest.approx(100) and "case:lc" in \
        ignoring["sacrebleu_signature"]
    worse = metrics.bleu_scores([refs[0], "Two cats sleep."], refs)
    assert 0 < worse["bleu"] < 100 and 0 < worse["sacrebleu"] < 100 and 0 < worse["chrf"] < 100
    with pytest.raises(ValueError, match="1 hypotheses for 2 references"):
        metrics.bleu_scores(refs[:1], refs)


def test_multi30k_corpus_end_to_end(tmp_path, capsys):
    if not MULTI30K.is_dir():
        pytest.skip(f"Multi30k not found at {MULTI30K} (set MULTI30K to its folder)")
    de, en = str(MULTI30K / "val.de.gz"), str(MULTI30K / "val.en.gz")
    run = tmp_path / "m30k"
    rc, out, _ = _run(["--train", de, en, "--valid", de, en, "--vocab-size", "2000",
                       "--max-steps", "2", "--max-tokens", "1500", "--quiet", "--out", str(run)],
                      capsys)
    assert rc == 0 and "one joint bpe vocabulary of 2000 pieces" in out   # the corpus default
    assert evaluate.main(["--checkpoint", str(run), "--src", str(MULTI30K / "test_2016_flickr.de.gz"),
                          "--ref", str(MULTI30K / "test_2016_flickr.en.gz"), "--limit", "8"]) == 0
    out = capsys.readouterr().out
    assert "sacreBLEU" in out and "case:mixed" in out and "chrF" in out


def test_a_closed_pipe_ends_translate_quietly(trained_run):
    read_end, write_end = os.pipe()
    os.close(read_end)                                    # `translate ... | head` after head left
    try:
        proc = subprocess.run([sys.executable, "-m", "transformer.translate", "--checkpoint",
                               str(trained_run)], input="1 2 3\n" * 50, stdout=write_end,
                              stderr=subprocess.PIPE, text=True, cwd=ROOT, timeout=120)
    finally:
        os.close(write_end)
    assert proc.stderr == ""
    assert proc.returncode == 141                          # 128 + SIGPIPE, as a shell reports
