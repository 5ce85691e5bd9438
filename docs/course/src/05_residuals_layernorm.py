# %% [markdown]
# # 5. Residuals and LayerNorm
#
# **By the end of this notebook you will be able to:**
#
# - make the vanishing gradient visible: the gradient norm of every layer of a deep stack, with and without residual connections, and say why the residual keeps it alive;
# - write LayerNorm's forward pass, derive its backward pass by hand, and check both against autograd;
# - compare the gradient norms of pre-norm and post-norm Transformer stacks, and say what the difference means for training.
#
# Attention and feed-forward layers do the work of a Transformer; residual connections and LayerNorm are what let 6, 12 or 96 of them be stacked and still trained. Each encoder sublayer is `LayerNorm(x + Sublayer(x))`: both ideas in one line.
# %% [markdown zh]
# # 5. 残差与 LayerNorm
#
# **学完本节，你将能够：**
#
# - 让梯度消失变得看得见：画出一个深层堆叠中每一层的梯度范数，对比有无残差连接，并说明残差为什么能让梯度保持活力；
# - 写出 LayerNorm 的前向计算，亲手推导它的反向计算，并把两者都和自动微分对照；
# - 比较前归一化（pre-norm）和后归一化（post-norm）Transformer 堆叠的梯度范数，并说明这种差别对训练意味着什么。
#
# Transformer 的活由注意力层和前馈层来干；残差连接和 LayerNorm 则让 6 层、12 层乃至 96 层这样的层能叠起来并且仍然训练得动。编码器的每个子层都是 `LayerNorm(x + Sublayer(x))`：一行里包含了这两个思想。
# %%
import matplotlib.pyplot as plt

import autograd as ag
import nn
import transformer

ag.manual_seed(0)
# %% [markdown]
# ## A deep stack, with and without residuals
#
# Thirty blocks $x_{l+1} = \tanh(W_l x_l + b_l)$, then the same thirty blocks with a residual connection, $x_{l+1} = x_l + \tanh(W_l x_l + b_l)$, same initial weights. One backward pass of the loss $\mathrm{mean}(x_{30}^2)$, and the norm of the gradient of each block's weight matrix.
#
# Without the residual, the gradient reaching block $l$ is a product of the Jacobians of all the blocks above it, $\prod_m \mathrm{diag}(1 - \tanh^2)\, W_m$, and each of these shrinks vectors (the default initialisation keeps $W$ small, and $1 - \tanh^2 \le 1$): the product decays exponentially with depth. With the residual, each block's Jacobian is $I + \mathrm{diag}(1 - \tanh^2)\, W_m$, and the identity carries the gradient down unchanged, whatever the blocks do.
# %% [markdown zh]
# ## 一个深层堆叠，有残差和没有残差
#
# 三十个块 $x_{l+1} = \tanh(W_l x_l + b_l)$，再把同样的三十个块加上残差连接，$x_{l+1} = x_l + \tanh(W_l x_l + b_l)$，初始权重相同。对损失 $\mathrm{mean}(x_{30}^2)$ 做一次反向传播，看每个块权重矩阵梯度的范数。
#
# 没有残差时，到达第 $l$ 块的梯度是它上面所有块的雅可比矩阵之积 $\prod_m \mathrm{diag}(1 - \tanh^2)\, W_m$，而其中每一个都会把向量缩短（默认初始化让 $W$ 较小，而 $1 - \tanh^2 \le 1$）：这个乘积随深度指数衰减。有了残差，每块的雅可比矩阵变成 $I + \mathrm{diag}(1 - \tanh^2)\, W_m$，不管这些块做什么，单位矩阵都把梯度原封不动地传下去。
# %%
D, N = 64, 30


class Block(nn.Module):
    def __init__(self, residual):
        super().__init__()
        self.linear = nn.Linear(D, D)
        self.residual = residual

    def forward(self, x):
        y = self.linear(x).tanh()
        return x + y if self.residual else y


norms = {}
for residual in (False, True):
    ag.manual_seed(0)                                  # the same weights both times
    stack = nn.Sequential(*[Block(residual) for _ in range(N)])
    loss = (stack(ag.randn(32, D)) ** 2).mean()
    loss.backward()
    norms[residual] = [block.linear.weight.grad.norm().item() for block in stack]

fig, ax = plt.subplots(figsize=(6.5, 3.8))
ax.semilogy(range(1, N + 1), norms[False], "o-", label="plain: x = tanh(W x + b)")
ax.semilogy(range(1, N + 1), norms[True], "o-", label="residual: x = x + tanh(W x + b)")
ax.set(xlabel="block (1 = nearest the input)", ylabel="gradient norm of W",
       title="the vanishing gradient, made visible")
ax.legend()
plt.show()
for residual, ns in norms.items():
    print(f"{'residual' if residual else 'plain':8}: block 1 {ns[0]:.1e}, block {N} {ns[-1]:.1e}, "
          f"ratio {ns[0] / ns[-1]:.1e}")
# %% [markdown]
# Without residuals, the first block receives less than a hundred-thousandth of the gradient of the last one: it would practically not train. With residuals, every block's gradient is within a factor of 3 of every other's.
# %% [markdown zh]
# 没有残差时，第一块收到的梯度不到最后一块的十万分之一：它几乎训练不动。有了残差，任意两块的梯度相差都在 3 倍以内。
# %%
assert norms[False][0] < 1e-5 * norms[False][-1]
assert max(norms[True]) < 3 * min(norms[True])
# %% [markdown]
# ## LayerNorm, forward
#
# Residual sums grow: each adds a sublayer's output to the stream. LayerNorm brings every position's vector back to mean 0 and variance 1 over its $d$ features, then lets the model rescale and shift it with two learned vectors $\gamma$ (weight) and $\beta$ (bias):
#
# $$\mu = \frac{1}{d} \sum_i x_i, \qquad \sigma^2 = \frac{1}{d} \sum_i (x_i - \mu)^2, \qquad \hat{x}_i = \frac{x_i - \mu}{\sqrt{\sigma^2 + \varepsilon}}, \qquad y_i = \gamma_i\, \hat{x}_i + \beta_i .$$
#
# Note the $1/d$: LayerNorm uses the biased variance, while `x.var()` (as in PyTorch) divides by $d - 1$ unless told `unbiased=False`. By hand, against `ag.layer_norm` in float64 and `nn.LayerNorm` in float32:
# %% [markdown zh]
# ## LayerNorm 的前向计算
#
# 残差之和会不断变大：每一层都把子层的输出加到这条"主干"上。LayerNorm 把每个位置的向量在它的 $d$ 个特征上拉回均值 0、方差 1，再让模型用两个可学习的向量 $\gamma$（weight）和 $\beta$（bias）缩放和平移：
#
# $$\mu = \frac{1}{d} \sum_i x_i, \qquad \sigma^2 = \frac{1}{d} \sum_i (x_i - \mu)^2, \qquad \hat{x}_i = \frac{x_i - \mu}{\sqrt{\sigma^2 + \varepsilon}}, \qquad y_i = \gamma_i\, \hat{x}_i + \beta_i .$$
#
# 注意这里的 $1/d$：LayerNorm 用的是有偏方差，而 `x.var()`（和 PyTorch 一样）默认除以 $d - 1$，除非指定 `unbiased=False`。下面手写计算，并和 float64 下的 `ag.layer_norm`、float32 下的 `nn.LayerNorm` 对照：
# %%
eps = 1e-5
x = ag.randn(4, 6, dtype=ag.float64) * 3 + 1
gamma = ag.randn(6, dtype=ag.float64)
beta = ag.randn(6, dtype=ag.float64)


def layer_norm_by_hand(x, gamma, beta):
    mu = x.mean(dim=-1, keepdim=True)
    var = ((x - mu) ** 2).mean(dim=-1, keepdim=True)          # biased: divides by d
    x_hat = (x - mu) / (var + eps).sqrt()
    return gamma * x_hat + beta


y = layer_norm_by_hand(x, gamma, beta)
assert (y - ag.layer_norm(x, gamma, beta, eps)).abs().max().item() < 1e-12

ln = nn.LayerNorm(6)                          # weight 1, bias 0 at first: y = x_hat
x_hat = layer_norm_by_hand(x, ag.ones(6, dtype=ag.float64), ag.zeros(6, dtype=ag.float64))
assert ag.allclose(ln(x.float()).double(), x_hat, atol=1e-5)
print(f"x_hat: largest |mean| over the features {x_hat.mean(dim=-1).abs().max().item():.1e}, "
      f"variances {[round(v, 6) for v in x_hat.var(dim=-1, unbiased=False).tolist()]}")
assert x_hat.mean(dim=-1).abs().max().item() < 1e-12
assert (x_hat.var(dim=-1, unbiased=False) - 1).abs().max().item() < 1e-5   # (var / (var + eps))
# %% [markdown]
# ## LayerNorm, backward by hand
#
# Write $r = 1/\sqrt{\sigma^2 + \varepsilon}$, so $\hat{x}_i = (x_i - \mu)\, r$, and let $g_i = \gamma_i\, \partial L/\partial y_i$ be the gradient arriving at $\hat{x}$. Every $\hat{x}_i$ depends on every $x_j$, through $\mu$ and through $r$:
#
# $$\frac{\partial \mu}{\partial x_j} = \frac{1}{d}, \qquad \frac{\partial r}{\partial x_j} = -\frac{r^3 (x_j - \mu)}{d}, \qquad \frac{\partial \hat{x}_i}{\partial x_j} = r\left(\delta_{ij} - \frac{1}{d} - \frac{\hat{x}_i\, \hat{x}_j}{d}\right).$$
#
# Summing $g_i\, \partial \hat{x}_i / \partial x_j$ over $i$ gives the whole backward pass, in one line:
#
# $$\frac{\partial L}{\partial x} = r\left(g - \mathrm{mean}(g) - \hat{x}\, \mathrm{mean}(g \odot \hat{x})\right), \qquad \frac{\partial L}{\partial \gamma} = \sum_{\text{positions}} \frac{\partial L}{\partial y} \odot \hat{x}, \qquad \frac{\partial L}{\partial \beta} = \sum_{\text{positions}} \frac{\partial L}{\partial y}.$$
#
# The two subtracted terms remove from $g$ its component along $(1, \dots, 1)$ and along $\hat{x}$: shifting or scaling $x$ does not change $\hat{x}$, so the gradient with respect to $x$ has no component in those directions: it sums to 0 over the features, and it is orthogonal to $\hat{x}$ (up to the tiny effect of $\varepsilon$: a cosine below $10^{-5}$ here). Against autograd, in float64, to $10^{-10}$:
# %% [markdown zh]
# ## 亲手推导 LayerNorm 的反向计算
#
# 记 $r = 1/\sqrt{\sigma^2 + \varepsilon}$，于是 $\hat{x}_i = (x_i - \mu)\, r$；令 $g_i = \gamma_i\, \partial L/\partial y_i$ 为到达 $\hat{x}$ 的梯度。每个 $\hat{x}_i$ 都通过 $\mu$ 和 $r$ 依赖于每个 $x_j$：
#
# $$\frac{\partial \mu}{\partial x_j} = \frac{1}{d}, \qquad \frac{\partial r}{\partial x_j} = -\frac{r^3 (x_j - \mu)}{d}, \qquad \frac{\partial \hat{x}_i}{\partial x_j} = r\left(\delta_{ij} - \frac{1}{d} - \frac{\hat{x}_i\, \hat{x}_j}{d}\right).$$
#
# 对 $i$ 求和 $g_i\, \partial \hat{x}_i / \partial x_j$，就得到整个反向计算，只有一行：
#
# $$\frac{\partial L}{\partial x} = r\left(g - \mathrm{mean}(g) - \hat{x}\, \mathrm{mean}(g \odot \hat{x})\right), \qquad \frac{\partial L}{\partial \gamma} = \sum_{\text{各位置}} \frac{\partial L}{\partial y} \odot \hat{x}, \qquad \frac{\partial L}{\partial \beta} = \sum_{\text{各位置}} \frac{\partial L}{\partial y}.$$
#
# 减去的两项去掉了 $g$ 沿 $(1, \dots, 1)$ 方向和沿 $\hat{x}$ 方向的分量：平移或缩放 $x$ 都不改变 $\hat{x}$，所以对 $x$ 的梯度在这两个方向上没有分量：它在各特征上之和为 0，并且与 $\hat{x}$ 正交（只差 $\varepsilon$ 带来的微小影响：这里夹角余弦小于 $10^{-5}$）。在 float64 下和自动微分对照，误差不超过 $10^{-10}$：
# %%
dy = ag.randn(4, 6, dtype=ag.float64)                       # the gradient arriving from above
mu = x.mean(dim=-1, keepdim=True)
r = 1 / (((x - mu) ** 2).mean(dim=-1, keepdim=True) + eps).sqrt()
x_hat = (x - mu) * r
g = dy * gamma
dx_hand = r * (g - g.mean(dim=-1, keepdim=True) - x_hat * (g * x_hat).mean(dim=-1, keepdim=True))
dgamma_hand = (dy * x_hat).sum(dim=0)
dbeta_hand = dy.sum(dim=0)

leaves = [t.detach().requires_grad_() for t in (x, gamma, beta)]
dx, dgamma, dbeta = ag.grad(ag.layer_norm(*leaves, eps), leaves, grad_outputs=dy)
for name, hand, auto in (("dx", dx_hand, dx), ("dgamma", dgamma_hand, dgamma), ("dbeta", dbeta_hand, dbeta)):
    error = (hand - auto).abs().max().item()
    print(f"{name:6}: max |by hand - autograd| = {error:.1e}")
    assert error < 1e-10
total = dx.sum(dim=-1).abs().max().item()
cosine = ((dx * x_hat).sum(dim=-1).abs() / (dx.norm(dim=-1) * x_hat.norm(dim=-1))).max().item()
print(f"dx: largest |sum over the features| {total:.1e}, largest |cosine with x_hat| {cosine:.1e}")
assert total < 1e-12 and cosine < 1e-5
# %% [markdown]
# And against finite differences, first and second order, for the library's LayerNorm:
# %% [markdown zh]
# 再用有限差分检查库里 LayerNorm 的一阶和二阶导数：
# %%
assert ag.gradcheck(lambda x, w, b: ag.layer_norm(x, w, b, eps), leaves)
assert ag.gradgradcheck(lambda x, w, b: ag.layer_norm(x, w, b, eps), leaves)
assert ag.gradcheck(layer_norm_by_hand, leaves)
print("gradcheck and gradgradcheck passed for LayerNorm")
# %% [markdown]
# ## Pre-norm and post-norm
#
# The paper puts LayerNorm *after* the residual sum (post-norm): $x \leftarrow \mathrm{LayerNorm}(x + \mathrm{Sublayer}(x))$. Most models since put it *before* the sublayer (pre-norm), $x \leftarrow x + \mathrm{Sublayer}(\mathrm{LayerNorm}(x))$, with one more LayerNorm at the end of the stack (`TransformerConfig(norm_first=True)`). The difference is where the identity path runs: in post-norm every residual sum passes through a LayerNorm, so the gradient reaching a low layer has crossed every LayerNorm above it; in pre-norm the stream $x$ is never normalised, and the loss gradient reaches every layer directly along it.
#
# Two 12-layer encoders, the same weights, one backward pass at initialisation; the gradient norm of each layer's parameters:
# %% [markdown zh]
# ## 前归一化与后归一化
#
# 论文把 LayerNorm 放在残差相加*之后*（后归一化，post-norm）：$x \leftarrow \mathrm{LayerNorm}(x + \mathrm{Sublayer}(x))$。此后的大多数模型把它放在子层*之前*（前归一化，pre-norm）：$x \leftarrow x + \mathrm{Sublayer}(\mathrm{LayerNorm}(x))$，并在整个堆叠末尾再加一个 LayerNorm（`TransformerConfig(norm_first=True)`）。区别在于恒等路径走在哪里：后归一化时，每次残差相加都要经过一个 LayerNorm，所以到达低层的梯度穿过了它上面的每一个 LayerNorm；前归一化时，主干 $x$ 从不被归一化，损失的梯度沿着它直接到达每一层。
#
# 两个 12 层的编码器，权重相同，在初始化时做一次反向传播；每层参数的梯度范数如下：
# %%
def layer_gradient_norms(norm_first, layers=12):
    ag.manual_seed(0)
    config = transformer.TransformerConfig(
        src_vocab_size=20, tgt_vocab_size=20, d_model=64, n_heads=4, n_encoder_layers=layers,
        d_ff=128, dropout=0.0, attention_dropout=0.0, max_len=16, norm_first=norm_first)
    encoder, read_out = transformer.Encoder(config), nn.Linear(64, 20)
    for p in encoder.parameters():
        if p.ndim > 1:
            nn.init.xavier_uniform_(p)                # as transformer.Transformer initialises
    ids = ag.randint(1, 20, (16, 12))
    loss = ag.cross_entropy(read_out(encoder(ids)), ag.randint(1, 20, (16, 12)))
    loss.backward()
    return [sum((p.grad ** 2).sum().item() for p in layer.parameters()) ** 0.5
            for layer in encoder.layers]


post, pre = layer_gradient_norms(norm_first=False), layer_gradient_norms(norm_first=True)
fig, ax = plt.subplots(figsize=(6.5, 3.8))
ax.plot(range(1, 13), post, "o-", label="post-norm (the paper)")
ax.plot(range(1, 13), pre, "o-", label="pre-norm")
ax.set(xlabel="encoder layer (1 = nearest the input)", ylabel="gradient norm of the layer",
       title="gradient norms at initialisation")
ax.set_ylim(bottom=0)
ax.legend()
plt.show()
print(f"post-norm: layer 1 {post[0]:.3f}, layer 12 {post[-1]:.3f}")
print(f"pre-norm:  layer 1 {pre[0]:.3f}, layer 12 {pre[-1]:.3f}")
# %% [markdown]
# In post-norm the gradient grows toward the output: the top layer's is about twice the bottom layer's (more than 1.8 times). In pre-norm it does not: the bottom layer gets the most (it receives the gradient along the stream and back through every layer above it), the top one less than half of that. Xiong et al. (2020, "On Layer Normalization in the Transformer Architecture") show the same picture and why it matters: post-norm's large gradients near the output make the first updates of a large learning rate destructive, which is why the paper's schedule warms the learning rate up over thousands of steps; pre-norm trains without that care. gradformer keeps the paper's post-norm by default (notebook 6 trains one, with warmup) and offers pre-norm as `norm_first=True`.
# %% [markdown zh]
# 后归一化时，梯度朝输出方向增大：最上层的梯度约为最底层的两倍（超过 1.8 倍）。前归一化则不然：最底层得到的最多（它既沿主干收到梯度，又经由上面每一层收到梯度），最上层不到它的一半。Xiong 等人（2020，"On Layer Normalization in the Transformer Architecture"）给出了同样的图景以及它为何重要：后归一化在输出附近的梯度很大，使得大学习率下最初的几次更新具有破坏性，这就是论文的学习率要在几千步里逐渐预热的原因；前归一化则无需这样小心。gradformer 默认保留论文的后归一化（第 6 节会带预热地训练一个这样的模型），并以 `norm_first=True` 提供前归一化。
# %%
assert post[-1] > 1.8 * post[0]
assert pre[0] == max(pre) and pre[-1] < 0.5 * pre[0]
# %% [markdown]
# ## What to remember
#
# - Without residuals the gradient of a deep stack is a product of many shrinking Jacobians and vanishes; the residual's identity carries it down unchanged.
# - LayerNorm: $\hat{x} = (x - \mu)/\sqrt{\sigma^2 + \varepsilon}$ with the biased variance, then $\gamma \hat{x} + \beta$; its backward is $r\,(g - \mathrm{mean}(g) - \hat{x}\,\mathrm{mean}(g \hat{x}))$.
# - Post-norm's gradients grow toward the output (hence warmup); pre-norm's do not.
#
# Next: [6. The whole machine](06_whole_machine.ipynb).
# %% [markdown zh]
# ## 要记住的
#
# - 没有残差时，深层堆叠的梯度是许多会缩短向量的雅可比矩阵之积，于是逐渐消失；残差中的恒等映射把梯度原封不动地传下去。
# - LayerNorm：用有偏方差计算 $\hat{x} = (x - \mu)/\sqrt{\sigma^2 + \varepsilon}$，再算 $\gamma \hat{x} + \beta$；它的反向计算是 $r\,(g - \mathrm{mean}(g) - \hat{x}\,\mathrm{mean}(g \hat{x}))$。
# - 后归一化的梯度朝输出方向增大（所以需要预热）；前归一化则不会。
#
# 下一节：[6. 整台机器](06_whole_machine.ipynb)。
