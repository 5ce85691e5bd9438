# %% [markdown]
# # 7. Debugging gradients
#
# **By the end of this notebook you will be able to:**
#
# - find the operation, and the line of your code, where a NaN or an Inf first appears, forward or backward, with anomaly mode (`ag.detect_anomaly`), and see a picture of its neighbourhood;
# - recognise the error raised when a tensor that backward needs was changed in place (an optimizer step between forward and backward), and fix it;
# - audit every operation of a real training step against finite differences with `ag.check_graph`;
# - find a wrong backward formula in an operation of your own with `gradcheck`, and see it in red in the graph.
#
# When training goes wrong the symptom is usually far from the cause: a loss of `nan` after 300 steps, or a model that learns nothing because one gradient is silently wrong. Each tool here takes you from the symptom to the operation that caused it.
# %% [markdown zh]
# # 7. 调试梯度
#
# **学完本节，你将能够：**
#
# - 用异常检测模式（`ag.detect_anomaly`）找到 NaN 或 Inf 第一次出现的那个运算及你代码中的那一行，无论是在前向还是反向，并看到它附近的计算图；
# - 认出当反向传播需要的张量被原地修改（在前向和反向之间做了一次优化器更新）时抛出的错误，并修好它；
# - 用 `ag.check_graph` 把一次真实训练步中的每个运算都和有限差分对照审查；
# - 用 `gradcheck` 找出你自己写的运算中错误的反向公式，并在计算图中看到它被标成红色。
#
# 训练出问题时，症状往往离原因很远：训练 300 步后损失变成 `nan`，或者模型什么也学不会，只因为某个梯度悄悄地错了。这里的每个工具都能带你从症状找到造成它的那个运算。
# %%
import glob
import os
import re
import tempfile
import warnings

from IPython.display import SVG, display

import autograd as ag
import nn
import tools.anomaly_picture
import transformer
from tools.backprop_graph import draw

ag.manual_seed(0)
tools.anomaly_picture.folder = tempfile.mkdtemp()     # where anomaly mode draws its pictures
# NumPy warns (RuntimeWarning) about each NaN or Inf it makes: here we make them on
# purpose, and anomaly mode says more, and where.
warnings.filterwarnings("ignore", category=RuntimeWarning)


def show(graph):
    """Show a draw(...) graph as its SVG picture (also where notebooks are read without running)."""
    display(SVG(graph.pipe(format="svg", encoding="utf-8")))
# %% [markdown]
# ## A NaN in the forward pass
#
# A cross-entropy written the textbook way, $-\sum_i t_i \log \mathrm{softmax}(s)_i$, on scores that are large. In float32, $e^{-100}$ underflows to 0: a softmax probability becomes exactly 0, its log is $-\infty$, and $-\infty \times 0$ (the one-hot target) is NaN. All we see is a loss of `nan`, and NaN gradients everywhere:
# %% [markdown zh]
# ## 前向计算中的 NaN
#
# 按教科书的写法实现交叉熵 $-\sum_i t_i \log \mathrm{softmax}(s)_i$，用在很大的分数上。在 float32 下，$e^{-100}$ 下溢为 0：某个 softmax 概率恰好变成 0，它的对数是 $-\infty$，而 $-\infty \times 0$（one-hot 目标）就是 NaN。我们看到的只有一个为 `nan` 的损失，以及到处都是 NaN 的梯度：
# %%
scores = ag.tensor([[2.0, 120.0, -5.0], [0.5, 1.0, 2.0]], requires_grad=True)
target = ag.tensor([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])              # one-hot
loss = -(scores.softmax(dim=-1).log() * target).sum()
loss.backward()
print("loss:", loss.item(), "  gradient:", scores.grad.tolist())
assert ag.isnan(loss).item() and ag.isnan(scores.grad).any().item()
# %% [markdown]
# Anomaly mode checks every output of every operation, forward and backward, and stops at the first NaN or Inf, naming the operation, the module that made it (none here) and the line of code where it was created. With `tools.anomaly_picture` imported, it also draws the failing operation's neighbourhood, the culprit in red:
# %% [markdown zh]
# 异常检测模式会检查每个运算的每个输出，前向和反向都查，并在第一个 NaN 或 Inf 处停下，指出是哪个运算、由哪个模块产生（这里没有模块）以及它是在哪一行代码创建的。导入 `tools.anomaly_picture` 之后，它还会画出出错运算附近的计算图，罪魁祸首标成红色：
# %%
def last_picture():
    """The picture anomaly mode drew last."""
    newest = max(glob.glob(os.path.join(tools.anomaly_picture.folder, "*.svg")), key=os.path.getmtime)
    display(SVG(filename=newest))


with ag.detect_anomaly():
    try:
        probabilities = scores.softmax(dim=-1)
        loss = -(probabilities.log() * target).sum()
    except ag.AnomalyError as e:
        message = str(e).splitlines()[0]          # the rest names the picture's file
        print(message)
last_picture()
assert message.startswith("anomaly: Inf in the forward output 0 (shape (2, 3)) of Log")
assert "loss = -(probabilities.log() * target).sum()" in message
# %% [markdown]
# The cure is to never take the log of a probability that may have underflowed: $\log \mathrm{softmax}(s)_i = s_i - \log\sum_j e^{s_j}$, computed stably (`log_softmax`, or `ag.cross_entropy` on the raw scores, which the library's loss uses). The same scores now give a finite loss and finite gradients, which anomaly mode lets through:
# %% [markdown zh]
# 解决办法是永远不要对可能已经下溢的概率取对数：$\log \mathrm{softmax}(s)_i = s_i - \log\sum_j e^{s_j}$，用数值稳定的方式计算（`log_softmax`，或直接对原始分数使用 `ag.cross_entropy`，库里的损失就是这样算的）。同样的分数现在得到有限的损失和有限的梯度，异常检测模式也放行了：
# %%
scores.grad = None
with ag.detect_anomaly():
    loss = ag.cross_entropy(scores, ag.tensor([0, 2]), reduction="sum")
    loss.backward()
print(f"loss: {loss.item():.4f}   gradient: {[[round(g, 4) for g in row] for row in scores.grad.tolist()]}")
assert ag.isfinite(scores.grad).all().item()
assert ag.gradcheck(lambda s: ag.cross_entropy(s, ag.tensor([0, 2])), [scores.detach().double().requires_grad_()])
# %% [markdown]
# ## A NaN that appears only in backward
#
# Some functions are finite where their derivative is not. The Euclidean norm $\|x\| = \sqrt{\sum x_i^2}$ is 0 at $x = 0$, but its gradient $x / \|x\|$ is $0/0$ there: inside, $\sqrt{u}$ has derivative $1/(2\sqrt{u}) = \infty$ at $u = 0$, and the square contributes a 0. Normalising a vector that happens to be zero (an embedding of padding, a dead feature) is enough. The forward pass is clean; anomaly mode catches the backward of `Sqrt` handing an Inf to its input, and names the line that created it:
# %% [markdown zh]
# 有些函数本身有限，导数却不是。欧几里得范数 $\|x\| = \sqrt{\sum x_i^2}$ 在 $x = 0$ 处为 0，但它的梯度 $x / \|x\|$ 在那里是 $0/0$：在内部，$\sqrt{u}$ 在 $u = 0$ 处的导数 $1/(2\sqrt{u}) = \infty$，而平方贡献了一个 0。只要去归一化一个恰好为零的向量（填充位置的嵌入、一个"死掉"的特征），就会碰上。前向计算毫无问题；异常检测模式抓住了 `Sqrt` 的反向计算把 Inf 交给它的输入，并指出创建它的那一行：
# %%
x = ag.tensor([[3.0, 4.0], [0.0, 0.0]], requires_grad=True)     # the second row is zero
with ag.detect_anomaly():
    try:
        norms = (x ** 2).sum(dim=-1).sqrt()
        print("forward, finite:", norms.tolist())
        norms.sum().backward()
    except ag.AnomalyError as e:
        message = str(e).splitlines()[0]
        print(message)
last_picture()
assert message.startswith("anomaly: Inf in the gradient that the backward of Sqrt, created at")
assert "norms = (x ** 2).sum(dim=-1).sqrt()" in message
# %% [markdown]
# A common fix is a small $\varepsilon$ inside the root, $\sqrt{\sum x_i^2 + \varepsilon}$: the gradient at 0 becomes 0 instead of NaN, and elsewhere changes by a negligible amount (less than $10^{-6}$ here). Its gradient, checked:
# %% [markdown zh]
# 常见的修法是在根号里加一个小的 $\varepsilon$：$\sqrt{\sum x_i^2 + \varepsilon}$。这样在 0 处的梯度变成 0 而不是 NaN，在别处的变化则可以忽略（这里小于 $10^{-6}$）。它的梯度检查如下：
# %%
def safe_norm(x, eps=1e-12):
    return ((x ** 2).sum(dim=-1) + eps).sqrt()


x.grad = None
with ag.detect_anomaly():
    safe_norm(x).sum().backward()
print("gradient:", x.grad.tolist())
assert x.grad[1].tolist() == [0.0, 0.0] and (x.grad[0] - ag.tensor([0.6, 0.8])).abs().max().item() < 1e-6
assert ag.gradcheck(lambda t: safe_norm(t, 1e-3), [ag.randn(3, 4, dtype=ag.float64, requires_grad=True)])
# %% [markdown]
# Anomaly mode records the creation line of every operation, which costs time: turn it on to find a problem, not for every run (outside it, gradformer records nothing extra).
#
# ## A tensor changed in place between forward and backward
#
# Many operations save their inputs for backward: `w * w` needs `w` to compute its gradient $2w$. If `w` changes in place after the forward pass (`opt.step()` does exactly that to every parameter), the saved value is no longer the one the forward used, and the gradient would be silently wrong. gradformer counts the in-place changes of every tensor (its *version*) and refuses:
# %% [markdown zh]
# 异常检测模式会记录每个运算的创建位置，这要花时间：用它来找问题，而不是每次运行都开着（不开时，gradformer 不会多记录任何东西）。
#
# ## 前向与反向之间被原地修改的张量
#
# 许多运算会为反向传播保存自己的输入：`w * w` 需要 `w` 才能算出梯度 $2w$。如果 `w` 在前向计算之后被原地修改（`opt.step()` 正是这样对待每个参数的），保存的值就不再是前向计算时用的那个，梯度会悄悄地出错。gradformer 记录每个张量被原地修改的次数（它的*版本*），并拒绝这样做：
# %%
w = nn.Parameter(ag.tensor([1.0, -2.0, 0.5]))
w.name = "w"
optimizer = nn.optim.SGD([w], lr=0.1)
first = (w * w).sum()                 # Mul saves w (version 0) for its backward
second = (w * w * 3).sum()            # a second loss on the same forward pass
first.backward()
optimizer.step()                      # w changes in place: now version 1
try:
    second.backward()
except RuntimeError as e:
    message = str(e)
    print(message)
assert "tensor 'w' of shape (3,)" in message and "at version 0" in message
assert "(now version 1)" in message
# %% [markdown]
# The fix is the order the message suggests: run every backward that uses a forward pass before changing its inputs (here, `(first + second).backward()`, then `step()`), or recompute the forward pass after the change.
# %% [markdown zh]
# 修法就是错误信息建议的顺序：先做完用到某次前向计算的所有反向传播，再修改它的输入（这里是先 `(first + second).backward()`，再 `step()`），或者在修改之后重新做一次前向计算。
# %%
w = nn.Parameter(ag.tensor([1.0, -2.0, 0.5]))
optimizer = nn.optim.SGD([w], lr=0.1)
first, second = (w * w).sum(), (w * w * 3).sum()
(first + second).backward()
print("gradient:", w.grad.tolist(), "= 2w + 6w")
optimizer.step()
assert (w.grad - ag.tensor([8.0, -16.0, 4.0])).abs().max().item() < 1e-6
# %% [markdown]
# ## Auditing a real training step: `check_graph`
#
# `gradcheck` checks a function you name. `ag.check_graph(loss)` checks the graph you *actually ran*: every operation recorded on the way to `loss`, re-run alone in float64 on the very inputs it saw, its backward compared with finite differences (in a random direction, and element by element on small inputs). Dropout is replayed with the same random masks. Call it before `backward()`, which frees what the operations saved. One training step of a tiny Transformer with dropout and label smoothing:
# %% [markdown zh]
# ## 审查一次真实的训练步：`check_graph`
#
# `gradcheck` 检查你指定的函数。`ag.check_graph(loss)` 检查你*真正运行过*的计算图：通往 `loss` 的路上记录下的每个运算，都在 float64 下、在它当时看到的那些输入上单独重新运行，它的反向计算和有限差分对照（沿一个随机方向；输入较小时逐元素比较）。Dropout 会用同样的随机掩码重放。要在 `backward()` 之前调用它，因为 `backward()` 会释放运算保存的东西。下面是一个带 dropout 和标签平滑的小 Transformer 的一次训练步：
# %%
config = transformer.TransformerConfig.preset("tiny", src_vocab_size=20, tgt_vocab_size=20, dropout=0.1)
model = transformer.Transformer(config)
src, tgt_in, tgt_out = (ag.randint(3, 20, (2, n)) for n in (7, 6, 6))
loss = ag.cross_entropy(model(src, tgt_in), tgt_out, ignore_index=0, label_smoothing=0.1)

report = ag.check_graph(loss)
by_op = {}
for check in report.checks:
    count, worst, ok = by_op.get(check.function.name, (0, 0.0, True))
    by_op[check.function.name] = (count + 1, max(worst, check.max_relative), ok and check.ok)
print(f"{'op':14} {'count':>5}  {'worst relative error':>20}  status")
for name, (count, worst, ok) in by_op.items():
    print(f"{name:14} {count:5d}  {worst:20.1e}  {'ok' if ok else 'FAIL'}")
print(f"{len(report.checks)} ops checked, {len(report.failures)} failed")
assert report.ok and len(report.checks) > 100
assert max(check.max_relative for check in report.checks) < 1e-6
# %% [markdown]
# `print(report)` gives the same table per module (`decoder.layers.0.cross_attn`, ...), and `draw(loss, model=model, audit=report)` colours every operation of the graph green or red. Every operation of the step passes, with errors below $10^{-6}$ relative: the finite-difference noise of float64.
#
# ## A wrong backward, planted and found
#
# Now an operation of our own. Swish, $f(x) = x\,\sigma(x)$, with the derivative $f'(x) = \sigma(x) + x\,\sigma(x)(1 - \sigma(x))$. A slip that happens: writing the derivative of the sigmoid, $\sigma(1 - \sigma)$, and forgetting the product rule. An op is a `Function` subclass: `forward` on arrays (through `self.xp`, NumPy or CuPy), `backward` on tensors, returning the gradient of each input.
# %% [markdown zh]
# `print(report)` 会按模块（`decoder.layers.0.cross_attn` 等）给出同样的表格，`draw(loss, model=model, audit=report)` 会把图中每个运算标成绿色或红色。这次训练步的每个运算都通过了，相对误差都低于 $10^{-6}$：那只是 float64 下有限差分的噪声。
#
# ## 埋下一个错误的反向计算，再把它找出来
#
# 现在来写一个我们自己的运算。Swish：$f(x) = x\,\sigma(x)$，导数是 $f'(x) = \sigma(x) + x\,\sigma(x)(1 - \sigma(x))$。一个常见的笔误：写成了 sigmoid 的导数 $\sigma(1 - \sigma)$，忘了乘积法则。一个运算就是 `Function` 的一个子类：`forward` 作用在数组上（通过 `self.xp`，即 NumPy 或 CuPy），`backward` 作用在张量上，返回每个输入的梯度。
# %%
class BuggySwish(ag.Function):
    """x * sigmoid(x), with a planted mistake in its backward."""

    def forward(self, x):
        return x * (self.xp.tanh(x * 0.5) * 0.5 + 0.5)            # sigmoid(x) = (1 + tanh(x/2)) / 2

    def backward(self, gy):
        s = self.inputs[0].sigmoid()
        return gy * s * (1 - s)                                    # wrong: the product rule is missing


x = ag.tensor([0.5, -1.0, 2.0, 0.0], dtype=ag.float64, requires_grad=True)
try:
    ag.gradcheck(lambda t: BuggySwish()(t), [x])
except ag.GradcheckError as e:
    message = str(e)
    print(message)
assert message.startswith("gradcheck failed for input 0 (shape (4,)) at index (0,)")
# %% [markdown]
# The message names the input, the first index where the two disagree and both values. (`gradcheck` differentiates a random weighting $\sum_i r_i f(x_i)$ of the outputs, so the values are $r_0 f'(x_0)$; their ratio is the one to read: the buggy $\sigma(0.5)(1 - \sigma(0.5)) \approx 0.235$ against the true $f'(0.5) \approx 0.740$, about 0.32.) In a model, the same mistake does not crash anything; it just trains badly. `check_graph` finds it among the other operations, and `draw` shows where it is, in red:
# %% [markdown zh]
# 错误信息指出了是哪个输入、两者第一次不一致的下标以及两边的数值。（`gradcheck` 求导的是输出的一个随机加权和 $\sum_i r_i f(x_i)$，所以这两个数是 $r_0 f'(x_0)$；该看的是它们的比值：有错的 $\sigma(0.5)(1 - \sigma(0.5)) \approx 0.235$ 对真正的 $f'(0.5) \approx 0.740$，约为 0.32。）放在模型里，同样的错误不会让任何东西崩溃；它只会让训练效果变差。`check_graph` 在其他运算中把它找出来，`draw` 用红色标出它在哪里：
# %%
class SwishNet(nn.Module):
    def __init__(self, swish):
        super().__init__()
        self.hidden, self.out, self.swish = nn.Linear(3, 4), nn.Linear(4, 1), swish

    def forward(self, x):
        return self.out(self.swish()(self.hidden(x)))


net = SwishNet(BuggySwish)
loss = (net(ag.randn(5, 3)) ** 2).mean()
report = ag.check_graph(loss)
print("failed:", [check.function.name for check in report.failures])
show(draw(loss, model=net, audit=report, title="check_graph: green passes, red fails"))
assert [check.function.name for check in report.failures] == ["BuggySwish"]
s = ag.tensor(0.5, dtype=ag.float64).sigmoid().item()
buggy, true = s * (1 - s), s + 0.5 * s * (1 - s)
analytic, numeric = (float(re.search(f"{kind} ([-0-9.e]+)", message).group(1)) for kind in ("analytic", "numeric"))
print(f"at x = 0.5: buggy {buggy:.3f}, true {true:.3f}, ratio {buggy / true:.3f}; "
      f"gradcheck's analytic / numeric {analytic / numeric:.3f}")
assert abs(buggy - 0.235) < 1e-3 and abs(true - 0.740) < 1e-3
assert abs(analytic / numeric - buggy / true) < 1e-6
# %% [markdown]
# Fixed with the product rule, the op passes `gradcheck`, and `gradgradcheck` too (its backward is written with differentiable tensor operations, so it can itself be differentiated), and the same audit is all green:
# %% [markdown zh]
# 用乘积法则修好之后，这个运算通过了 `gradcheck`，也通过了 `gradgradcheck`（它的反向计算是用可微的张量运算写的，所以本身也能再求导），同样的审查也全部变绿：
# %%
class Swish(ag.Function):
    """x * sigmoid(x); gradient sigmoid(x) + x sigmoid(x) (1 - sigmoid(x))."""

    def forward(self, x):
        return x * (self.xp.tanh(x * 0.5) * 0.5 + 0.5)

    def backward(self, gy):
        x = self.inputs[0]
        s = x.sigmoid()
        return gy * (s + x * s * (1 - s))


assert ag.gradcheck(lambda t: Swish()(t), [x])
assert ag.gradgradcheck(lambda t: Swish()(t), [x])
assert ag.allclose(Swish()(x), x * x.sigmoid(), atol=1e-15)

net = SwishNet(Swish)
loss = (net(ag.randn(5, 3)) ** 2).mean()
report = ag.check_graph(loss)
print(f"{len(report.checks)} ops checked, {len(report.failures)} failed")
assert report.ok
show(draw(loss, model=net, audit=report, title="after the fix"))
# %% [markdown]
# ## What to remember
#
# - `with ag.detect_anomaly():` stops at the first NaN or Inf, forward or backward, and names the op and your line; `import tools.anomaly_picture` adds a picture.
# - "modified in place since ... version": something (usually `opt.step()`) changed a saved tensor between forward and backward; backward first, then step.
# - `ag.check_graph(loss)` audits every op of the step you really ran; `draw(..., audit=report)` shows the result.
# - Every new op gets `gradcheck` and `gradgradcheck` before it gets a model.
#
# That is the course: backpropagation is the chain rule on a graph (1); attention is matrices and a softmax, differentiated like anything else (2, 3); positions, residuals and LayerNorm are what make it work in practice (4, 5); the whole Transformer trains and translates (6); and when a gradient is wrong, there are tools to find out where (7). Back to the [course index](README.md).
# %% [markdown zh]
# ## 要记住的
#
# - `with ag.detect_anomaly():` 在第一个 NaN 或 Inf 处停下，无论前向还是反向，并指出运算和你的那一行代码；`import tools.anomaly_picture` 会再附上一张图。
# - "modified in place since ... version"：有东西（通常是 `opt.step()`）在前向和反向之间改动了一个被保存的张量；先做反向，再做更新。
# - `ag.check_graph(loss)` 审查你真正运行过的那一步中的每个运算；`draw(..., audit=report)` 把结果画出来。
# - 每个新运算在放进模型之前，先过 `gradcheck` 和 `gradgradcheck`。
#
# 课程到此结束：反向传播就是计算图上的链式法则（1）；注意力不过是矩阵和 softmax，和别的东西一样求导（2、3）；位置、残差和 LayerNorm 让它在实践中行得通（4、5）；完整的 Transformer 能训练，也能翻译（6）；而当某个梯度出错时，有工具帮你找到错在哪里（7）。回到[课程目录](README.md)。
