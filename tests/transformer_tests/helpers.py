"""Tiny models and batches for the transformer tests, and where Multi30k is."""
import pathlib

import autograd as ag
import transformer as T
from transformer import train

ROOT = pathlib.Path(__file__).resolve().parents[2]
# ../shared/data/multi30k beside the project (never copied into it), or shared/ in a checkout.
MULTI30K = next((p for p in (ROOT.parent / "shared" / "data" / "multi30k",
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


# The smallest training run: the copy task, 3 steps an epoch.
TINY_RUN = ["--task", "copy", "--task-size", "40", "--eval-size", "4", "--max-tokens", "200",
            "--quiet"]


def run_train(args, capsys):
    """``python -m transformer.train ARGS`` in this process: (exit code, stdout, stderr)."""
    rc = train.main(args)
    out = capsys.readouterr()
    return rc, out.out, out.err
