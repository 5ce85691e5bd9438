"""Translate with a trained run.

    python -m transformer.translate --checkpoint runs/toy-pair-... "the big dog sees a cat"
    echo "the big dog sees a cat" | python -m transformer.translate --checkpoint RUN --beam 4
    python -m transformer.translate --checkpoint RUN --attention pics/ "the big dog sees a cat"
"""
from __future__ import annotations

import argparse
import sys

import autograd as ag
import nn

from . import plots
from .translator import Translator


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m transformer.translate",
                                description=__doc__.split("\n\n")[0])
    p.add_argument("--checkpoint", required=True, help="run folder or checkpoint file")
    p.add_argument("--beam", type=int, default=1, help="beam size (1: greedy)")
    p.add_argument("--alpha", type=float, default=0.6,
                   help="beam search length penalty ((5 + length) / 6) ** alpha (GNMT); 0: none")
    p.add_argument("--device", default="cpu")
    p.add_argument("--attention", metavar="DIR",
                   help="also draw attention heatmaps of the first sentence into DIR")
    p.add_argument("sentences", nargs="*", help="sentences to translate (default: stdin lines)")
    args = p.parse_args(argv)
    try:
        t = Translator.from_checkpoint(args.checkpoint, args.device)
    except (ValueError, FileNotFoundError, nn.CheckpointError, KeyError, RuntimeError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    sentences = args.sentences or [line.rstrip("\n") for line in sys.stdin if line.strip()]
    for out in t.translate(sentences, beam=args.beam, alpha=args.alpha):
        print(out)
    if args.attention and sentences:
        draw_attention(t, sentences[0], args.attention)
    return 0


def draw_attention(t, sentence, out_dir):
    """Heatmaps of every attention block for one sentence and its translation."""
    src_tokens = t.src_tokenizer.tokenize(sentence)[:t.max_source_tokens]
    tgt_tokens = t.translate_tokens([src_tokens])[0]
    v_src, v_tgt = t.src_vocab, t.tgt_vocab
    device = t.model.device
    src = ag.tensor([v_src.encode(src_tokens) + [v_src.eos_id]], device=device)
    tgt_ids = v_tgt.encode(tgt_tokens)
    tgt_in = ag.tensor([[v_tgt.bos_id] + tgt_ids], device=device)
    tgt_out = ag.tensor([tgt_ids + [v_tgt.eos_id]], device=device)
    # Weights beside d(NLL of the model's own translation) / d(weights), per head.
    paths = plots.attention_maps(t.model, src_tokens + ["<eos>"], ["<bos>"] + tgt_tokens,
                                 src, tgt_in, out_dir, tgt_out_ids=tgt_out)
    for path in paths:
        print(f"wrote {path}", file=sys.stderr)
    return paths


if __name__ == "__main__":
    sys.exit(main())
