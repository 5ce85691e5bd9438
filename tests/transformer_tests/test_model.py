"""The whole model: gradients, causality, padding, positions, learning."""
import numpy as np
import pytest

import autograd as ag
import nn
import transformer as T

from .helpers import BOS, EOS, PAD, batch, micro_config, model


def _loss(m, src, tgt_in, tgt_out, smoothing=0.1):
    return ag.cross_entropy(m(src, tgt_in), tgt_out, ignore_index=PAD, label_smoothing=smoothing)


def _loss_of_parameters(m):
    """(loss as a function of every parameter, in named order; the parameters)
    so that gradcheck perturbs exactly the tensors the model reads."""
    src, tgt_in, tgt_out = batch(m.config)
    params = dict(m.named_parameters())

    def loss_of(*ws):
        with nn.stateless.substituted(m, dict(zip(params, ws))):
            return _loss(m, src, tgt_in, tgt_out)
    return loss_of, params


@pytest.mark.parametrize("norm_first", [False, True])
def test_gradcheck_through_the_whole_model_loss(norm_first):
    m = model(micro_config(norm_first=norm_first))
    loss_of, params = _loss_of_parameters(m)
    names = list(params)
    ws = [params[n] for n in names]
    assert ag.gradcheck(loss_of, ws, elementwise_limit=0)      # every parameter, random directions
    # Elementwise on the attention projections of the decoder's cross-attention.
    attn = [n for n in names if "cross_attn.w_" in n and n.endswith("weight")]
    assert ag.gradcheck(lambda *w: loss_of(*[w[attn.index(n)] if n in attn else params[n]
                                            for n in names]),
                        [params[n] for n in attn])
    assert ag.gradgradcheck(loss_of, ws, elementwise_limit=0)


def test_every_parameter_gets_a_finite_gradient():
    c = micro_config(dropout=0.1, attention_dropout=0.1)
    m = model(c)
    src, tgt_in, tgt_out = batch(c)
    _loss(m, src, tgt_in, tgt_out).backward()
    for name, p in m.named_parameters():
        assert p.grad is not None, name
        assert np.all(np.isfinite(p.grad.numpy())), name
        assert np.any(p.grad.numpy() != 0), name


def test_weight_tying_shares_one_parameter():
    c = micro_config(src_vocab_size=13, share_embeddings=True, tie_output=True)
    m = model(c)
    w = m.encoder.embed.token.weight
    assert m.decoder.embed.token.weight is w and m.generator.weight is w
    names = [n for n, _ in m.named_parameters()]
    assert "decoder.embed.token.weight" not in names and "generator.weight" not in names
    untied = model(micro_config(tie_output=False))
    assert untied.generator.weight is not untied.decoder.embed.token.weight


def test_causality_future_targets_change_nothing_before_them():
    c = micro_config()
    m = model(c).eval()
    src, tgt_in, _ = batch(c)
    t = 2
    base = m(src, tgt_in).numpy()
    changed = tgt_in.numpy().copy()
    changed[:, t + 1:] = (changed[:, t + 1:] + 5) % c.tgt_vocab_size
    after = m(src, ag.tensor(changed)).numpy()
    np.testing.assert_array_equal(after[:, :t + 1], base[:, :t + 1])
    assert np.any(after[:, t + 1:] != base[:, t + 1:])


def test_causality_gradient_of_a_position_wrt_later_inputs_is_exactly_zero():
    c = micro_config()
    m = model(c).eval()
    src, tgt_in, _ = batch(c)
    captured = {}
    handle = m.decoder.embed.register_forward_hook(lambda mod, args, out: captured.update(x=out))
    logits = m(src, tgt_in)
    handle.remove()
    t = 1
    (g,) = ag.grad(logits[:, t].sum(), captured["x"])          # d logits[t] / d decoder inputs
    g = g.numpy()
    assert np.all(g[:, t + 1:] == 0.0)
    assert np.all(np.abs(g[0, :t + 1]).sum(-1) > 0)


def test_padded_source_content_changes_no_real_output():
    c = micro_config()
    m = model(c).eval()
    src, tgt_in, _ = batch(c)
    real = src.numpy() != PAD                                   # row 1 ends with padding
    base_logits = m(src, tgt_in).numpy()
    base_memory, _ = m.encode(src)

    def scramble(mod, args, out):
        noise = ag.randn(*out.shape, dtype=out.dtype) * 100
        return ag.where(ag.tensor(real[..., None]), out, noise)

    handle = m.encoder.embed.register_forward_hook(scramble)
    logits = m(src, tgt_in).numpy()
    memory, _ = m.encode(src)
    handle.remove()
    np.testing.assert_allclose(logits, base_logits, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(memory.numpy()[real], base_memory.numpy()[real], rtol=1e-12)


@pytest.mark.parametrize("positional,equivariant", [("none", True), ("sinusoidal", False),
                                                     ("learned", False)])
def test_encoder_self_attention_is_permutation_equivariant_only_without_positions(
        positional, equivariant):
    c = micro_config(positional=positional)
    ag.manual_seed(0)
    enc = T.Encoder(c).to(dtype=ag.float64).eval()
    src = ag.tensor([[3, 4, 5, 6, 7]])
    perm = [4, 2, 0, 1, 3]
    out = enc(src).numpy()[0]
    out_perm = enc(ag.tensor([[3, 4, 5, 6, 7][i] for i in perm]).reshape(1, 5)).numpy()[0]
    assert np.allclose(out_perm, out[perm], rtol=1e-10, atol=1e-12) == equivariant


def test_sinusoid_table_matches_the_paper():
    table = T.sinusoid_table(50, 16).numpy()
    pos, i = 7, 3
    assert table[pos, 2 * i] == pytest.approx(np.sin(pos / 10000 ** (2 * i / 16)))
    assert table[pos, 2 * i + 1] == pytest.approx(np.cos(pos / 10000 ** (2 * i / 16)))


def test_a_tiny_model_overfits_a_copy_batch():
    ag.manual_seed(0)
    c = T.TransformerConfig.preset("tiny", src_vocab_size=12, tgt_vocab_size=12, dropout=0.0,
                                   attention_dropout=0.0, max_len=16)
    m = T.Transformer(c)
    data = ag.randint(3, 12, (8, 7))
    src = data
    tgt = ag.concatenate([ag.full((8, 1), BOS, dtype=ag.int64), data,
                          ag.full((8, 1), EOS, dtype=ag.int64)], axis=1)
    opt = nn.optim.Adam(m.parameters(), lr=3e-3, betas=(0.9, 0.98), eps=1e-9)
    for step in range(150):
        loss = ag.cross_entropy(m(src, tgt[:, :-1]), tgt[:, 1:])
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert loss.item() < 0.02, loss.item()
    out = T.greedy_decode(m, src, BOS, EOS, max_len=9)
    np.testing.assert_array_equal(out.numpy()[:, :8], tgt.numpy()[:, 1:])


def test_encoder_classifier_and_decoder_only_lm():
    c = micro_config()
    ag.manual_seed(0)
    clf = T.EncoderClassifier(c, n_classes=3)
    ids = ag.tensor([[3, 4, 5, 0], [6, 7, 0, 0]])
    assert clf(ids).shape == (2, 3)
    lm = T.DecoderLM(c)
    logits = lm(ids)
    assert logits.shape == (2, 4, c.tgt_vocab_size)
    assert not any("cross_attn" in n for n, _ in lm.named_parameters())
    changed = ag.tensor([[3, 4, 9, 9], [6, 7, 0, 0]])
    np.testing.assert_array_equal(lm(changed).numpy()[0, :2], logits.numpy()[0, :2])


def test_model_runs_on_the_emulated_device():
    c = micro_config()
    m = model(c, dtype=ag.float32, device="emu")
    src, tgt_in, tgt_out = batch(c, device="emu")
    loss = _loss(m, src, tgt_in, tgt_out)
    loss.backward()
    assert loss.device == "emu:0"
    assert all(p.grad.device == "emu:0" for p in m.parameters())
    out = T.greedy_decode(m, src, BOS, EOS, max_len=4)
    assert out.device == "emu:0"


def test_gradient_checkpointing_gives_identical_gradients_and_loss():
    c = micro_config(dropout=0.2, attention_dropout=0.2)
    src, tgt_in, tgt_out = batch(c)
    results = []
    for checkpointing in (False, True):
        m = model(c).gradient_checkpointing(checkpointing)
        ag.manual_seed(7)
        loss = _loss(m, src, tgt_in, tgt_out)
        kinds = {fn.name for fn in ag.graph.recorded_ops(loss)}
        assert ("Checkpoint" in kinds) == checkpointing
        loss.backward()
        results.append((loss.item(), {n: p.grad.numpy() for n, p in m.named_parameters()}))
    (loss_a, grads_a), (loss_b, grads_b) = results
    assert loss_a == loss_b
    for name in grads_a:
        np.testing.assert_array_equal(grads_a[name], grads_b[name])   # bit for bit


def test_gradcheck_of_the_whole_model_in_training_mode_replays_dropout():
    m = model(micro_config(dropout=0.3, attention_dropout=0.3)).train()
    loss_of, params = _loss_of_parameters(m)
    assert ag.gradcheck(loss_of, list(params.values()), elementwise_limit=0)
