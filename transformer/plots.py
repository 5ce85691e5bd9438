"""Pictures: the loss curve of a run, and attention heatmaps (which source
word each target word attends to, per layer and head)."""
from __future__ import annotations

import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

import autograd as ag  # noqa: E402
from nn.atomic import atomic_write  # noqa: E402


def _save(fig, path):
    """Write a figure atomically (temporary file, then rename)."""
    try:
        atomic_write(path, lambda f: fig.savefig(f, format="png", dpi=110, bbox_inches="tight"))
    finally:
        plt.close(fig)


def loss_curve(records, path):
    """Training loss per logged step and validation loss per epoch."""
    steps = [(r["step"], r["loss"]) for r in records if r.get("kind") == "step"]
    epochs = [(r["step"], r["valid_loss"]) for r in records if r.get("kind") == "epoch"]
    fig, ax = plt.subplots(figsize=(7, 4))
    if steps:
        ax.plot(*zip(*steps), lw=1, label="train loss (label-smoothed)")
    if epochs:
        ax.plot(*zip(*epochs), "o-", label="validation loss (NLL)")
    ax.set_xlabel("optimizer step")
    ax.set_ylabel("loss")
    ax.set_yscale("log")
    ax.grid(alpha=0.3)
    ax.legend()
    _save(fig, path)


def _attention_blocks(model, src_tokens, tgt_tokens):
    """kind -> (attention modules per layer, row labels, column labels)."""
    return {
        "encoder_self": ([l.self_attn for l in model.encoder.layers], src_tokens, src_tokens),
        "decoder_self": ([l.self_attn for l in model.decoder.layers], tgt_tokens, tgt_tokens),
        "cross": ([l.cross_attn for l in model.decoder.layers], tgt_tokens, src_tokens),
    }


def _heatmap(ax, values, rows, cols, title, cmap, vmin, vmax):
    ax.imshow(values, cmap=cmap, vmin=vmin, vmax=vmax)
    ax.set_xticks(range(len(cols)))
    ax.set_xticklabels(cols, rotation=90, fontsize=6)
    ax.set_yticks(range(len(rows)))
    ax.set_yticklabels(rows, fontsize=6)
    ax.set_title(title, fontsize=7)


def attention_maps(model, src_tokens, tgt_tokens, src_ids, tgt_in_ids, out_dir,
                   prefix="attention", tgt_out_ids=None):
    """One PNG per attention kind (encoder self, decoder self, cross), a grid
    of layers x heads each. With ``tgt_out_ids`` each head's weights stand
    next to the gradient of the loss (the NLL of ``tgt_out_ids``) with
    respect to them: where the loss would move attention. Returns the paths."""
    os.makedirs(out_dir, exist_ok=True)
    model.eval()
    with_grad = tgt_out_ids is not None
    model.keep_attention_weights("grad" if with_grad else True)
    try:
        _forward(model, src_ids, tgt_in_ids, tgt_out_ids)
        paths = []
        for kind, (blocks, rows, cols) in _attention_blocks(model, src_tokens, tgt_tokens).items():
            weights = [b.last_weights.numpy()[0] for b in blocks]          # (heads, T_q, T_k)
            grads = [b.last_weights.grad.numpy()[0] for b in blocks] if with_grad else None
            fig = _attention_figure(kind, weights, grads, rows, cols)
            path = os.path.join(out_dir, f"{prefix}_{kind}.png")
            _save(fig, path)
            paths.append(path)
        return paths
    finally:
        model.keep_attention_weights(False)
        model.zero_grad()


def _forward(model, src_ids, tgt_in_ids, tgt_out_ids=None):
    """Run the model so that its attention blocks keep their weights; with
    ``tgt_out_ids``, backpropagate the loss into them as well."""
    if tgt_out_ids is None:
        with ag.no_grad():
            model(src_ids, tgt_in_ids)
        return
    logits = model(src_ids, tgt_in_ids)
    ag.cross_entropy(logits, tgt_out_ids, ignore_index=model.config.pad_id).backward()


def _attention_figure(kind, weights, grads, rows, cols):
    """Layers x heads heatmaps of one attention kind, each head's gradient
    beside it when ``grads`` is given."""
    n_layers, n_heads = len(weights), weights[0].shape[0]
    per_head = 1 if grads is None else 2
    fig, axes = plt.subplots(n_layers, n_heads * per_head, squeeze=False,
                             figsize=(2.2 * n_heads * per_head + 1, 2.2 * n_layers + 0.6))
    for li in range(n_layers):
        for hi in range(n_heads):
            _heatmap(axes[li][hi * per_head], weights[li][hi], rows, cols,
                     f"layer {li} head {hi}", "viridis", 0.0, 1.0)
            if grads is not None:
                g = grads[li][hi]
                bound = float(abs(g).max()) or 1.0
                _heatmap(axes[li][hi * per_head + 1], g, rows, cols,
                         f"layer {li} head {hi}: d loss / d weight", "RdBu_r", -bound, bound)
    what = "" if grads is None else " and the gradient of the loss w.r.t. them"
    fig.suptitle(f"{kind.replace('_', ' ')} attention weights{what} (rows attend to columns)",
                 fontsize=9)
    return fig


class GradientNorms:
    """Collects the gradient norm of every parameter during a backward pass,
    through tensor hooks (``register_hook``), for ``gradient_norms_plot``."""

    def __init__(self, model):
        self.norms = {}
        self._handles = [p.register_hook(self._hook(name)) for name, p in model.named_parameters()]

    def _hook(self, name):
        def record(grad):
            self.norms[name] = float((grad.data * grad.data).sum()) ** 0.5
        return record

    def remove(self):
        for h in self._handles:
            h.remove()
        self._handles = []


def gradient_norms_plot(norms: dict, path, title="gradient norm per parameter"):
    """Horizontal bars, one per parameter (dotted path), log scale: where the
    gradient signal is strong or vanishing through the stack."""
    names = list(norms)
    fig, ax = plt.subplots(figsize=(7, 0.18 * len(names) + 1.2))
    ax.barh(range(len(names)), [max(norms[n], 1e-12) for n in names], color="#4a7ab5")
    ax.set_yticks(range(len(names)))
    ax.set_yticklabels(names, fontsize=6)
    ax.invert_yaxis()
    ax.set_xscale("log")
    ax.set_xlabel("L2 norm of the gradient")
    ax.set_title(title, fontsize=9)
    ax.grid(axis="x", alpha=0.3)
    _save(fig, path)
