"""Score a trained run on a test set: sacreBLEU on detokenized text (its
default signature: cased, 13a), the tokenized, lower-cased BLEU that
published Multi30k results use, and chrF.

    python -m transformer.evaluate --checkpoint RUN --src test.de.gz --ref test.en.gz [--beam 4]
    python -m transformer.evaluate --checkpoint RUN/average.npz ...   # python -m transformer.average
"""
from __future__ import annotations

import argparse
import sys
import time

from . import checks, metrics
from .cli import CommandError, run_command
from .corpus import read_parallel
from .translate import DECODING_CHECKS, add_decoding_args, source_tokens
from .translator import Translator

CHECKS = {**DECODING_CHECKS, "batch_size": lambda name, value: checks.at_least(name, value, 1),
          "limit": lambda name, value: checks.at_least(name, value, 0)}


def parse_args(argv=None):
    p = argparse.ArgumentParser(prog="python -m transformer.evaluate",
                                description=__doc__.split("\n\n")[0])
    add_decoding_args(p)
    p.add_argument("--src", required=True, help="source sentences, one a line (plain or .gz)")
    p.add_argument("--ref", required=True, help="reference translations, aligned with --src")
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--limit", type=int, default=None,
                   help="score only the first N sentences (0: all)")
    return p.parse_args(argv)


def evaluate_command(args):
    checks.check_args(args, CHECKS)
    t = Translator.from_checkpoint(args.checkpoint, args.device)
    corpus = read_parallel(args.src, args.ref)
    start = time.perf_counter()
    pairs = corpus.pairs[:args.limit] if args.limit else corpus.pairs
    if not pairs:
        raise CommandError(f"{args.src}: no sentences to score")
    srcs = [s for s, _ in pairs]
    refs = [r for _, r in pairs]
    hyp_tokens = t.translate_tokens(source_tokens(t, srcs), beam=args.beam,
                                    batch_size=args.batch_size, alpha=args.alpha)
    scores = metrics.bleu_scores([t.tgt_tokenizer.detokenize(h) for h in hyp_tokens], refs,
                                 t.tgt_tokenizer.lowercase)
    print(f"sentences: {len(srcs)} (skipped {corpus.skipped_empty} with an empty side), "
          f"beam {args.beam}" + (f" (alpha {args.alpha})" if args.beam > 1 else "") +
          f", {time.perf_counter() - start:.1f} s")
    print(f"BLEU (tokenized, lower-cased) {scores['bleu']:.2f}  {scores['bleu_signature']}")
    print(f"sacreBLEU {scores['sacrebleu']:.2f}  {scores['sacrebleu_signature']}")
    print(f"chrF {scores['chrf']:.2f}  {scores['chrf_signature']}")
    return 0


def main(argv=None):
    return run_command(evaluate_command, parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
