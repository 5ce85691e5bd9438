"""Translate with a trained run: one output line per input line (a blank
line gives a blank line), so ``translate < test.de > hyp.en`` lines up with
``test.en``.

    python -m transformer.translate --checkpoint runs/toy-pair-... "the big dog sees a cat"
    echo "the big dog sees a cat" | python -m transformer.translate --checkpoint RUN --beam 4
    python -m transformer.translate --checkpoint RUN --attention pics/ "the big dog sees a cat"
    python -m transformer.translate --checkpoint RUN --attention pics/ --layer 0 --head 2 "..."
"""
from __future__ import annotations

import argparse
import sys

import autograd as ag

from . import checks, plots
from .cli import run_command, writing
from .translator import Translator

# The numbers translate and evaluate take, checked before the checkpoint is read.
DECODING_CHECKS = {"beam": lambda name, value: checks.at_least(name, value, 1),
                   "alpha": checks.finite}


def add_decoding_args(p):
    """The arguments translate and evaluate share."""
    p.add_argument("--checkpoint", required=True, help="run folder or checkpoint file")
    p.add_argument("--beam", type=int, default=1, help="beam size (1: greedy)")
    p.add_argument("--alpha", type=float, default=0.6,
                   help="beam search length penalty ((5 + length) / 6) ** alpha (GNMT); 0: none")
    p.add_argument("--device", default="cpu")


def source_tokens(t, sentences):
    """The sentences as source tokens; a warning on stderr counts those
    longer than the model's positions."""
    tokens = [t.src_tokenizer.tokenize(s) for s in sentences]
    note = t.too_long_note(tokens)
    if note:
        print(note, file=sys.stderr)
    return tokens


def parse_args(argv=None):
    p = argparse.ArgumentParser(prog="python -m transformer.translate",
                                description=__doc__.split("\n\n")[0])
    add_decoding_args(p)
    p.add_argument("--attention", metavar="DIR",
                   help="also draw attention heatmaps of the first sentence into DIR: a picture "
                        "per attention kind and layer, a panel per head")
    p.add_argument("--layer", type=int, action="append",
                   help="with --attention: only this layer (may be given again)")
    p.add_argument("--head", type=int, action="append",
                   help="with --attention: only this head (may be given again)")
    p.add_argument("sentences", nargs="*", help="sentences to translate (default: stdin lines)")
    return p.parse_args(argv)


def translate_command(args):
    checks.check_args(args, DECODING_CHECKS)
    t = Translator.from_checkpoint(args.checkpoint, args.device)
    if args.attention:                                  # a bad --layer or --head: before any work
        c = t.model.config
        plots.chosen(args.layer, 0, "layer", max(c.n_encoder_layers, c.n_decoder_layers))
        plots.chosen(args.head, 0, "head", c.n_heads)
    sentences = args.sentences or [line.rstrip("\r\n") for line in sys.stdin]
    tokens = source_tokens(t, sentences)
    hyps = t.translate_tokens(tokens, beam=args.beam, alpha=args.alpha)
    for hyp in hyps:
        print(t.tgt_tokenizer.detokenize(hyp))
    first = next((s for s, tok in zip(sentences, tokens) if tok), None)
    if args.attention and first is not None:
        with writing(args.attention):
            draw_attention(t, first, args.attention, args.layer, args.head)
    return 0


def draw_attention(t, sentence, out_dir, layers=None, heads=None):
    """Heatmaps of the attention blocks (every layer and head, or those
    chosen) for one sentence and its translation."""
    src_tokens = t.src_tokenizer.tokenize(sentence)[:t.max_source_tokens]
    tgt_tokens = t.translate_tokens([src_tokens])[0]
    v_src, v_tgt = t.src_vocab, t.tgt_vocab
    device = t.model.device
    src = ag.tensor([v_src.encode(src_tokens) + [v_src.eos_id]], device=device)
    tgt_ids = v_tgt.encode(tgt_tokens)
    tgt_in = ag.tensor([[v_tgt.bos_id] + tgt_ids], device=device)
    tgt_out = ag.tensor([tgt_ids + [v_tgt.eos_id]], device=device)
    # Weights above d(NLL of the model's own translation) / d(scores), per head.
    paths = plots.attention_maps(t.model, src_tokens + ["<eos>"], ["<bos>"] + tgt_tokens,
                                 src, tgt_in, out_dir, tgt_out_ids=tgt_out, layers=layers,
                                 heads=heads)
    for path in paths:
        print(f"wrote {path}", file=sys.stderr)
    return paths


def main(argv=None):
    return run_command(translate_command, parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
