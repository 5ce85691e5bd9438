"""Tiny models and batches for the transformer tests, where Multi30k is, the
smallest training run, and the comparison of two training runs."""
import os
import pathlib

import numpy as np

import autograd as ag
import transformer as T
from transformer import checkpoint, train
from transformer.tasks import make_task
from transformer.metrics_log import MetricsLog

ROOT = pathlib.Path(__file__).resolve().parents[2]
# $MULTI30K, or ../shared/data/multi30k beside the project (never copied into it), or
# shared/ in a checkout; tests that need it skip, naming where it was looked for.
MULTI30K = next((p for p in (pathlib.Path(os.environ.get("MULTI30K", "/nonexistent")),
                             ROOT.parent / "shared" / "data" / "multi30k",
                             ROOT / "shared" / "data" / "multi30k") if p.is_dir()),
                ROOT.parent / "shared" / "data" / "multi30k")

PAD, BOS, EOS = 0, 1, 2


def micro_config(**overrides):
    """The smallest model that still has every part (float64 gradchecks)."""
    base = dict(src_vocab_size=11, tgt_vocab_size=13, d_model=8, n_heads=2, n_encoder_layers=1,
                n_decoder_layers=1, d_ff=12, dropout=0.0, attention_dropout=0.0, max_len=16)
    base.update(overrides)
    return T.TransformerConfig(**base)


def model(config, seed=0, dtype=ag.float64, device="cpu"):
    ag.manual_seed(seed)
    return T.Transformer(config).to(device=device, dtype=dtype)


def batch(config, B=3, S=6, L=5, seed=1, device="cpu"):
    """(src, tgt_in, tgt_out) with some padding at the ends of rows."""
    ag.manual_seed(seed)
    src = ag.randint(3, config.src_vocab_size, (B, S), device=device)
    tgt = ag.randint(3, config.tgt_vocab_size, (B, L + 1), device=device)
    src_np, tgt_np = src.numpy(), tgt.numpy()
    src_np[1, -2:] = PAD
    tgt_np[2, -2:] = PAD
    tgt_np[:, 0] = BOS
    src = ag.tensor(src_np, device=device)
    tgt = ag.tensor(tgt_np, device=device)
    return src, tgt[:, :-1], tgt[:, 1:]


# The smallest training run: the copy task, 3 steps an epoch, at a constant lr (a run
# stopped early and resumed meets no end of a cosine schedule; a test of one says cosine).
TINY_RUN = ["--task", "copy", "--task-size", "40", "--eval-size", "4", "--max-tokens", "200",
            "--quiet", "--schedule", "constant"]


def text_corpus(folder, n=300, seed=0):
    """Aligned files of ``n`` cased, punctuated sentence pairs (the toy pair's,
    as written text: "The big dogs saw a cat." -> "Kavori gara lo mire na vela."),
    for training subword vocabularies in seconds. Returns [SRC, TGT]."""
    folder.mkdir(parents=True, exist_ok=True)
    pairs = make_task("toy-pair", seed=seed, n_train=n, n_valid=0, n_test=0).train
    paths = []
    for side, name in ((0, "src.txt"), (1, "tgt.txt")):
        (folder / name).write_text("".join(p[side].capitalize() + ".\n" for p in pairs))
        paths.append(str(folder / name))
    return paths


def run_train(args, capsys):
    """``python -m transformer.train ARGS`` in this process: (exit code, stdout, stderr)."""
    rc = train.main(args)
    out = capsys.readouterr()
    return rc, out.out, out.err


# What differs between two runs of one seed: how long things took, and when.
TIMINGS = ("train_seconds", "valid_seconds", "tokens_per_s", "time")


def metric_lines(run):
    """The records of a run folder's metrics.jsonl, without the timings."""
    records = MetricsLog(run).records()
    for r in records:
        for key in TIMINGS:
            r.pop(key, None)
    return records


def assert_same_run(run_a, run_b):
    """Two run folders ended bit for bit alike: position, weights, optimizer
    state, and the same metrics step by step. Returns both last checkpoints."""
    a, b = (checkpoint.load_run(r, prefer=checkpoint.LAST) for r in (run_a, run_b))
    assert a["progress"] == b["progress"]
    for k in a["model"]:
        np.testing.assert_array_equal(a["model"][k].numpy(), b["model"][k].numpy())
    for i, sa in a["optimizer"]["state"].items():
        for name, v in sa.items():
            vb = b["optimizer"]["state"][i][name]
            assert (v.numpy() == vb.numpy()).all() if hasattr(v, "numpy") else v == vb
    assert metric_lines(run_a) == metric_lines(run_b)            # same losses, step by step
    return a, b
