# %% [markdown]
# # 2. Self-attention from scratch
#
# **By the end of this notebook you will be able to:**
#
# - compute self-attention for a sentence step by step (embeddings; Q, K and V from three learned matrices; scores, scaling, softmax, the weighted sum of V), saying the shape of every intermediate;
# - explain, with a measurement, why the scores are divided by $\sqrt{d_k}$;
# - derive the Jacobian of the softmax by hand and check it against autograd;
# - read the backward graph of attention, and check the gradient of all of it with `gradcheck`.
#
# Attention is the one new piece of the Transformer. It looks like magic in diagrams; in code it is two matrix products and a softmax, and backpropagation goes through it as through any other layer.
# %% [markdown zh]
# # 2. 从零实现自注意力
#
# **学完本节，你将能够：**
#
# - 一步一步地为一个句子计算自注意力（词嵌入；由三个可学习矩阵得到 Q、K、V；打分、缩放、softmax、对 V 加权求和），并说出每个中间结果的形状；
# - 用一次测量解释为什么打分要除以 $\sqrt{d_k}$；
# - 亲手推导 softmax 的雅可比矩阵，并和自动微分的结果对照；
# - 读懂注意力的反向计算图，并用 `gradcheck` 检查整个注意力的梯度。
#
# 注意力是 Transformer 中唯一的新部件。它在示意图里看起来很神奇；写成代码，不过是两次矩阵乘法加一个 softmax，反向传播穿过它，和穿过任何别的层没有两样。
# %%
import math

import matplotlib.pyplot as plt
from IPython.display import SVG, display

import autograd as ag
import nn
import nn.functional as F
from autograd.functional import jacobian
from tools.backprop_graph import draw

ag.manual_seed(0)


def show(graph):
    """Show a draw(...) graph as its SVG picture (also where notebooks are read without running)."""
    display(SVG(graph.pipe(format="svg", encoding="utf-8")))
# %% [markdown]
# ## One sentence, as vectors
#
# Six words, five distinct ones. Each word gets an id, and an embedding table (a learned matrix with one row per word of the vocabulary) turns the ids into vectors of $d_{model} = 8$ numbers. The sentence becomes a $6 \times 8$ matrix $X$, one row per position.
# %% [markdown zh]
# ## 把一个句子变成向量
#
# 六个词，其中五个互不相同。每个词有一个编号（id），嵌入表（一个可学习的矩阵，词表中每个词占一行）把编号变成由 $d_{model} = 8$ 个数组成的向量。于是句子成了一个 $6 \times 8$ 的矩阵 $X$，每个位置一行。
# %%
words = "the cat sat on the mat".split()
vocab = sorted(set(words))
ids = ag.tensor([vocab.index(w) for w in words])
d_model, d_k = 8, 4

embedding = nn.Embedding(len(vocab), d_model)
X = embedding(ids)
print("vocabulary:", vocab)
print("ids:", ids.tolist())
print("X:", X.shape, "  (positions, d_model)")
# %% [markdown]
# ## Queries, keys and values
#
# Each position asks a question and offers an answer. Three learned matrices project every row of $X$:
#
# - the **query** $q_i = x_i W_q$: what position $i$ is looking for;
# - the **key** $k_j = x_j W_k$: what position $j$ offers to be found by;
# - the **value** $v_j = x_j W_v$: what position $j$ hands over when it is found.
#
# $W_q, W_k, W_v$ are ordinary parameters ($d_{model} \times d_k$ here), trained by gradient descent like any weight: attention has nothing to learn but these.
# %% [markdown zh]
# ## 查询、键和值
#
# 每个位置既提出一个问题，也提供一个答案。三个可学习矩阵分别投影 $X$ 的每一行：
#
# - **查询**（query）$q_i = x_i W_q$：位置 $i$ 在找什么；
# - **键**（key）$k_j = x_j W_k$：位置 $j$ 凭什么被找到；
# - **值**（value）$v_j = x_j W_v$：位置 $j$ 被找到时交出什么。
#
# $W_q, W_k, W_v$ 就是普通的参数（这里是 $d_{model} \times d_k$），和任何权重一样用梯度下降训练：注意力要学的只有它们。
# %%
W_q = nn.Parameter(ag.randn(d_model, d_k) / math.sqrt(d_model))
W_k = nn.Parameter(ag.randn(d_model, d_k) / math.sqrt(d_model))
W_v = nn.Parameter(ag.randn(d_model, d_k) / math.sqrt(d_model))

Q, K, V = X @ W_q, X @ W_k, X @ W_v
print("Q, K, V:", Q.shape, K.shape, V.shape, "  (positions, d_k)")
# %% [markdown]
# ## Scores, scaling, softmax, weighted sum
#
# $$\mathrm{Attention}(Q, K, V) = \mathrm{softmax}\!\left(\frac{Q K^\top}{\sqrt{d_k}}\right) V$$
#
# 1. **Scores** $S = Q K^\top$: entry $(i, j)$ is the dot product $q_i \cdot k_j$, how well position $j$'s key matches position $i$'s query. One row per query, one column per key.
# 2. **Scaling** by $1/\sqrt{d_k}$ (the next section measures why).
# 3. **Softmax** along each row turns scores into weights: positive, summing to 1.
# 4. **Weighted sum**: output row $i$ is $\sum_j a_{ij} v_j$, a mixture of the values, mostly of those whose keys matched.
# %% [markdown zh]
# ## 打分、缩放、softmax、加权求和
#
# $$\mathrm{Attention}(Q, K, V) = \mathrm{softmax}\!\left(\frac{Q K^\top}{\sqrt{d_k}}\right) V$$
#
# 1. **打分** $S = Q K^\top$：第 $(i, j)$ 个元素是点积 $q_i \cdot k_j$，表示位置 $j$ 的键和位置 $i$ 的查询有多匹配。每个查询一行，每个键一列。
# 2. 乘以 $1/\sqrt{d_k}$ 做**缩放**（下一部分会测量原因）。
# 3. 对每一行做 **softmax**，把分数变成权重：都是正数，加起来等于 1。
# 4. **加权求和**：输出的第 $i$ 行是 $\sum_j a_{ij} v_j$，是各个值的混合，主要来自那些键匹配得好的位置。
# %%
scores = Q @ K.transpose(-2, -1)
print("scores  Q K^T:      ", scores.shape, "  (queries, keys)")
scaled = scores / math.sqrt(d_k)
print("scaled  / sqrt(d_k):", scaled.shape)
weights = scaled.softmax(dim=-1)
print("weights softmax:    ", weights.shape, "  each row sums to 1")
out = weights @ V
print("output  weights @ V:", out.shape, "  (positions, d_k)")

assert ag.allclose(weights.sum(dim=-1), ag.ones(6), atol=1e-6)
assert ag.allclose(out, F.scaled_dot_product_attention(Q, K, V), atol=1e-6)
# %% [markdown]
# The last line checks our six lines against the library's `scaled_dot_product_attention`: they are the same computation. Here are the weights, one row per query:
# %% [markdown zh]
# 最后一行把我们的六行代码和库里的 `scaled_dot_product_attention` 对照：两者是同一个计算。下面是权重，每个查询一行：
# %%
def plot_weights(ax, w, rows, cols, title):
    ax.imshow(w.detach().numpy(), cmap="viridis", vmin=0)
    ax.set_xticks(range(len(cols)), cols, rotation=45)
    ax.set_yticks(range(len(rows)), rows)
    ax.set_xlabel("key")
    ax.set_ylabel("query")
    ax.set_title(title)


fig, ax = plt.subplots(figsize=(4, 4))
plot_weights(ax, weights, words, words, "attention weights (untrained)")
plt.show()
# %% [markdown]
# Rows 0 and 4 are identical: both are the word "the", with the same embedding, hence the same query, and nothing in this computation knows *where* a word is. Self-attention by itself treats a sentence as a bag of words; notebook 4 adds positions.
# %% [markdown zh]
# 第 0 行和第 4 行完全相同：两者都是 "the"，嵌入相同，查询也就相同，而这个计算里没有任何东西知道一个词*在哪里*。单靠自注意力，句子只是一袋词；第 4 节会加入位置信息。
# %%
assert (weights[0] == weights[4]).all() and (out[0] == out[4]).all()
# %% [markdown]
# ## Why divide by $\sqrt{d_k}$?
#
# Suppose the entries of $q$ and $k$ are independent, with mean 0 and variance 1. Then $q \cdot k = \sum_{i=1}^{d_k} q_i k_i$ is a sum of $d_k$ terms of variance 1: its variance is $d_k$. Wider heads give larger scores, and a softmax of large scores is nearly one-hot: one weight near 1, the rest near 0. There the softmax is flat, its derivative nearly zero, and almost no gradient reaches $W_q$ and $W_k$. Dividing by $\sqrt{d_k}$ brings the variance back to 1 whatever the width.
#
# We measure both: the variance of the dot products, and the norm of the gradient that reaches the scores through the softmax (for random upstream gradients), for 512 queries against 16 keys each, as $d_k$ grows from 4 to 1024.
# %% [markdown zh]
# ## 为什么要除以 $\sqrt{d_k}$？
#
# 假设 $q$ 和 $k$ 的各个分量相互独立，均值为 0，方差为 1。那么 $q \cdot k = \sum_{i=1}^{d_k} q_i k_i$ 是 $d_k$ 个方差为 1 的项之和，方差为 $d_k$。头越宽，分数越大，而对很大的分数做 softmax 几乎得到 one-hot：一个权重接近 1，其余接近 0。在那里 softmax 是平的，导数几乎为零，几乎没有梯度能传到 $W_q$ 和 $W_k$。除以 $\sqrt{d_k}$ 后，无论宽度多少，方差都回到 1。
#
# 我们把两者都测出来：点积的方差，以及经过 softmax 传到分数上的梯度的范数（上游梯度取随机值）；用 512 个查询，每个对 16 个键，$d_k$ 从 4 增长到 1024。
# %%
d_ks = [4, 16, 64, 256, 1024]
n_queries, n_keys = 512, 16
variance = {"unscaled": [], "scaled": []}
grad_norm = {"unscaled": [], "scaled": []}
largest = {"unscaled": [], "scaled": []}                 # the mean of each row's largest weight
for d in d_ks:
    q = ag.randn(n_queries, 1, d)
    k = ag.randn(n_queries, n_keys, d)
    s = (q @ k.transpose(-2, -1)).reshape(n_queries, n_keys)        # q . k for every pair
    for kind, scale in (("unscaled", 1.0), ("scaled", 1 / math.sqrt(d))):
        x = (s * scale).detach().requires_grad_()
        p = x.softmax(dim=-1)
        (p * ag.randn(n_queries, n_keys)).sum().backward()          # a random upstream gradient
        variance[kind].append(x.var().item())
        grad_norm[kind].append(x.grad.norm(dim=-1).mean().item())
        largest[kind].append(p.max(dim=-1).values.mean().item())

fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.5))
for kind in variance:
    ax1.loglog(d_ks, variance[kind], "o-", label=kind)
    ax2.semilogx(d_ks, grad_norm[kind], "o-", label=kind)
ax1.set(xlabel="d_k", ylabel="variance of q . k", title="score variance")
ax2.set(xlabel="d_k", ylabel="mean gradient norm", title="gradient through the softmax")
ax2.set_ylim(bottom=0)
for ax in (ax1, ax2):
    ax.legend()
plt.show()
print("d_k   variance (unscaled, scaled)   gradient norm   largest weight")
for i, d in enumerate(d_ks):
    print(f"{d:4d}   {variance['unscaled'][i]:8.1f} {variance['scaled'][i]:6.2f}"
          f"          {grad_norm['unscaled'][i]:.3f} {grad_norm['scaled'][i]:.3f}"
          f"     {largest['unscaled'][i]:.2f} {largest['scaled'][i]:.2f}")
# %% [markdown]
# Without scaling the variance grows like $d_k$ (within 15% of it at every width), the softmax saturates (at $d_k = 1024$ the largest weight of a row is above 0.9 on average) and the gradient through it collapses: at $d_k = 1024$ it is less than a fifth of what it is with scaling. With scaling the variance stays within 15% of 1, the largest weight below 0.3, and the gradient norm changes by less than 20% across a 256-fold change of width.
# %% [markdown zh]
# 不缩放时，方差随 $d_k$ 线性增长（每个宽度下都与 $d_k$ 相差不到 15%），softmax 饱和（$d_k = 1024$ 时，每行最大权重的平均值超过 0.9），穿过它的梯度随之塌缩：在 $d_k = 1024$ 时不到缩放时的五分之一。缩放后，方差与 1 相差不到 15%，最大权重低于 0.3，宽度变化 256 倍，梯度范数的变化不到 20%。
# %%
for i, d in enumerate(d_ks):
    assert abs(variance["unscaled"][i] / d - 1) < 0.15
    assert abs(variance["scaled"][i] - 1) < 0.15
assert largest["unscaled"][-1] > 0.9 and max(largest["scaled"]) < 0.3
assert grad_norm["unscaled"][-1] < grad_norm["scaled"][-1] / 5
assert max(grad_norm["scaled"]) < 1.2 * min(grad_norm["scaled"])
# %% [markdown]
# ## The softmax Jacobian, by hand
#
# Backpropagation through attention goes through the softmax, so let us differentiate it. With $y_i = e^{x_i} / \sum_k e^{x_k}$, the quotient rule gives
#
# $$\frac{\partial y_i}{\partial x_j} = \frac{e^{x_i}\,\delta_{ij}}{\sum_k e^{x_k}} - \frac{e^{x_i}\, e^{x_j}}{\left(\sum_k e^{x_k}\right)^2} = y_i\,\delta_{ij} - y_i\, y_j, \qquad J = \mathrm{diag}(y) - y\, y^\top .$$
#
# Two properties follow: $J$ is symmetric, and each of its rows sums to 0 (adding a constant to every $x_i$ does not change the softmax). We build $J$ from the formula and compare it with the Jacobian autograd computes (`autograd.functional.jacobian`, one backward pass per output), in float64: they agree to $10^{-10}$.
# %% [markdown zh]
# ## 亲手推导 softmax 的雅可比矩阵
#
# 穿过注意力的反向传播要经过 softmax，所以我们来对它求导。设 $y_i = e^{x_i} / \sum_k e^{x_k}$，由商的求导法则得
#
# $$\frac{\partial y_i}{\partial x_j} = \frac{e^{x_i}\,\delta_{ij}}{\sum_k e^{x_k}} - \frac{e^{x_i}\, e^{x_j}}{\left(\sum_k e^{x_k}\right)^2} = y_i\,\delta_{ij} - y_i\, y_j, \qquad J = \mathrm{diag}(y) - y\, y^\top .$$
#
# 由此得出两个性质：$J$ 是对称的，并且每一行之和为 0（给每个 $x_i$ 加同一个常数，softmax 不变）。我们按公式构造 $J$，再和自动微分算出的雅可比矩阵（`autograd.functional.jacobian`，每个输出一次反向传播）在 float64 下比较：两者相差不超过 $10^{-10}$。
# %%
x = ag.randn(5, dtype=ag.float64)
y = x.softmax(dim=-1)
J_hand = ag.eye(5, dtype=ag.float64) * y - y.reshape(5, 1) * y.reshape(1, 5)
J_auto = jacobian(lambda t: t.softmax(dim=-1), x)

print("J by hand:\n", J_hand)
assert (J_hand - J_auto).abs().max().item() < 1e-10
assert ag.allclose(J_hand, J_hand.T, atol=0) and J_hand.sum(dim=1).abs().max().item() < 1e-15
# %% [markdown]
# `backward()` never builds $J$: it only needs the vector-Jacobian product $J^\top g$ for the gradient $g$ arriving from above, and the formula simplifies to
#
# $$J^\top g = y \odot \left(g - \langle g, y \rangle\right),$$
#
# $O(n)$ work instead of $O(n^2)$. The three agree, and `gradcheck` / `gradgradcheck` confirm the first and second derivatives of the softmax against finite differences:
# %% [markdown zh]
# `backward()` 从不真正构造 $J$：它只需要对从上游传来的梯度 $g$ 求向量-雅可比积 $J^\top g$，而公式可以化简为
#
# $$J^\top g = y \odot \left(g - \langle g, y \rangle\right),$$
#
# 只要 $O(n)$ 的计算，而不是 $O(n^2)$。三者一致，`gradcheck` 和 `gradgradcheck` 也用有限差分确认了 softmax 的一阶和二阶导数：
# %%
g = ag.randn(5, dtype=ag.float64)
vjp_formula = y * (g - (g * y).sum())
x_leaf = x.detach().requires_grad_()
(vjp_autograd,) = ag.grad(x_leaf.softmax(dim=-1), x_leaf, grad_outputs=g)
print("J^T g by the formula:", vjp_formula)
assert (J_hand.T @ g - vjp_formula).abs().max().item() < 1e-12
assert (vjp_autograd - vjp_formula).abs().max().item() < 1e-12

rows = ag.randn(3, 5, dtype=ag.float64, requires_grad=True)
assert ag.gradcheck(lambda t: t.softmax(dim=-1), [rows])
assert ag.gradgradcheck(lambda t: t.softmax(dim=-1), [rows])
# %% [markdown]
# ## The backward graph of attention
#
# Now the whole thing, with a loss at the end so that there is something to backpropagate: the forward operations in blue, and for each of them its backward node in red. Follow the red arrows from the loss: through `MatmulBackward` (the weighted sum), `SoftmaxBackward` (the formula above), the scaling, the second `MatmulBackward` (the scores), and finally into $W_q$, $W_k$ and $W_v$, each labelled with the norm of the gradient it received. The steps are numbered in the order `backward()` ran them.
# %% [markdown zh]
# ## 注意力的反向计算图
#
# 现在看整体，最后加一个损失，好让反向传播有东西可传：蓝色是前向运算，每个运算都有它红色的反向节点。从损失出发沿红色箭头走：经过 `MatmulBackward`（加权求和）、`SoftmaxBackward`（上面的公式）、缩放、第二个 `MatmulBackward`（打分），最后进入 $W_q$、$W_k$ 和 $W_v$，每个都标着它收到的梯度的范数。各步按 `backward()` 执行的顺序编号。
# %%
def attention(X, W_q, W_k, W_v):
    Q, K, V = X @ W_q, X @ W_k, X @ W_v
    return (Q @ K.transpose(-2, -1) / math.sqrt(K.shape[-1])).softmax(dim=-1) @ V


W_q.name, W_k.name, W_v.name = "W_q", "W_k", "W_v"
x_in = X.detach()
x_in.name = "X"
target = ag.randn(6, d_k)
loss = ((attention(x_in, W_q, W_k, W_v) - target) ** 2).mean()
loss.name = "loss"
loss.backward(retain_graph=True)             # keep the graph to draw it
graph = draw(loss, backward=True, show_order=True)
show(graph)
print("gradient shapes:", W_q.grad.shape, W_k.grad.shape, W_v.grad.shape)
# %% [markdown]
# In Jupyter, the same graph is also an interactive page (the *backprop explorer*): step through `backward()` one operation at a time with the arrow keys, and click any tensor to see its values and its gradient as heatmaps. It shows when the notebook runs (a static site may show nothing below).
# %% [markdown zh]
# 在 Jupyter 里，同一张图还是一个可交互的页面（*backprop explorer*）：用方向键一步一步地执行 `backward()`，点击任意张量就能以热力图看到它的值和梯度。它在笔记本运行时显示（静态网页上下面可能什么也没有）。
# %%
graph
# %% [markdown]
# ## Checking the gradient of attention
#
# Everything above, checked at once: `gradcheck` compares the gradient of attention with respect to $X$, $W_q$, $W_k$ and $W_v$ (float64 copies) against central differences, and `gradgradcheck` its second derivatives.
# %% [markdown zh]
# ## 检查注意力的梯度
#
# 把上面的一切一次检查完：`gradcheck` 把注意力对 $X$、$W_q$、$W_k$、$W_v$（float64 副本）的梯度和中心差分比较，`gradgradcheck` 检查它的二阶导数。
# %%
inputs = [t.detach().double().requires_grad_() for t in (X, W_q, W_k, W_v)]
assert ag.gradcheck(attention, inputs)
assert ag.gradgradcheck(attention, inputs)
print("gradcheck and gradgradcheck passed for attention(X, W_q, W_k, W_v)")
# %% [markdown]
# ## What to remember
#
# - Self-attention: $Q = X W_q$, $K = X W_k$, $V = X W_v$; weights $\mathrm{softmax}(Q K^\top / \sqrt{d_k})$, one row per query; output = weights $\times V$.
# - Without the $1/\sqrt{d_k}$ the scores' variance grows like $d_k$, the softmax saturates and its gradient vanishes.
# - The softmax Jacobian is $\mathrm{diag}(y) - y y^\top$; backward uses $y \odot (g - \langle g, y\rangle)$ and never forms it.
# - Attention has no gradient rule of its own: its backward is the chain rule through matrix products and a softmax.
#
# Next: [3. Multi-head attention](03_multi_head_attention.ipynb).
# %% [markdown zh]
# ## 要记住的
#
# - 自注意力：$Q = X W_q$，$K = X W_k$，$V = X W_v$；权重为 $\mathrm{softmax}(Q K^\top / \sqrt{d_k})$，每个查询一行；输出 = 权重 $\times V$。
# - 没有 $1/\sqrt{d_k}$，分数的方差随 $d_k$ 增长，softmax 饱和，梯度消失。
# - softmax 的雅可比矩阵是 $\mathrm{diag}(y) - y y^\top$；反向传播用 $y \odot (g - \langle g, y\rangle)$，从不构造它。
# - 注意力没有自己专门的求导规则：它的反向传播就是穿过矩阵乘法和 softmax 的链式法则。
#
# 下一节：[3. 多头注意力](03_multi_head_attention.ipynb)。
