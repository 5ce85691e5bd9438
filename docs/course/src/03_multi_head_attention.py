# %% [markdown]
# # 3. Multi-head attention
#
# **By the end of this notebook you will be able to:**
#
# - split queries, keys and values into heads and merge the heads back with `view` and `transpose`, saying the shape after every line;
# - show that $h$ heads are $h$ independent attentions on slices of the same projections, and that the output projection $W_o$ sums their contributions;
# - check the gradient of the whole multi-head block with `gradcheck`;
# - train a tiny model and see its heads learn different relations, side by side.
#
# One attention produces one weighted average per position, so it can look at one kind of thing at a time. Multi-head attention runs several smaller attentions in parallel, each free to look for something else, for the same cost.
# %% [markdown zh]
# # 3. 多头注意力
#
# **学完本节，你将能够：**
#
# - 用 `view` 和 `transpose` 把查询、键、值拆成多个头，再把各头合并回来，并说出每一行之后的形状；
# - 说明 $h$ 个头就是在同一组投影的不同切片上做的 $h$ 个独立注意力，而输出投影 $W_o$ 把它们的贡献加在一起；
# - 用 `gradcheck` 检查整个多头模块的梯度；
# - 训练一个很小的模型，并排看到它的各个头学会了不同的关系。
#
# 一个注意力在每个位置只产生一个加权平均，所以一次只能关注一类东西。多头注意力并行运行几个更小的注意力，每个都可以去找别的东西，而总开销不变。
# %%
import math

import matplotlib.pyplot as plt

import autograd as ag
import nn
import transformer

ag.manual_seed(0)
# %% [markdown]
# ## Splitting into heads, merging back
#
# `transformer.MultiHeadAttention(d_model, h)` holds four `d_model × d_model` projections: `w_q`, `w_k`, `w_v` and `w_o`. The trick is that the projected queries are not used as one vector of `d_model` numbers per position but cut into $h$ groups of $d_k = d_{model}/h$: a reshape. A transpose then brings the head axis before the positions, so that the matrix products of attention run on each head separately, batched over (batch, head). Here it is by hand, with the shape after each line:
# %% [markdown zh]
# ## 拆成多个头，再合并回来
#
# `transformer.MultiHeadAttention(d_model, h)` 包含四个 `d_model × d_model` 的投影：`w_q`、`w_k`、`w_v` 和 `w_o`。诀窍在于：投影后的查询不是作为每个位置一个 `d_model` 维的向量来用，而是切成 $h$ 组，每组 $d_k = d_{model}/h$ 个数，这只是一次 reshape。接着一次 transpose 把头这一维移到位置之前，于是注意力里的矩阵乘法在每个头上分别进行，按（批次，头）成批计算。下面是手写版本，每一行后面标着形状：
# %%
B, T, d_model, h = 2, 5, 16, 4
d_k = d_model // h
mha = transformer.MultiHeadAttention(d_model, h)
x = ag.randn(B, T, d_model)


def split_heads(t):
    t = t.view(B, T, h, d_k)             # (B, T, h, d_k): the d_model features cut in h groups
    return t.transpose(1, 2)             # (B, h, T, d_k): one (T, d_k) matrix per head


q = split_heads(mha.w_q(x))
k = split_heads(mha.w_k(x))
v = split_heads(mha.w_v(x))
print("q, k, v   ", q.shape, "  (B, h, T, d_k)")
scores = q @ k.transpose(-2, -1) / math.sqrt(d_k)
print("scores    ", scores.shape, "  (B, h, T, T): one T x T table per head")
weights = scores.softmax(dim=-1)
heads = weights @ v
print("heads     ", heads.shape, "  (B, h, T, d_k)")
merged = heads.transpose(1, 2)
print("transposed", merged.shape, "  (B, T, h, d_k)")
merged = merged.contiguous().view(B, T, d_model)
print("merged    ", merged.shape, "  (B, T, d_model): the heads side by side")
out = mha.w_o(merged)
print("output    ", out.shape)

assert ag.allclose(out, mha(x, x, x), atol=1e-6)
# %% [markdown]
# The last line checks that these lines are exactly what the module computes. Two facts make the heads less mysterious:
#
# 1. **Head $i$ is an ordinary attention** whose projections are rows $i d_k$ to $(i+1) d_k$ of $W_q$, $W_k$ and $W_v$ (an `nn.Linear` computes $x W^\top + b$, so a slice of output features is a slice of the weight's rows).
# 2. **Concatenating and applying $W_o$ is a sum over heads:** $\mathrm{Concat}(\text{head}_1, \dots, \text{head}_h)\, W_o^\top = \sum_i \text{head}_i\, (W_o^{(i)})^\top$, where $W_o^{(i)}$ is the block of columns of $W_o$ that meets head $i$. Each head writes its own contribution into the output.
# %% [markdown zh]
# 最后一行确认这些代码和模块的计算完全一样。有两个事实能让多头不再神秘：
#
# 1. **第 $i$ 个头就是一个普通的注意力**，它的投影是 $W_q$、$W_k$、$W_v$ 的第 $i d_k$ 到 $(i+1) d_k$ 行（`nn.Linear` 计算的是 $x W^\top + b$，所以取一段输出特征，就是取权重的一段行）。
# 2. **先拼接再乘 $W_o$，等于对各头求和：** $\mathrm{Concat}(\text{head}_1, \dots, \text{head}_h)\, W_o^\top = \sum_i \text{head}_i\, (W_o^{(i)})^\top$，其中 $W_o^{(i)}$ 是 $W_o$ 中与第 $i$ 个头相乘的那一块列。每个头把自己的贡献写进输出。
# %%
def project(linear, rows):
    return x @ linear.weight[rows].T + linear.bias[rows]


contributions = []
for i in range(h):
    rows = slice(i * d_k, (i + 1) * d_k)
    q_i, k_i, v_i = project(mha.w_q, rows), project(mha.w_k, rows), project(mha.w_v, rows)
    head_i = (q_i @ k_i.transpose(-2, -1) / math.sqrt(d_k)).softmax(dim=-1) @ v_i   # (B, T, d_k)
    assert ag.allclose(head_i, heads[:, i], atol=1e-6)
    contributions.append(head_i @ mha.w_o.weight[:, rows].T)                          # (B, T, d_model)

assert ag.allclose(sum(contributions) + mha.w_o.bias, out, atol=1e-5)
print("each head is its own attention; the output is the sum of their contributions")
# %% [markdown]
# Splitting costs nothing: $h$ heads of width $d_k = d_{model}/h$ use the same four $d_{model} \times d_{model}$ matrices as one wide head, so the parameter count, $4(d_{model}^2 + d_{model})$, does not depend on $h$.
# %% [markdown zh]
# 拆分不花任何代价：$h$ 个宽度为 $d_k = d_{model}/h$ 的头，和一个宽头用的是同样四个 $d_{model} \times d_{model}$ 的矩阵，所以参数量 $4(d_{model}^2 + d_{model})$ 与 $h$ 无关。
# %%
for heads_count in (1, 2, 4, 8):
    n = transformer.MultiHeadAttention(d_model, heads_count).num_parameters()
    print(f"{heads_count} heads: {n} parameters")
    assert n == 4 * (d_model ** 2 + d_model)
# %% [markdown]
# ## The gradient of multi-head attention
#
# The split and the merge are a reshape and a transpose: their backward just moves the gradient back into place (`ViewBackward`, `TransposeBackward`), so the gradient of multi-head attention is the gradients of its heads, put side by side. `gradcheck` confirms it for the function above, with respect to the input and all eight weights and biases, in float64:
# %% [markdown zh]
# ## 多头注意力的梯度
#
# 拆分与合并只是 reshape 和 transpose：它们的反向传播只是把梯度搬回原位（`ViewBackward`、`TransposeBackward`），所以多头注意力的梯度就是各头梯度并排放在一起。`gradcheck` 在 float64 下对上面的函数确认了这一点，对输入以及全部八个权重和偏置都做了检查：
# %%
def multi_head(x, wq, bq, wk, bk, wv, bv, wo, bo):
    B, T, _ = x.shape

    def split(t):
        return t.view(B, T, h, d_k).transpose(1, 2)

    q, k, v = split(x @ wq.T + bq), split(x @ wk.T + bk), split(x @ wv.T + bv)
    heads = (q @ k.transpose(-2, -1) / math.sqrt(d_k)).softmax(dim=-1) @ v
    return heads.transpose(1, 2).contiguous().view(B, T, d_model) @ wo.T + bo


params = [p for lin in (mha.w_q, mha.w_k, mha.w_v, mha.w_o) for p in (lin.weight, lin.bias)]
inputs = [t.detach().double().requires_grad_() for t in [x[:1, :3]] + params]
assert ag.allclose(multi_head(x, *params), out, atol=1e-5)
assert ag.gradcheck(multi_head, inputs)
assert ag.gradgradcheck(multi_head, inputs)
print("gradcheck and gradgradcheck passed for multi-head attention")
# %% [markdown]
# ## A tiny trained model: different heads, different relations
#
# Do heads really specialise? Take sequences of 10 random symbols (out of 10) and ask, at every position $t$, for four things at once: the symbol 2 places before, 1 before, 1 after and 2 after (wrapping around at the ends). The model is as small as it gets: an embedding, learned position vectors, **one** multi-head attention with 4 heads, and a linear layer that reads the four answers out of each output vector. A single head can average only around one place; the task needs four places per position.
#
# This notebook computes in float64 (`ag.set_default_dtype`). float32 would train as well, a little faster, but the last digits of float32 matrix products depend on the machine's BLAS library and its number of threads, and over hundreds of training steps those differences grow into visibly different numbers; in float64 they stay far below the digits printed here, so the stored outputs are the same on every machine.
# %% [markdown zh]
# ## 一个训练好的小模型：不同的头，不同的关系
#
# 各个头真的会分工吗？取由 10 个随机符号（共 10 种）组成的序列，在每个位置 $t$ 同时要求四样东西：前面第 2 个、前面第 1 个、后面第 1 个和后面第 2 个符号（到两端时绕回）。模型小到不能再小：一个嵌入层、可学习的位置向量、**一个** 4 头的多头注意力，以及一个线性层，从每个输出向量中读出这四个答案。一个头只能围绕一个地方做平均，而这个任务在每个位置都需要四个地方。
#
# 本节在 float64 下计算（`ag.set_default_dtype`）。float32 同样能训练，还稍快一些，但 float32 矩阵乘法的最后几位取决于机器上的 BLAS 库及其线程数，经过几百步训练，这些差别会放大成肉眼可见的不同数值；在 float64 下它们远小于这里打印出的位数，所以存下来的输出在任何机器上都一样。
# %%
ag.set_default_dtype(ag.float64)
ag.manual_seed(0)
V, L, D, H = 10, 10, 32, 4
OFFSETS = [-2, -1, 1, 2]                       # relation r: the symbol at position t + OFFSETS[r]


class FourLookups(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(V, D)
        self.position = transformer.LearnedPositionalEncoding(D, L)
        self.attention = transformer.MultiHeadAttention(D, H)
        self.read_out = nn.Linear(D, len(OFFSETS) * V)

    def forward(self, ids):                                      # (B, L) symbols
        x = self.position(self.embed(ids))                       # (B, L, D)
        y = self.attention(x, x, x)                              # (B, L, D)
        return self.read_out(y).view(ids.shape[0], L, len(OFFSETS), V)   # (B, L, 4, V) logits


def batch(n):
    ids = ag.randint(0, V, (n, L))
    targets = ag.stack([ids[:, [(t + o) % L for t in range(L)]] for o in OFFSETS], dim=-1)
    return ids, targets                                          # targets (B, L, 4)


model = FourLookups()
optimizer = nn.optim.Adam(model.parameters(), lr=1e-2)
losses = []
for step in range(800):
    ids, targets = batch(64)
    loss = ag.cross_entropy(model(ids), targets)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    losses.append(loss.item())

ids, targets = batch(500)
model.attention.keep_weights = True            # keep the last attention weights for plotting
with ag.no_grad():
    accuracy = (model(ids).argmax(dim=-1) == targets).float().mean().item()
print(f"loss {losses[0]:.3f} at the start, {losses[-1]:.5f} after 800 steps; "
      f"accuracy on 500 new sequences {accuracy:.2%}")
assert accuracy > 0.99
# %% [markdown]
# The four heads of the trained model on one sequence, side by side: each is a near-diagonal band, shifted by a different offset.
# %% [markdown zh]
# 训练好的模型在同一个序列上的四个头，并排摆放：每个都是一条近乎对角的带，各自平移了不同的偏移量。
# %%
w = model.attention.last_weights                  # (500, H, L, L)
fig, axes = plt.subplots(1, H, figsize=(13, 3.4))
for head, ax in enumerate(axes):
    ax.imshow(w[0, head].numpy(), cmap="viridis", vmin=0, vmax=1)
    ax.set_title(f"head {head}")
    ax.set_xlabel("key position")
axes[0].set_ylabel("query position")
plt.show()


def weight_at_offset(head, offset):
    """The mean weight a query puts on the key ``offset`` places away (over all positions)."""
    return sum(w[:, head, t, (t + offset) % L].mean().item() for t in range(L)) / L


print("mean weight on the key at offset")
print("        " + " ".join(f"{o:+5d}" for o in range(-3, 4)))
favourite = {}
for head in range(H):
    row = [weight_at_offset(head, o) for o in range(-3, 4)]
    favourite[head] = max(range(-3, 4), key=lambda o: weight_at_offset(head, o))
    print(f"head {head}: " + " ".join(f"{x:5.2f}" for x in row))
print("each head's favourite offset:", favourite)
# %% [markdown]
# Each head has its own favourite offset, the four favourites are exactly the four relations asked for, and each head puts more than 70% of its weight there on average. Nobody told the heads which relation to take: the split into heads made it possible to specialise, and gradient descent did the rest. In trained Transformers heads specialise in the same way, on syntax (a verb's subject), position (the previous word) or rare words; notebook 6 looks at the cross-attention heads of a translation model.
# %% [markdown zh]
# 每个头都有自己最偏爱的偏移量，四个偏爱的偏移恰好就是要求的四种关系，而且每个头平均把 70% 以上的权重放在那里。没有人告诉这些头该负责哪种关系：拆成多个头让分工成为可能，其余的由梯度下降完成。在训练好的 Transformer 中，各个头也以同样的方式分工：句法（动词的主语）、位置（前一个词）或生僻词；第 6 节会看翻译模型中交叉注意力的各个头。
# %%
assert sorted(favourite.values()) == sorted(OFFSETS)
assert all(weight_at_offset(head, favourite[head]) > 0.7 for head in range(H))
# %% [markdown]
# ## What to remember
#
# - Heads are a reshape: `(B, T, d_model) → view (B, T, h, d_k) → transpose (B, h, T, d_k)`; merging is the reverse, and `contiguous()` before the final `view`.
# - Head $i$ is an ordinary attention on a slice of the projections; $W_o$ adds up the heads' contributions.
# - $h$ heads cost the same parameters as one; their backward is the heads' backward, put side by side.
# - Trained heads specialise: here, each on a different neighbour.
#
# Next: [4. Positions](04_positions.ipynb).
# %% [markdown zh]
# ## 要记住的
#
# - 多头只是一次 reshape：`(B, T, d_model) → view (B, T, h, d_k) → transpose (B, h, T, d_k)`；合并是反过来，最后一次 `view` 之前要 `contiguous()`。
# - 第 $i$ 个头是在投影的一段切片上做的普通注意力；$W_o$ 把各头的贡献加起来。
# - $h$ 个头的参数量和一个头相同；它们的反向传播就是各头的反向传播并排在一起。
# - 训练后的头会分工：在这里，每个头各看一个不同的邻居。
#
# 下一节：[4. 位置](04_positions.ipynb)。
