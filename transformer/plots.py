"""Pictures of a run: the loss curve, the gradient norm of every parameter,
and attention heatmaps (which source token each predicted token attends to,
per layer and head, beside the gradient of the loss with respect to the
attention scores).

Every helper returns a matplotlib ``Figure``, made without pyplot: no
backend is chosen here (nor needed: ``save`` writes PNG through Agg
whatever the backend), no figure is left open, and a notebook shows the
returned figure inline. ``save(figure, path)`` writes it atomically.
"""
from __future__ import annotations

import math
import os

import matplotlib
from matplotlib.figure import Figure

import autograd as ag
from nn.atomic import atomic_write

MASKED_COLOUR = "#d0d0d0"            # cells a mask forbids: no weight, no gradient
_PANEL_INCHES = 2.4
_HEADS_PER_ROW = 4


def save(figure, path):
    """Write ``figure`` as PNG, atomically (temporary file, then rename)."""
    atomic_write(path, lambda f: figure.savefig(f, format="png", dpi=110))


def _colormap(name):
    return matplotlib.colormaps[name].with_extremes(bad=MASKED_COLOUR)   # NaN cells: masked


# ------------------------------------------------------------------ the loss

def loss_curve(records) -> Figure:
    """Training loss per logged step and validation loss per epoch."""
    steps = [(r["step"], r["loss"]) for r in records if r.get("kind") == "step"]
    epochs = [(r["step"], r["valid_loss"]) for r in records if r.get("kind") == "epoch"]
    fig = Figure(figsize=(7, 4), layout="constrained")
    ax = fig.subplots()
    if steps:
        ax.plot(*zip(*steps), lw=1, label="train loss (label-smoothed)")
    if epochs:
        ax.plot(*zip(*epochs), "o-", label="validation loss (NLL)")
    ax.set_xlabel("optimizer step")
    ax.set_ylabel("loss")
    ax.set_yscale("log")
    ax.grid(alpha=0.3)
    if steps or epochs:
        ax.legend()
    return fig


# ------------------------------------------------------- gradient norms

class GradientNorms:
    """Collects the gradient norm of every parameter during a backward pass,
    through tensor hooks (``register_hook``), for ``gradient_norms_plot``;
    after ``remove()``, ``norms`` is in model order (``named_parameters``)."""

    def __init__(self, model):
        self.norms = {}
        self._names = [name for name, _ in model.named_parameters()]
        self._handles = [p.register_hook(self._hook(name)) for name, p in model.named_parameters()]

    def _hook(self, name):
        def record(grad):
            self.norms[name] = float((grad.data * grad.data).sum()) ** 0.5
        return record

    def remove(self):
        for h in self._handles:
            h.remove()
        self._handles = []
        self.norms = {name: self.norms[name] for name in self._names if name in self.norms}


def module_of(name: str) -> str:
    """The group of a parameter in the picture: its attention, feed-forward
    or LayerNorm block inside a layer (``encoder.layers.0.self_attn``), else
    its top two levels (``encoder.embed``, ``generator``)."""
    parts = name.split(".")
    if "layers" in parts:
        return ".".join(parts[:parts.index("layers") + 3])
    return ".".join(parts[:2]) if len(parts) > 2 else parts[0]


_KEY_BIAS_NOTE = ("~0: the key bias b_k adds q·b_k to every score of a row alike, and softmax "
                  "ignores a constant added to a whole row, so its gradient is 0 up to rounding")


def gradient_norms_plot(norms: dict, title="gradient norm per parameter") -> Figure:
    """Horizontal bars, log scale, one per parameter under a bold heading
    per module, in model order: where the gradient signal is strong or
    vanishing through the stack. Norms below a millionth of the largest
    are hatched and marked ~0 (the attention key biases always are)."""
    rows = _grouped_rows(norms)
    largest = max(norms.values(), default=0.0) or 1.0
    fig = Figure(figsize=(7.5, 0.17 * len(rows) + 1.6), layout="constrained")
    ax = fig.subplots()
    for y, (label, value) in enumerate(rows):
        if value is None:
            continue
        tiny = value < 1e-6 * largest
        ax.barh(y, max(value, 1e-12), color="#bbbbbb" if tiny else "#4a7ab5",
                hatch="///" if tiny else None)
        if tiny:
            ax.text(max(value, 1e-12), y, " ~0", va="center", fontsize=6)
    ax.set_yticks(range(len(rows)), [label for label, _ in rows], fontsize=6)
    for tick, (_, value) in zip(ax.get_yticklabels(), rows):
        if value is None:
            tick.set_fontweight("bold")
    ax.set_ylim(len(rows) - 0.5, -0.5)
    ax.set_xscale("log")
    ax.set_xlabel("L2 norm of the gradient")
    ax.set_title(title, fontsize=9)
    ax.grid(axis="x", alpha=0.3)
    if any(name.endswith("w_k.bias") for name in norms):
        fig.supxlabel("w_k.bias " + _KEY_BIAS_NOTE, fontsize=6, wrap=True)
    return fig


def _grouped_rows(norms):
    """(label, norm) rows: a (module, None) heading, then its parameters."""
    rows, current = [], None
    for name, value in norms.items():
        group = module_of(name)
        if group != current:
            rows.append((group, None))
            current = group
        rows.append(("    " + name[len(group) + 1:], value))
    return rows


# ------------------------------------------------------------------ attention

_KINDS = {"encoder_self": "encoder self-attention", "decoder_self": "decoder self-attention",
          "cross": "cross-attention (decoder to encoder)"}


def attention_maps(model, src_tokens, tgt_in_tokens, src_ids, tgt_in_ids, out_dir,
                   prefix="attention", tgt_out_ids=None, layers=None, heads=None):
    """Write ``attention_figures`` as ``{prefix}_{kind}_layer{L}.png`` into
    ``out_dir``; returns the paths."""
    os.makedirs(out_dir, exist_ok=True)
    paths = []
    for name, figure in attention_figures(model, src_tokens, tgt_in_tokens, src_ids, tgt_in_ids,
                                          tgt_out_ids, layers, heads).items():
        paths.append(os.path.join(out_dir, f"{prefix}_{name}.png"))
        save(figure, paths[-1])
    return paths


def attention_figures(model, src_tokens, tgt_in_tokens, src_ids, tgt_in_ids, tgt_out_ids=None,
                      layers=None, heads=None) -> dict:
    """One Figure per attention kind (encoder self, decoder self, cross) and
    layer, keyed ``{kind}_layer{L}``, a panel per head (``heads``, default
    all; ``layers``, default all). Rows are labelled with the token each
    position predicts (the decoder input shifted left, then <eos>).

    With ``tgt_out_ids`` each head's weights stand above the gradient of the
    loss (the NLL of ``tgt_out_ids``) with respect to the attention *scores*
    (before softmax): where the loss would move attention. Cells the causal
    mask forbids are grey in both: they take no weight and pass no gradient."""
    model.eval()
    with_grad = tgt_out_ids is not None
    model.keep_attention_weights("grad" if with_grad else True)
    try:
        _forward(model, src_ids, tgt_in_ids, tgt_out_ids)
        predicted = list(tgt_in_tokens[1:]) + ["<eos>"]
        figures = {}
        for kind, (blocks, rows, cols) in _attention_blocks(model, src_tokens, tgt_in_tokens,
                                                            predicted).items():
            for li in [i for i in chosen(layers, len(blocks), "layer", _deepest(model))
                       if i < len(blocks)]:
                weights = blocks[li].last_weights
                grads = _score_gradients(weights) if with_grad else None
                figures[f"{kind}_layer{li}"] = _attention_figure(
                    f"{_KINDS[kind]}, layer {li}", weights.numpy()[0], grads, rows, cols,
                    chosen(heads, weights.shape[1], "head"), causal=kind == "decoder_self")
        return figures
    finally:
        model.keep_attention_weights(False)
        model.zero_grad()


def chosen(indices, count, what, largest=None):
    """``indices`` (all ``count`` when None), each checked against
    ``largest`` (default ``count``): the model's number of layers or heads."""
    if indices is None:
        return list(range(count))
    largest = count if largest is None else largest
    bad = [i for i in indices if not 0 <= i < largest]
    if bad:
        raise ValueError(f"--{what} {bad[0]}: the model has {largest} {what}s (0 to "
                         f"{largest - 1})")
    return sorted(set(indices))


def _deepest(model) -> int:
    """The layers of the deeper stack (a --layer only the other lacks is skipped there)."""
    return max(model.config.n_encoder_layers, model.config.n_decoder_layers)


def _attention_blocks(model, src_tokens, tgt_in_tokens, predicted):
    """kind -> (attention modules per layer, row labels, column labels)."""
    return {
        "encoder_self": ([l.self_attn for l in model.encoder.layers], src_tokens, src_tokens),
        "decoder_self": ([l.self_attn for l in model.decoder.layers], predicted, tgt_in_tokens),
        "cross": ([l.cross_attn for l in model.decoder.layers], predicted, src_tokens),
    }


def _forward(model, src_ids, tgt_in_ids, tgt_out_ids=None):
    """Run the model so that its attention blocks keep their weights; with
    ``tgt_out_ids``, backpropagate the loss into them as well."""
    if tgt_out_ids is None:
        with ag.no_grad():
            model(src_ids, tgt_in_ids)
        return
    logits = model(src_ids, tgt_in_ids)
    ag.cross_entropy(logits, tgt_out_ids, ignore_index=model.config.pad_id).backward()


def _score_gradients(weights):
    """d loss / d scores of the first sentence, (heads, T_q, T_k), from the
    weights w = softmax(s) and their gradient g: the softmax backward
    w * (g - sum_k w g). Where the mask gave a weight of 0 it is exactly 0."""
    w, g = weights.numpy()[0], weights.grad.numpy()[0]
    return w * (g - (w * g).sum(axis=-1, keepdims=True))


def _attention_figure(title, weights, grads, rows, cols, heads, causal):
    """The chosen heads of one layer: their weights, and below them their
    score gradients in the same order, with a colour bar for each half;
    masked cells grey."""
    n_cols = min(len(heads), _HEADS_PER_ROW)
    bands = math.ceil(len(heads) / n_cols)
    halves = 1 if grads is None else 2
    side = max(_PANEL_INCHES, 0.13 * max(len(rows), len(cols)) + 0.8)
    fig = Figure(figsize=(side * n_cols + 1.2, side * bands * halves + 0.8),
                 layout="constrained")
    axes = fig.subplots(bands * halves, n_cols, squeeze=False)
    for ax in axes.flat:
        ax.set_visible(False)                    # until a head's panel is drawn there
    spots = [divmod(i, n_cols) for i in range(len(heads))]
    weight_axes = [axes[band][col] for band, col in spots]
    grad_axes = [axes[bands + band][col] for band, col in spots] if grads is not None else []
    for ax, head in zip(weight_axes, heads):
        image = _heatmap(ax, _masked(weights[head], causal), rows, cols, f"head {head}",
                         "viridis", 0.0, 1.0)
    fig.colorbar(image, ax=weight_axes, shrink=0.8, label="attention weight")
    if grads is not None:
        bound = _bound(grads, heads)
        for ax, head in zip(grad_axes, heads):
            image = _heatmap(ax, _masked(grads[head], causal), rows, cols,
                             f"head {head}: d loss / d score", "RdBu_r", -bound, bound)
        fig.colorbar(image, ax=grad_axes, shrink=0.8, label="d loss / d score")
    note = "; grey: masked by the causal mask (no weight, no gradient)" if causal else ""
    fig.suptitle(f"{title}: rows (the token being predicted) attend to columns{note}",
                 fontsize=9)
    return fig


def _bound(grads, heads) -> float:
    """The symmetric colour range of a layer's gradients (1 if all are 0)."""
    if grads is None:
        return 1.0
    return max(float(abs(grads[h]).max()) for h in heads) or 1.0


def _masked(values, causal):
    """A copy with the cells a causal mask forbids (column > row) as NaN."""
    values = values.astype("float64")
    if causal:
        for i in range(values.shape[0]):
            values[i, i + 1:] = math.nan
    return values


def _heatmap(ax, values, rows, cols, title, cmap, vmin, vmax):
    ax.set_visible(True)
    image = ax.imshow(values, cmap=_colormap(cmap), vmin=vmin, vmax=vmax)
    ax.set_xticks(range(len(cols)), cols, rotation=90, fontsize=6)
    ax.set_yticks(range(len(rows)), rows, fontsize=6)
    ax.set_title(title, fontsize=7)
    return image
