"""The model, batch and loops that the data-parallel tests run on each of 2
ranks (``parallel_worker.py``) and, as the reference, in one process on the
concatenated batch."""
import autograd as ag
import nn
import transformer as T

ROWS_PER_RANK = 3       # b: each rank's batch; one process gets the 2b rows of both
ADAM_STEPS = 5


def micro_model(dtype, seed=0):
    """The smallest Transformer with every part, without dropout."""
    config = T.TransformerConfig(src_vocab_size=11, tgt_vocab_size=13, d_model=8, n_heads=2,
                                 n_encoder_layers=1, n_decoder_layers=1, d_ff=12, dropout=0.0,
                                 attention_dropout=0.0, max_len=16)
    ag.manual_seed(seed)
    return T.Transformer(config).to(dtype=dtype)


def full_batch(ranks):
    """(src, tgt_in, tgt_out) for ``ranks`` ranks: ranks * b rows of equal
    length (no padding, so every rank's mean loss has as many tokens)."""
    ag.manual_seed(1)
    n = ranks * ROWS_PER_RANK
    src = ag.randint(3, 11, (n, 6))
    tgt = ag.randint(3, 13, (n, 6))
    return src, tgt[:, :-1], tgt[:, 1:]


def rows_of(batch, rank):
    """Rank ``rank``'s b rows of the full batch."""
    return tuple(t[rank * ROWS_PER_RANK:(rank + 1) * ROWS_PER_RANK] for t in batch)


def loss_of(model, batch):
    src, tgt_in, tgt_out = batch
    return ag.cross_entropy(model(src, tgt_in), tgt_out, label_smoothing=0.1)


def gradients(model) -> dict:
    return {name: p.grad.numpy().copy() for name, p in model.named_parameters()}


def parameters(model) -> dict:
    return {name: p.numpy().copy() for name, p in model.named_parameters()}


def adam_steps(model, batch, steps=ADAM_STEPS):
    """``steps`` Adam updates on ``batch``; the parameters after them."""
    opt = nn.optim.Adam(model.parameters(), lr=1e-2)
    for _ in range(steps):
        opt.zero_grad()
        loss_of(model, batch).backward()
        opt.step()
    return parameters(model)
