# %% [markdown]
# # 4. Positions
#
# **By the end of this notebook you will be able to:**
#
# - show numerically that self-attention without positional information is permutation-equivariant: shuffle the words and the outputs are shuffled the same way, nothing else changes;
# - build and plot the sinusoidal positional encoding of the paper;
# - prove and verify that $PE(pos + k)$ is a fixed linear map (a rotation) of $PE(pos)$, the same for every position;
# - compare sinusoidal with learned positions on a task that needs them, and with no positions at all.
#
# Notebook 2 ended with two identical rows: the two "the"s of "the cat sat on the mat" got the same attention, because nothing in attention knows *where* a word is. This notebook adds the *where*.
# %% [markdown zh]
# # 4. 位置
#
# **学完本节，你将能够：**
#
# - 用数值说明：没有位置信息的自注意力是置换等变的——打乱词序，输出也以同样的方式被打乱，别的什么都不变；
# - 构造并画出论文中的正弦位置编码；
# - 证明并验证 $PE(pos + k)$ 是 $PE(pos)$ 的一个固定线性映射（一个旋转），对每个位置都相同；
# - 在一个离不开位置信息的任务上，比较正弦位置、可学习位置和完全没有位置。
#
# 第 2 节结尾出现了两行完全相同的权重："the cat sat on the mat" 里的两个 "the" 得到了同样的注意力，因为注意力中没有任何东西知道一个词*在哪里*。本节把这个*在哪里*加进来。
# %%
import math

import matplotlib.pyplot as plt

import autograd as ag
import nn
import transformer

ag.set_default_dtype(ag.float64)     # see notebook 3: float64 keeps stored numbers identical everywhere
ag.manual_seed(0)
# %% [markdown]
# ## Without positions, order does not exist
#
# Let $P$ be a permutation matrix (it reorders the rows of whatever it multiplies). Feed self-attention the shuffled sentence $PX$ instead of $X$:
#
# $$P X W_q\,(P X W_k)^\top = P\,(Q K^\top)\,P^\top, \qquad \mathrm{softmax}(P S P^\top) = P\,\mathrm{softmax}(S)\,P^\top, \qquad P A P^\top\, P V = P\,(A V),$$
#
# because $P^\top P = I$ and a row-wise softmax does not care in which order its entries come. The output is the old output, shuffled in the same way: self-attention is **permutation-equivariant**. The feed-forward layers and LayerNorm act on each position alone, so a whole encoder is too. We check it on an encoder of two layers with `positional="none"`, and see the property disappear once sinusoidal positions are added.
# %% [markdown zh]
# ## 没有位置，就没有顺序
#
# 设 $P$ 是一个置换矩阵（它会重排所乘矩阵的各行）。把打乱后的句子 $PX$ 而不是 $X$ 送进自注意力：
#
# $$P X W_q\,(P X W_k)^\top = P\,(Q K^\top)\,P^\top, \qquad \mathrm{softmax}(P S P^\top) = P\,\mathrm{softmax}(S)\,P^\top, \qquad P A P^\top\, P V = P\,(A V),$$
#
# 因为 $P^\top P = I$，而逐行的 softmax 并不在乎各项以什么顺序出现。输出就是原来的输出，以同样方式打乱：自注意力是**置换等变**的。前馈层和 LayerNorm 都只作用在单个位置上，所以整个编码器也是如此。我们在一个两层、`positional="none"` 的编码器上检验这一点，再看加上正弦位置后这个性质如何消失。
# %%
def encoder(positional):
    ag.manual_seed(0)
    config = transformer.TransformerConfig(
        src_vocab_size=20, tgt_vocab_size=20, d_model=32, n_heads=4, n_encoder_layers=2,
        d_ff=64, dropout=0.0, attention_dropout=0.0, max_len=16, positional=positional)
    return transformer.Encoder(config).eval()


ids = ag.tensor([[5, 9, 3, 7, 5, 12]])            # "the cat sat on the mat" as ids: 5 twice
perm = [3, 0, 5, 1, 4, 2]                          # a shuffle of the six positions
for positional in ("none", "sinusoidal"):
    enc = encoder(positional)
    out, out_of_shuffled = enc(ids), enc(ids[:, perm])
    gap = (out_of_shuffled - out[:, perm]).abs().max().item()
    print(f"positional={positional!r:12}: max |f(P x) - P f(x)| = {gap:.1e}")
    if positional == "none":
        assert gap < 1e-12
    else:
        assert gap > 0.1
# %% [markdown]
# Without positions, shuffling the input shuffles the output and changes nothing else (to rounding, $10^{-12}$ in float64); with positions, the outputs really change. A model without positions cannot tell "dog bites man" from "man bites dog".
# %% [markdown zh]
# 没有位置时，打乱输入只会打乱输出，别的什么都不变（差别只在舍入误差的量级，float64 下小于 $10^{-12}$）；加上位置后，输出真的变了。一个没有位置信息的模型分不清 "dog bites man" 和 "man bites dog"。
# %% [markdown]
# ## The sinusoidal table
#
# The paper adds to each embedding a vector that depends only on the position:
#
# $$PE(pos, 2i) = \sin\!\left(\frac{pos}{10000^{2i/d}}\right), \qquad PE(pos, 2i+1) = \cos\!\left(\frac{pos}{10000^{2i/d}}\right).$$
#
# Each pair of dimensions $(2i, 2i+1)$ is a clock hand turning at its own speed $\omega_i = 10000^{-2i/d}$: the first pairs turn once every $2\pi \approx 6$ positions, the last ones take tens of thousands of positions per turn. Like the digits of a number, fast and slow hands together give every position its own pattern.
# %% [markdown zh]
# ## 正弦位置表
#
# 论文给每个词嵌入加上一个只取决于位置的向量：
#
# $$PE(pos, 2i) = \sin\!\left(\frac{pos}{10000^{2i/d}}\right), \qquad PE(pos, 2i+1) = \cos\!\left(\frac{pos}{10000^{2i/d}}\right).$$
#
# 每一对维度 $(2i, 2i+1)$ 就像一根以自己的速度 $\omega_i = 10000^{-2i/d}$ 转动的钟表指针：最前面的几对每 $2\pi \approx 6$ 个位置转一圈，最后几对要几万个位置才转一圈。就像一个数的各位数字，快针和慢针合在一起，让每个位置都有自己独特的图案。
# %%
L, d = 100, 64
pe = transformer.sinusoid_table(L, d)                # (L, d)
print("table:", pe.shape)

fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 3.6), gridspec_kw={"width_ratios": [1.2, 1]})
image = ax1.imshow(pe.T.numpy(), aspect="auto", cmap="RdBu", vmin=-1, vmax=1)
ax1.set(xlabel="position", ylabel="dimension", title="PE(pos, dimension)")
fig.colorbar(image, ax=ax1)
for dim in (4, 10, 20, 40):
    ax2.plot(pe[:, dim].numpy(), label=f"dimension {dim}")
ax2.set(xlabel="position", title="a few dimensions")
ax2.legend(loc="lower left", fontsize=8)
plt.show()

omega = [10000 ** (-2 * i / d) for i in range(d // 2)]
assert abs(pe[7, 2 * 5].item() - math.sin(7 * omega[5])) < 1e-15
assert abs(pe[7, 2 * 5 + 1].item() - math.cos(7 * omega[5])) < 1e-15
assert abs(2 * math.pi / omega[0] - 6.28) < 0.01 and 2 * math.pi / omega[-1] > 10000
# %% [markdown]
# ## $PE(pos + k)$ is a rotation of $PE(pos)$
#
# The paper chose sinusoids because, it says, "for any fixed offset $k$, $PE_{pos+k}$ can be represented as a linear function of $PE_{pos}$". The addition formulas prove it, for each pair of dimensions:
#
# $$\begin{pmatrix} \sin \omega(p + k) \\ \cos \omega(p + k) \end{pmatrix} = \begin{pmatrix} \cos \omega k & \sin \omega k \\ -\sin \omega k & \cos \omega k \end{pmatrix} \begin{pmatrix} \sin \omega p \\ \cos \omega p \end{pmatrix}.$$
#
# So $PE(pos + k) = M_k\, PE(pos)$ with $M_k$ block-diagonal, one $2 \times 2$ rotation by $\omega_i k$ per pair, and $M_k$ **does not depend on $pos$**. A linear layer can therefore compute "the position $k$ before me" the same way everywhere in the sentence. We build $M_k$ from the formula and verify it on every position of the table, for several $k$, to $10^{-10}$; and since it is a rotation, $M_k$ is orthogonal and $M_j M_k = M_{j+k}$.
# %% [markdown zh]
# ## $PE(pos + k)$ 是 $PE(pos)$ 的旋转
#
# 论文选用正弦函数，是因为（原文说）"对任意固定的偏移 $k$，$PE_{pos+k}$ 都可以表示为 $PE_{pos}$ 的线性函数"。对每一对维度，用和角公式就能证明：
#
# $$\begin{pmatrix} \sin \omega(p + k) \\ \cos \omega(p + k) \end{pmatrix} = \begin{pmatrix} \cos \omega k & \sin \omega k \\ -\sin \omega k & \cos \omega k \end{pmatrix} \begin{pmatrix} \sin \omega p \\ \cos \omega p \end{pmatrix}.$$
#
# 所以 $PE(pos + k) = M_k\, PE(pos)$，其中 $M_k$ 是分块对角矩阵，每对维度一个转角为 $\omega_i k$ 的 $2 \times 2$ 旋转，而且 $M_k$ **与 $pos$ 无关**。因此一个线性层可以在句子中任何地方用同一种方式算出"我前面第 $k$ 个位置"。我们按公式构造 $M_k$，在表中每个位置、对几个不同的 $k$ 验证它，误差不超过 $10^{-10}$；既然它是旋转，$M_k$ 是正交矩阵，并且 $M_j M_k = M_{j+k}$。
# %%
def shift_matrix(k):
    """M_k: block-diagonal, a 2 x 2 rotation by omega_i * k for each pair of dimensions."""
    rows = [[0.0] * d for _ in range(d)]
    for i, w in enumerate(omega):
        c, s = math.cos(w * k), math.sin(w * k)
        rows[2 * i][2 * i], rows[2 * i][2 * i + 1] = c, s
        rows[2 * i + 1][2 * i], rows[2 * i + 1][2 * i + 1] = -s, c
    return ag.tensor(rows)


for k in (1, 5, 20, 50):
    M = shift_matrix(k)
    predicted = pe[:L - k] @ M.T                     # row p: M_k PE(p)
    error = (predicted - pe[k:]).abs().max().item()
    print(f"k = {k:2d}: max over all positions |M_k PE(pos) - PE(pos + k)| = {error:.1e}")
    assert error < 1e-10
    assert (M @ M.T - ag.eye(d)).abs().max().item() < 1e-12             # a rotation
assert (shift_matrix(5) @ shift_matrix(20) - shift_matrix(25)).abs().max().item() < 1e-12
# %% [markdown]
# A consequence: the dot product $PE(p) \cdot PE(p + k) = \sum_i \cos(\omega_i k)$ depends only on the offset $k$, not on $p$. Plotted against $k$, it is largest at $k = 0$, next largest at $k = 1$, and falls off with ripples: nearby positions look alike.
# %% [markdown zh]
# 由此还能推出：点积 $PE(p) \cdot PE(p + k) = \sum_i \cos(\omega_i k)$ 只取决于偏移 $k$，与 $p$ 无关。把它对 $k$ 作图，在 $k = 0$ 处最大，$k = 1$ 处次之，然后带着起伏逐渐下降：相近的位置彼此相似。
# %%
similarity = pe @ pe.T                                # (L, L): PE(p) . PE(q)
offsets = list(range(L))
by_formula = [sum(math.cos(w * k) for w in omega) for k in offsets]
for p in (0, 10, 40):
    along = [similarity[p, p + k].item() for k in range(L - p)]
    assert max(abs(a - b) for a, b in zip(along, by_formula)) < 1e-10

fig, ax = plt.subplots(figsize=(6, 3))
ax.plot(offsets, by_formula)
ax.set(xlabel="offset k", ylabel="PE(p) . PE(p + k)", title="the same for every p")
plt.show()
assert max(by_formula) == by_formula[0] == d / 2 and max(by_formula[1:]) == by_formula[1]
# %% [markdown]
# ## Learned positions, sinusoidal positions, none
#
# The alternative is to *learn* one vector per position, a second embedding table indexed by position (`positional="learned"`). The paper tried both and found "nearly identical results" (its Table 3, row E); it kept the sinusoids because they might extrapolate to sequences longer than those seen in training, where a learned table simply has no row.
#
# A task that needs positions: **reverse** a sequence of 8 symbols (output at position $t$ = input at position $7 - t$). Three identical encoders (two layers, $d_{model} = 32$), differing only in their positions, each trained for 400 steps with Adam (the learning rate warms up for 40 steps, then decays to 0 along a cosine: without the decay, a post-norm Transformer trained at a constant 0.003 can blow up late in training):
# %% [markdown zh]
# ## 可学习位置、正弦位置、没有位置
#
# 另一种做法是为每个位置*学习*一个向量，也就是第二张按位置索引的嵌入表（`positional="learned"`）。论文两种都试过，发现"结果几乎相同"（论文表 3 的 E 行）；它保留正弦编码，是因为它也许能外推到比训练时更长的序列，而可学习的表对那些位置根本没有对应的行。
#
# 一个需要位置信息的任务：把一个由 8 个符号组成的序列**倒过来**（位置 $t$ 的输出 = 位置 $7 - t$ 的输入）。三个完全相同的编码器（两层，$d_{model} = 32$），只有位置编码不同，各用 Adam 训练 400 步（学习率先预热 40 步，再沿余弦曲线衰减到 0：如果不衰减，以恒定的 0.003 训练的后归一化 Transformer 可能在训练后期突然发散）：
# %%
V, T = 10, 8
reverse = list(range(T - 1, -1, -1))


def train_reverser(positional, steps=400):
    ag.manual_seed(0)
    config = transformer.TransformerConfig(
        src_vocab_size=V, tgt_vocab_size=V, d_model=32, n_heads=4, n_encoder_layers=2, d_ff=64,
        dropout=0.0, attention_dropout=0.0, max_len=T, positional=positional)
    enc, read_out = transformer.Encoder(config), nn.Linear(32, V)
    for p in enc.parameters():
        if p.ndim > 1:
            nn.init.xavier_uniform_(p)                # as transformer.Transformer initialises
    optimizer = nn.optim.Adam(list(enc.parameters()) + list(read_out.parameters()), lr=3e-3)
    schedule = nn.optim.WarmupCosineSchedule(optimizer, warmup_steps=40, total_steps=steps)
    losses = []
    for step in range(steps):
        ids = ag.randint(1, V, (64, T))               # 0 is padding: symbols 1..9
        loss = ag.cross_entropy(read_out(enc(ids)), ids[:, reverse])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        schedule.step()
        losses.append(loss.item())
    ids = ag.randint(1, V, (500, T))
    with ag.no_grad():
        accuracy = (read_out(enc.eval()(ids)).argmax(dim=-1) == ids[:, reverse]).float().mean()
    return enc, losses, accuracy.item()


runs = {p: train_reverser(p) for p in ("none", "sinusoidal", "learned")}
fig, ax = plt.subplots(figsize=(6, 3.5))
for positional, (_, losses, accuracy) in runs.items():
    ax.plot(losses, label=f"{positional}: accuracy {accuracy:.1%}")
    print(f"{positional:10}: final loss {losses[-1]:.3f}, accuracy on 500 new sequences {accuracy:.1%}")
ax.set(xlabel="step", ylabel="loss", title="reversing 8 symbols")
ax.legend()
plt.show()
# %% [markdown]
# Both kinds of positions solve the task (above 95% of the symbols right on new sequences); without positions the model is stuck below 50%. It cannot be otherwise: being permutation-equivariant, the model without positions computes at position $t$ a function of the symbol at $t$ and of the *set* of symbols around it, and the best such a function can do is guess a frequent symbol of the sequence.
# %% [markdown zh]
# 两种位置编码都解决了这个任务（在新序列上超过 95% 的符号正确）；没有位置的模型则停在 50% 以下。也只能如此：由于置换等变，没有位置的模型在位置 $t$ 上计算的，只是位置 $t$ 的符号和周围符号*集合*的函数，这样的函数最多只能猜序列中出现得多的符号。
# %%
accuracy = {p: run[2] for p, run in runs.items()}
assert accuracy["sinusoidal"] > 0.95 and accuracy["learned"] > 0.95
assert accuracy["none"] < 0.5
# %% [markdown]
# What did the learned table learn? The cosine similarity between the position vectors, next to that of the sinusoidal table. The sinusoids are smooth by construction: neighbouring positions are alike (cosine similarity above 0.9). The learned vectors started as random noise and were only asked to tell the 8 positions apart for this task; they have no such order: neighbours are no more alike than any two positions (their mean similarity is below 0.3).
# %% [markdown zh]
# 可学习的表学到了什么？下面是各位置向量之间的余弦相似度，旁边是正弦表的。正弦编码按构造就是平滑的：相邻位置彼此相似（余弦相似度超过 0.9）。可学习的向量从随机噪声开始，只被要求在这个任务中把 8 个位置区分开；它们没有这样的顺序：相邻位置并不比任意两个位置更相似（平均相似度低于 0.3）。
# %%
def cosine_similarity(table):
    unit = table / table.norm(dim=-1, keepdim=True)
    return unit @ unit.T


learned = runs["learned"][0].embed.position.table.detach()            # (T, 32): a parameter
tables = {"sinusoidal": transformer.sinusoid_table(T, 32), "learned": learned}
fig, axes = plt.subplots(1, 2, figsize=(8, 3.6))
for ax, (name, table) in zip(axes, tables.items()):
    image = ax.imshow(cosine_similarity(table).numpy(), cmap="RdBu", vmin=-1, vmax=1)
    ax.set(title=f"{name} positions", xlabel="position", ylabel="position")
fig.colorbar(image, ax=axes)
plt.show()

def neighbour_similarity(table):
    sim = cosine_similarity(table)
    return sum(sim[i, i + 1].item() for i in range(T - 1)) / (T - 1)


for name, table in tables.items():
    print(f"{name:10}: mean cosine similarity of neighbouring positions {neighbour_similarity(table):+.2f}")
assert neighbour_similarity(tables["sinusoidal"]) > 0.9 and neighbour_similarity(learned) < 0.3
# %% [markdown]
# ## What to remember
#
# - Self-attention (and a whole encoder) without positions is permutation-equivariant: $f(PX) = P f(X)$.
# - The sinusoidal table gives each pair of dimensions a rotation at its own frequency; $PE(pos + k) = M_k\, PE(pos)$ with the same rotation $M_k$ at every position.
# - Learned positions work as well on lengths seen in training; without positions, order-dependent tasks are out of reach.
#
# Next: [5. Residuals and LayerNorm](05_residuals_layernorm.ipynb).
# %% [markdown zh]
# ## 要记住的
#
# - 没有位置信息的自注意力（以及整个编码器）是置换等变的：$f(PX) = P f(X)$。
# - 正弦表让每一对维度以自己的频率旋转；$PE(pos + k) = M_k\, PE(pos)$，在每个位置都是同一个旋转 $M_k$。
# - 在训练见过的长度上，可学习位置同样好用；没有位置，依赖顺序的任务就无从完成。
#
# 下一节：[5. 残差与 LayerNorm](05_residuals_layernorm.ipynb)。
