"""The model's hyper-parameters, with the paper's base model as defaults."""
from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace


@dataclass
class TransformerConfig:
    src_vocab_size: int = 1000       # source token ids are in [0, src_vocab_size)
    tgt_vocab_size: int = 1000       # target token ids are in [0, tgt_vocab_size)
    d_model: int = 512               # width of every sublayer output (paper: 512)
    n_heads: int = 8                 # attention heads; d_k = d_v = d_model / n_heads (paper: 8)
    n_encoder_layers: int = 6        # N in the paper's Figure 1 (paper: 6)
    n_decoder_layers: int = 6        # decoder stack depth (paper: 6)
    d_ff: int = 2048                 # inner width of the position-wise feed-forward (paper: 2048)
    dropout: float = 0.1             # on sublayer outputs and on embedding sums (paper: 0.1)
    attention_dropout: float = 0.1   # on attention weights (the Annotated Transformer's choice)
    max_len: int = 256               # longest sequence the positional table covers
    activation: str = "relu"         # feed-forward nonlinearity: "relu" (paper) or "gelu" (tanh form)
    positional: str = "sinusoidal"   # "sinusoidal" (paper), "learned", or "none"
    norm_first: bool = False         # False: post-norm LayerNorm(x + Sublayer(x)) as the paper;
                                     # True: pre-norm x + Sublayer(LayerNorm(x)), plus a final
                                     # LayerNorm per stack (departs from the paper; trains easier)
    share_embeddings: bool = False   # one embedding for source and target (needs one vocabulary)
    tie_output: bool = True          # output projection uses the target embedding (paper 3.4)
    pad_id: int = 0                  # padding id: masked as a key, ignored by the loss
    layer_norm_eps: float = 1e-5     # eps inside LayerNorm's sqrt (PyTorch's; paper unspecified)

    def __post_init__(self):
        if self.n_heads < 1:
            raise ValueError(f"TransformerConfig: n_heads must be at least 1, got {self.n_heads}")
        if self.d_model % self.n_heads:
            raise ValueError(f"TransformerConfig: d_model ({self.d_model}) must be divisible by "
                             f"n_heads ({self.n_heads})")
        if self.activation not in ("relu", "gelu"):
            raise ValueError(f"TransformerConfig: activation must be 'relu' or 'gelu', "
                             f"got {self.activation!r}")
        if self.positional not in ("sinusoidal", "learned", "none"):
            raise ValueError(f"TransformerConfig: positional must be 'sinusoidal', 'learned' or "
                             f"'none', got {self.positional!r}")
        if self.share_embeddings and self.src_vocab_size != self.tgt_vocab_size:
            raise ValueError("TransformerConfig: share_embeddings needs src_vocab_size == "
                             f"tgt_vocab_size, got {self.src_vocab_size} and {self.tgt_vocab_size}")

    @property
    def d_k(self) -> int:
        return self.d_model // self.n_heads

    @classmethod
    def preset(cls, name: str, **overrides) -> "TransformerConfig":
        """"tiny", "small" or "base" (the paper's base model), with overrides."""
        try:
            sizes = PRESETS[name]
        except KeyError:
            raise ValueError(f"unknown model preset {name!r}; choose one of {sorted(PRESETS)}") \
                from None
        return cls(**{**sizes, **overrides})

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "TransformerConfig":
        """A config from its dict (a checkpoint's): no unknown names, each
        value of its field's type."""
        names = {f.name for f in fields(cls)}
        unknown = sorted(set(d) - names)
        if unknown:
            raise ValueError(f"TransformerConfig: unknown settings {unknown}")
        for f in fields(cls):
            if f.name in d and not _of_type(d[f.name], f.type):
                raise ValueError(f"TransformerConfig: {f.name} must be of type {f.type}, got "
                                 f"{d[f.name]!r}")
        return cls(**d)

    def replace(self, **changes) -> "TransformerConfig":
        return replace(self, **changes)


def _of_type(value, type_name) -> bool:
    if type_name == "bool" or isinstance(value, bool):
        return type_name == "bool" and isinstance(value, bool)
    return isinstance(value, {"int": int, "float": (int, float), "str": str}[type_name])


PRESETS = {
    "tiny": dict(d_model=64, n_heads=4, n_encoder_layers=2, n_decoder_layers=2, d_ff=256),
    "small": dict(d_model=256, n_heads=8, n_encoder_layers=3, n_decoder_layers=3, d_ff=512),
    "base": dict(d_model=512, n_heads=8, n_encoder_layers=6, n_decoder_layers=6, d_ff=2048),
}
