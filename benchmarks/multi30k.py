"""Multi30k German -> English on subwords, end to end: the recipe of issue 18.

    python -m benchmarks.multi30k [--data DIR] [--out RUN]                # the recipe (~1 h)
    python -m benchmarks.multi30k --epochs 1 --limit-train 2000 --limit-eval 100   # dry run

Runs the recipe as the commands a user would type, each printed before it
runs: train (a joint BPE with shared embeddings, keeping the last epochs'
models), average those, choose the length penalty of the beam on the
validation set, then score the test set once. Prints BLEU (tokenized,
lower-cased, as published Multi30k results), cased sacreBLEU (its default
signature), chrF, the wall time of each phase, and the translations of
test sentences that hold words never seen in training.

The data: github.com/multi30k/dataset, data/task1/raw: train.{de,en}.gz,
val.{de,en}.gz, test_2016_flickr.{de,en}.gz in one folder (--data; default
$MULTI30K, else ../shared/data/multi30k beside this checkout).
"""
from __future__ import annotations

import argparse
import os
import re
import shlex
import subprocess
import sys
import tempfile
import time

from transformer.corpus import read_parallel
from transformer.tokenizer import WordTokenizer

from .common import ROOT, header

FILES = {"train": "train", "valid": "val", "test": "test_2016_flickr"}
# The recipe (what the flags default to): see BENCHMARKS.md for why each.
RECIPE = dict(model="small", vocab_size=8000, dropout=0.1, epochs=18, schedule="cosine",
              lr=1e-3, warmup=400, max_tokens=2048, label_smoothing=0.1, max_len=128,
              eval_limit=500, seed=0, average=5, beam=5, alphas="0.6,1.0,1.4,1.8")
_SCORES = {"bleu": r"BLEU \(tokenized, lower-cased\) ([\d.]+)", "sacrebleu": r"sacreBLEU ([\d.]+)",
           "chrf": r"chrF ([\d.]+)", "sacrebleu_signature": r"sacreBLEU [\d.]+\s+(\S+)"}


def default_data() -> str:
    return os.environ.get("MULTI30K") or os.path.join(os.path.dirname(ROOT), "shared", "data",
                                                      "multi30k")


def split_files(data, name):
    """(German, English) files of a split."""
    return [os.path.join(data, f"{FILES[name]}.{lang}.gz") for lang in ("de", "en")]


def limited(files, n, folder, name):
    """The first ``n`` pairs of ``files`` written to ``folder`` (all: the files)."""
    if not n:
        return files
    pairs = read_parallel(*files).pairs[:n]
    out = [os.path.join(folder, f"{name}.{lang}") for lang in ("de", "en")]
    for side, path in enumerate(out):
        with open(path, "w", encoding="utf-8") as f:
            f.writelines(pair[side] + "\n" for pair in pairs)
    return out


def run(cmd, stdin=None) -> tuple[str, float]:
    """Run one command of the recipe, echoing it and its output; (output, seconds)."""
    print(f"$ {shlex.join(['python', *cmd[1:]])}", flush=True)
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdin=subprocess.PIPE if stdin else None,
                            stdout=subprocess.PIPE, text=True)
    if stdin:
        proc.stdin.write(stdin)
        proc.stdin.close()
    lines = []
    for line in proc.stdout:
        lines.append(line)
        print("  " + line, end="", flush=True)
    if proc.wait():
        raise SystemExit(f"benchmarks.multi30k: {cmd[2]} failed (exit {proc.returncode})")
    return "".join(lines), time.perf_counter() - start


def train_command(args, train, valid) -> list[str]:
    flags = ["--model", args.model, "--vocab-size", str(args.vocab_size), "--share-embeddings",
             "--dropout", str(args.dropout), "--epochs", str(args.epochs), "--schedule",
             args.schedule, "--lr", str(args.lr), "--warmup", str(args.warmup), "--max-tokens",
             str(args.max_tokens), "--label-smoothing", str(args.label_smoothing), "--max-len",
             str(args.max_len), "--eval-limit", str(args.eval_limit), "--seed", str(args.seed),
             "--keep-epochs", str(min(args.average, args.epochs))]
    return [sys.executable, "-m", "transformer.train", "--train", *train, "--valid", *valid,
            *flags, "--out", args.out, "--quiet"]


def scores(output) -> dict:
    found = {k: re.search(p, output) for k, p in _SCORES.items()}
    return {k: (m.group(1) if k.endswith("signature") else float(m.group(1)))
            for k, m in found.items()}


def evaluate(args, model, files, alpha):
    cmd = [sys.executable, "-m", "transformer.evaluate", "--checkpoint", model, "--src",
           files[0], "--ref", files[1], "--beam", str(args.beam), "--alpha", str(alpha)]
    out, seconds = run(cmd + (["--limit", str(args.limit_eval)] if args.limit_eval else []))
    return scores(out), seconds


def choose_alpha(args, model, valid):
    """The length penalty with the best tokenized BLEU on the validation set."""
    results, seconds = {}, 0.0
    for alpha in [float(a) for a in args.alphas.split(",")]:
        results[alpha], took = evaluate(args, model, valid, alpha)
        seconds += took
    best = max(results, key=lambda a: results[a]["bleu"])
    print("validation BLEU by alpha: " + ", ".join(f"{a:g}: {r['bleu']:.2f}"
                                                   for a, r in results.items()) +
          f" -> alpha {best:g}")
    return best, seconds


def unseen_word_sentences(train, test, n):
    """Up to ``n`` test pairs whose source holds words (lower-cased) that no
    training source holds, with those words."""
    words = WordTokenizer(lowercase=True)
    seen = {w for src, _ in read_parallel(*train).pairs for w in words.tokenize(src)}
    found = []
    for src, ref in read_parallel(*test).pairs:
        new = [w for w in words.tokenize(src) if w not in seen and any(c.isalpha() for c in w)]
        if new:
            found.append((src, ref, new))
        if len(found) == n:
            break
    return found


def show_translations(args, model, examples, alpha):
    cmd = [sys.executable, "-m", "transformer.translate", "--checkpoint", model, "--beam",
           str(args.beam), "--alpha", str(alpha)]
    out, _ = run(cmd, stdin="".join(src + "\n" for src, _, _ in examples))
    print("\ntest sentences with words unseen in training:")
    for (src, ref, new), hyp in zip(examples, out.splitlines()):
        print(f"  unseen     {', '.join(new)}\n  source     {src}\n  reference  {ref}\n"
              f"  model      {hyp}\n")


def parse_args(argv):
    p = argparse.ArgumentParser(prog="python -m benchmarks.multi30k",
                                description=__doc__.split("\n\n")[0])
    p.add_argument("--data", default=default_data(), help="folder of the Multi30k files")
    p.add_argument("--out", help="run folder (default: a new temporary folder)")
    p.add_argument("--limit-train", type=int, default=0, help="dry run: first N training pairs")
    p.add_argument("--limit-eval", type=int, default=0,
                   help="dry run: score only the first N validation and test sentences")
    p.add_argument("--samples", type=int, default=5, help="translations of unseen-word sentences")
    for name, value in RECIPE.items():
        p.add_argument("--" + name.replace("_", "-"), type=type(value), default=value,
                       help=f"default {value}" + (" (epochs averaged)" if name == "average"
                                                  else ""))
    return p.parse_args(argv)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    print(header(argv, module="benchmarks.multi30k", workers=False), flush=True)
    data = {name: split_files(args.data, name) for name in FILES}
    missing = [f for files in data.values() for f in files if not os.path.exists(f)]
    if missing:
        raise SystemExit(f"benchmarks.multi30k: {missing[0]} not found; fetch Multi30k from "
                         "github.com/multi30k/dataset (data/task1/raw) and pass --data DIR")
    with tempfile.TemporaryDirectory() as scratch:
        args.out = args.out or os.path.join(scratch, "run")
        train = limited(data["train"], args.limit_train, scratch, "train")
        recipe(args, train, data)


def recipe(args, train, data):
    """Train, average, choose alpha on validation, score test once; the summary."""
    wall = {}
    _, wall["train"] = run(train_command(args, train, data["valid"]))
    k = min(args.average, args.epochs)
    _, wall["average"] = run([sys.executable, "-m", "transformer.average", "--checkpoint",
                              args.out, "--last", str(k)])
    model = os.path.join(args.out, "average.npz")
    alpha, wall["choose alpha on validation"] = choose_alpha(args, model, data["valid"])
    test, wall["test"] = evaluate(args, model, data["test"], alpha)
    show_translations(args, model, unseen_word_sentences(train, data["test"], args.samples),
                      alpha)
    limit = f" (first {args.limit_eval} sentences only: a dry run)" if args.limit_eval else ""
    print(f"test 2016{limit}, average of the last {k} epochs, beam {args.beam}, alpha {alpha:g}:")
    print(f"  BLEU (tokenized, lower-cased) {test['bleu']:.2f}")
    print(f"  sacreBLEU {test['sacrebleu']:.2f}  {test['sacrebleu_signature']}")
    print(f"  chrF {test['chrf']:.2f}")
    print("wall time: " + ", ".join(f"{name} {seconds / 60:.1f} min"
                                    for name, seconds in wall.items()) +
          f"; total {sum(wall.values()) / 60:.1f} min")


if __name__ == "__main__":
    main()
