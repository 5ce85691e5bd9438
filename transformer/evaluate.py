"""Score a trained run on a test set: sacreBLEU on detokenized text, and the
tokenized, lower-cased BLEU that published Multi30k results use.

    python -m transformer.evaluate --checkpoint RUN --src test.de.gz --ref test.en.gz [--beam 4]
"""
from __future__ import annotations

import argparse
import sys
import time

import nn

from . import metrics
from .corpus import read_parallel
from .translator import Translator


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m transformer.evaluate",
                                description=__doc__.split("\n\n")[0])
    p.add_argument("--checkpoint", required=True, help="run folder or checkpoint file")
    p.add_argument("--src", required=True, help="source sentences, one a line (plain or .gz)")
    p.add_argument("--ref", required=True, help="reference translations, aligned with --src")
    p.add_argument("--beam", type=int, default=1)
    p.add_argument("--alpha", type=float, default=0.6,
                   help="beam search length penalty ((5 + length) / 6) ** alpha (GNMT); 0: none")
    p.add_argument("--device", default="cpu")
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--limit", type=int, default=None, help="score only the first N sentences")
    args = p.parse_args(argv)
    try:
        t = Translator.from_checkpoint(args.checkpoint, args.device)
        corpus = read_parallel(args.src, args.ref)
    except (ValueError, FileNotFoundError, nn.CheckpointError, KeyError, RuntimeError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    start = time.perf_counter()
    pairs = corpus.pairs[:args.limit] if args.limit else corpus.pairs
    srcs = [s for s, _ in pairs]
    refs = [r for _, r in pairs]
    hyp_tokens = t.translate_tokens([t.src_tokenizer.tokenize(s) for s in srcs], beam=args.beam,
                                    batch_size=args.batch_size, alpha=args.alpha)
    scores = metrics.bleu_scores(hyp_tokens, refs, t.tgt_tokenizer)
    print(f"sentences: {len(srcs)} (skipped {corpus.skipped_empty} with an empty side), "
          f"beam {args.beam}" + (f" (alpha {args.alpha})" if args.beam > 1 else "") +
          f", {time.perf_counter() - start:.1f} s")
    print(f"BLEU (tokenized, lower-cased) {scores['bleu']:.2f}  {scores['bleu_signature']}")
    print(f"sacreBLEU {scores['sacrebleu']:.2f}  {scores['sacrebleu_signature']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
