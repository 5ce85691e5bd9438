# %% [markdown]
# # 1. The chain rule on a graph
#
# **By the end of this notebook you will be able to:**
#
# - differentiate a small composite function by hand, one operation at a time, with the chain rule;
# - get the same numbers from `backward()`, and say what it did: it walked the recorded graph from the output back to the inputs, multiplying local derivatives and adding them where paths meet;
# - draw that graph, forward and backward, with `tools.backprop_graph.draw`;
# - check any gradient against finite differences with `ag.gradcheck`, and explain why it uses central differences in float64.
#
# This course runs on gradformer itself: every number in the text is computed in the cell next to it, and checked there by an `assert`, so a claim that stopped being true would stop the notebook. Everything later in the course (attention, LayerNorm, the whole Transformer) is built from the ideas of this first notebook.
# %% [markdown zh]
# # 1. 计算图上的链式法则
#
# **学完本节，你将能够：**
#
# - 用链式法则，一次一个运算，亲手求出一个小复合函数的导数；
# - 用 `backward()` 得到同样的数值，并说清它做了什么：沿着记录下来的计算图从输出走回输入，把局部导数相乘，在路径汇合处相加；
# - 用 `tools.backprop_graph.draw` 画出这张图，包括前向和反向；
# - 用 `ag.gradcheck` 把任意梯度和有限差分对照检查，并解释它为什么用 float64 下的中心差分。
#
# 本课程直接运行在 gradformer 之上：正文里的每个数都由旁边的代码单元算出，并在那里用 `assert` 检查；如果某个说法不再成立，笔记本就会停下来。课程后面的一切（注意力、LayerNorm、完整的 Transformer）都建立在这第一节的思想之上。
# %%
import math

import matplotlib.pyplot as plt
from IPython.display import SVG, display

import autograd as ag
from tools.backprop_graph import draw

ag.manual_seed(0)


def show(graph):
    """Show a draw(...) graph as its SVG picture (also where notebooks are read without running)."""
    display(SVG(graph.pipe(format="svg", encoding="utf-8")))
# %% [markdown]
# ## A function of three operations, by hand
#
# Take one neuron: $y = \tanh(w x + b)$. The computer does not see a formula; it sees three operations, each feeding the next:
#
# $$u = w \cdot x, \qquad z = u + b, \qquad y = \tanh z .$$
#
# Each operation knows its own *local* derivatives, and nothing more:
#
# | operation | local derivatives |
# | --- | --- |
# | $u = w x$ | $\partial u/\partial w = x$, $\ \partial u/\partial x = w$ |
# | $z = u + b$ | $\partial z/\partial u = 1$, $\ \partial z/\partial b = 1$ |
# | $y = \tanh z$ | $\partial y/\partial z = 1 - \tanh^2 z = 1 - y^2$ |
#
# The chain rule multiplies them along the path from the output back to each input:
#
# $$\frac{\partial y}{\partial w} = \frac{\partial y}{\partial z}\,\frac{\partial z}{\partial u}\,\frac{\partial u}{\partial w} = (1 - y^2)\cdot 1 \cdot x, \qquad \frac{\partial y}{\partial x} = (1 - y^2)\, w, \qquad \frac{\partial y}{\partial b} = 1 - y^2 .$$
#
# Here it is with plain Python floats, at $x = 0.5$, $w = -1.5$, $b = 0.25$:
# %% [markdown zh]
# ## 三个运算组成的函数：先手算
#
# 取一个神经元：$y = \tanh(w x + b)$。计算机看到的不是公式，而是三个运算，一个接一个：
#
# $$u = w \cdot x, \qquad z = u + b, \qquad y = \tanh z .$$
#
# 每个运算只知道自己的*局部*导数，别的一概不知：
#
# | 运算 | 局部导数 |
# | --- | --- |
# | $u = w x$ | $\partial u/\partial w = x$，$\ \partial u/\partial x = w$ |
# | $z = u + b$ | $\partial z/\partial u = 1$，$\ \partial z/\partial b = 1$ |
# | $y = \tanh z$ | $\partial y/\partial z = 1 - \tanh^2 z = 1 - y^2$ |
#
# 链式法则沿着从输出回到每个输入的路径，把它们乘起来：
#
# $$\frac{\partial y}{\partial w} = \frac{\partial y}{\partial z}\,\frac{\partial z}{\partial u}\,\frac{\partial u}{\partial w} = (1 - y^2)\cdot 1 \cdot x, \qquad \frac{\partial y}{\partial x} = (1 - y^2)\, w, \qquad \frac{\partial y}{\partial b} = 1 - y^2 .$$
#
# 下面用普通的 Python 浮点数来算，取 $x = 0.5$，$w = -1.5$，$b = 0.25$：
# %%
x_, w_, b_ = 0.5, -1.5, 0.25
u_ = w_ * x_
z_ = u_ + b_
y_ = math.tanh(z_)
dy_dz = 1 - y_ ** 2            # the local derivative of tanh
by_hand = {"x": dy_dz * 1 * w_, "w": dy_dz * 1 * x_, "b": dy_dz * 1}
print(f"y = {y_:.6f}")
for name, value in by_hand.items():
    print(f"dy/d{name} = {value:+.6f}")
# %% [markdown]
# ## The same with `backward()`
#
# Now the same three operations on gradformer tensors. `requires_grad=True` asks gradformer to record every operation applied to them; `y.backward()` then computes $\partial y/\partial(\text{every input})$ and leaves it in `.grad`. We use float64 so that the comparison with the hand-computed values can be tight: they agree to $10^{-12}$.
# %% [markdown zh]
# ## 用 `backward()` 再算一遍
#
# 现在在 gradformer 的张量上做同样的三个运算。`requires_grad=True` 让 gradformer 记录对它们做的每个运算；随后 `y.backward()` 计算 $\partial y/\partial(\text{每个输入})$，结果放在 `.grad` 里。这里用 float64，好让它和手算结果的比较可以很严格：两者相差不超过 $10^{-12}$。
# %%
x = ag.tensor(x_, dtype=ag.float64, requires_grad=True)
w = ag.tensor(w_, dtype=ag.float64, requires_grad=True)
b = ag.tensor(b_, dtype=ag.float64, requires_grad=True)
x.name, w.name, b.name = "x", "w", "b"

u = w * x
z = u + b
y = z.tanh()
u.name, z.name, y.name = "u", "z", "y"
print(y)

y.backward(retain_graph=True)      # retain_graph: keep the graph, we draw it below
for t in (x, w, b):
    print(f"dy/d{t.name} = {t.grad.item():+.6f}   by hand {by_hand[t.name]:+.6f}")
    assert abs(t.grad.item() - by_hand[t.name]) < 1e-12
# %% [markdown]
# ## The graph that `backward()` walked
#
# Every tensor made by an operation remembers that operation in `grad_fn`, and every operation remembers its inputs. That chain of references *is* the graph: nothing else is stored.
# %% [markdown zh]
# ## `backward()` 走过的那张图
#
# 每个由运算产生的张量都在 `grad_fn` 里记着这个运算，每个运算又记着自己的输入。这一串引用*就是*计算图，此外什么也没有存。
# %%
print("y.grad_fn:", y.grad_fn, "  its input:", y.grad_fn.inputs[0].grad_fn)
print("z.grad_fn:", z.grad_fn, "  its inputs:", [t.grad_fn or t.name for t in z.grad_fn.inputs])
print("u.grad_fn:", u.grad_fn, "  its inputs:", [t.grad_fn or t.name for t in u.grad_fn.inputs])
assert y.grad_fn.inputs[0] is z and z.grad_fn.inputs[0] is u and u.grad_fn.inputs == (w, x)
# %% [markdown]
# `draw` turns the same references into a picture. Blue boxes are operations, white ones tensors (with shape and dtype), green ones the inputs we asked gradients for. With `backward=True` each operation gets its backward node (red), and the red arrows show the gradient flowing from $y$ back to $x$, $w$ and $b$, each tensor labelled with the norm of its gradient; `show_order=True` numbers the backward nodes in the order `backward()` ran them.
# %% [markdown zh]
# `draw` 把这些引用画成图。蓝色方框是运算，白色的是张量（标着形状和数据类型），绿色的是我们要求梯度的输入。加上 `backward=True`，每个运算都会多出它的反向节点（红色），红色箭头表示梯度从 $y$ 流回 $x$、$w$ 和 $b$，每个张量旁标着它梯度的范数；`show_order=True` 按 `backward()` 实际执行的顺序给反向节点编号。
# %%
show(draw(y, backward=True, show_order=True))
# %% [markdown]
# ## The chain rule is a loop
#
# `backward()` starts from $\partial y/\partial y = 1$ and visits the operations from the output back (step 1 above is `TanhBackward`). Each one receives the gradient of its output, multiplies it by its local derivatives and hands the results to its inputs. We can watch the gradients arrive on the intermediate tensors: `retain_grad()` keeps them, and a hook sees each as it passes.
#
# The numbers are exactly the partial products of the chain rule: $\partial y/\partial z = 1 - y^2$; $\partial y/\partial u = \partial y/\partial z \cdot 1$; $\partial y/\partial w = \partial y/\partial u \cdot x$.
# %% [markdown zh]
# ## 链式法则就是一个循环
#
# `backward()` 从 $\partial y/\partial y = 1$ 出发，从输出往回依次访问各个运算（上图第 1 步是 `TanhBackward`）。每个运算收到它输出的梯度，乘上自己的局部导数，再把结果交给它的输入。我们可以看着梯度到达中间张量：`retain_grad()` 把它们留下来，钩子（hook）在梯度经过时就能看到它。
#
# 这些数正是链式法则的部分乘积：$\partial y/\partial z = 1 - y^2$；$\partial y/\partial u = \partial y/\partial z \cdot 1$；$\partial y/\partial w = \partial y/\partial u \cdot x$。
# %%
x, w, b = (t.detach().requires_grad_() for t in (x, w, b))
u = w * x
z = u + b
y = z.tanh()
u.retain_grad()
z.retain_grad()
z.register_hook(lambda g: print(f"the gradient reaching z: {g.item():.6f}"))
y.backward()

print(f"dy/dz = {z.grad.item():.6f} = 1 - y^2")
print(f"dy/du = {u.grad.item():.6f} = dy/dz * 1")
print(f"dy/dw = {w.grad.item():.6f} = dy/du * x")
assert abs(z.grad.item() - (1 - y.item() ** 2)) < 1e-15
assert u.grad.item() == z.grad.item()
assert w.grad.item() == u.grad.item() * x.item()
# %% [markdown]
# ## Where paths meet, gradients add
#
# When a tensor is used twice, the chain rule sums over every path from the output back to it. Take $f(x) = x \tanh x$: $x$ feeds the multiplication directly and through $\tanh$, so
#
# $$f'(x) = \underbrace{\tanh x}_{\text{direct path}} + \underbrace{x\,(1 - \tanh^2 x)}_{\text{through tanh}} .$$
#
# `backward()` does this by *accumulating*: each path's contribution is added into `x.grad`. The picture shows the two red arrows arriving at $x$.
# %% [markdown zh]
# ## 路径汇合处，梯度相加
#
# 一个张量被用了两次时，链式法则要对从输出回到它的每条路径求和。以 $f(x) = x \tanh x$ 为例：$x$ 既直接进入乘法，又经过 $\tanh$ 进入乘法，所以
#
# $$f'(x) = \underbrace{\tanh x}_{\text{直接路径}} + \underbrace{x\,(1 - \tanh^2 x)}_{\text{经过 tanh}} .$$
#
# `backward()` 靠*累加*做到这一点：每条路径的贡献都加进 `x.grad`。图里可以看到两支红色箭头都到达 $x$。
# %%
x = ag.tensor([0.5, -1.0, 2.0], dtype=ag.float64, requires_grad=True)
x.name = "x"
f = (x * x.tanh()).sum()
f.backward(retain_graph=True)
t = x.detach().tanh()
by_hand = t + x.detach() * (1 - t * t)
print("autograd:", x.grad)
print("by hand: ", by_hand)
assert (x.grad - by_hand).abs().max().item() < 1e-15
show(draw(f, backward=True))
# %% [markdown]
# ## Checking a gradient: finite differences
#
# How do we know a gradient is right without deriving it by hand? Wiggle the input and watch the output. The **central difference**
#
# $$f'(x) \approx \frac{f(x + h) - f(x - h)}{2h}$$
#
# is off by about $h^2 f'''(x)/6$ (the forward difference $(f(x+h) - f(x))/h$ is off by $h f''(x)/2$, much worse). But $h$ cannot be made arbitrarily small: $f(x \pm h)$ are rounded to the machine's precision $\varepsilon$, and that rounding error, divided by $2h$, grows like $\varepsilon / h$. The best $h$ balances the two. In float32 ($\varepsilon \approx 1.2 \times 10^{-7}$) rounding soon takes over, and a smaller step makes things worse: at $h = 10^{-6}$ the estimate is more than ten times worse than at $h = 10^{-2}$, off by more than $10^{-3}$ (here about 1%): too coarse to tell a right gradient from a slightly wrong one. In float64 ($\varepsilon \approx 2.2 \times 10^{-16}$) the error stays below $10^{-9}$ for every $h$ from $10^{-5}$ to $10^{-7}$.
#
# The plot measures it for $f(x) = x \tanh x$ at $x = 0.5$:
# %% [markdown zh]
# ## 检查梯度：有限差分
#
# 不手推公式，怎么知道一个梯度是对的？轻轻扰动输入，看输出怎么变。**中心差分**
#
# $$f'(x) \approx \frac{f(x + h) - f(x - h)}{2h}$$
#
# 的误差约为 $h^2 f'''(x)/6$（前向差分 $(f(x+h) - f(x))/h$ 的误差是 $h f''(x)/2$，差得多）。但 $h$ 不能无限缩小：$f(x \pm h)$ 会被舍入到机器精度 $\varepsilon$，这个舍入误差除以 $2h$ 后像 $\varepsilon / h$ 那样增长。最好的 $h$ 让两者平衡。在 float32 下（$\varepsilon \approx 1.2 \times 10^{-7}$），舍入误差很快就占了上风，步长越小反而越糟：$h = 10^{-6}$ 时的误差是 $h = 10^{-2}$ 时的十倍以上，超过 $10^{-3}$（这里约为 1%），粗到分不清正确的梯度和略有错误的梯度。在 float64 下（$\varepsilon \approx 2.2 \times 10^{-16}$），$h$ 从 $10^{-5}$ 到 $10^{-7}$ 的每个取值上误差都低于 $10^{-9}$。
#
# 下图在 $x = 0.5$ 处对 $f(x) = x \tanh x$ 实测这一点：
# %%
def f(v):
    return v * v.tanh()


x0 = 0.5
exact = math.tanh(x0) + x0 * (1 - math.tanh(x0) ** 2)
steps = [10.0 ** -k for k in range(1, 13)]
errors = {}
for dtype in (ag.float32, ag.float64):
    errors[dtype] = []
    for h in steps:
        plus, minus = ag.tensor(x0 + h, dtype=dtype), ag.tensor(x0 - h, dtype=dtype)
        numeric = ((f(plus) - f(minus)) / (2 * h)).item()
        errors[dtype].append(abs(numeric - exact) / abs(exact))

fig, ax = plt.subplots(figsize=(6, 3.5))
for dtype, errs in errors.items():
    ax.loglog(steps, errs, "o-", label=str(dtype))
ax.set_xlabel("step h")
ax.set_ylabel("relative error of the central difference")
ax.legend()
ax.invert_xaxis()
plt.show()

at = steps.index(1e-6)                       # gradcheck's step
e32, e64 = errors[ag.float32][at], errors[ag.float64][at]
print(f"relative error at h = 1e-6: float32 ~1e{math.log10(e32):.0f}, float64 ~1e{math.log10(e64):.0f}")
assert 1e-3 < e32 < 1e-1          # about 1%
assert e32 > 10 * errors[ag.float32][steps.index(1e-2)]
assert all(errors[ag.float64][steps.index(h)] < 1e-9 for h in (1e-5, 1e-6, 1e-7))
# %% [markdown]
# ## `gradcheck`
#
# `ag.gradcheck(fn, inputs)` does this for every input that requires grad, in float64, with $h = 10^{-6}$, and compares the result with what `backward()` computes. It makes two checks: every element of the gradient against its own central difference (on small inputs), and, cheap on inputs of any size, the derivative along a random direction $v$: $\frac{d}{dt} \langle r, f(x + t v) \rangle$ at $t = 0$ must equal $\langle \text{grad}, v \rangle$, $r$ being random weights on the outputs. It returns `True` or raises an error naming the input, the index and both values (notebook 7 shows one). `ag.gradgradcheck` does the same for the second derivatives.
#
# Every derivative shown in this course is checked this way, including the ones in this notebook:
# %% [markdown zh]
# ## `gradcheck`
#
# `ag.gradcheck(fn, inputs)` 对每个需要梯度的输入做这件事：用 float64、取 $h = 10^{-6}$，把结果和 `backward()` 算出的梯度比较。它做两项检查：在小输入上，梯度的每个元素都和自己的中心差分比较；另一项在任意大小的输入上都很便宜，沿随机方向 $v$ 的导数：$t = 0$ 处的 $\frac{d}{dt} \langle r, f(x + t v) \rangle$ 必须等于 $\langle \text{梯度}, v \rangle$，其中 $r$ 是输出上的随机权重。它返回 `True`，否则抛出错误，写明是哪个输入、哪个下标以及两边的数值（第 7 节会展示一个）。`ag.gradgradcheck` 对二阶导数做同样的检查。
#
# 本课程中出现的每个导数都这样检查过，包括本节的这些：
# %%
def neuron(x, w, b):
    return (w * x + b).tanh()


xs = [ag.randn(4, dtype=ag.float64, requires_grad=True) for _ in range(3)]
assert ag.gradcheck(neuron, xs)
assert ag.gradgradcheck(neuron, xs)
assert ag.gradcheck(f, [xs[0]]) and ag.gradgradcheck(f, [xs[0]])
print("gradcheck and gradgradcheck passed for tanh(w x + b) and x tanh x")
# %% [markdown]
# Finite differences in float32 would be too coarse to mean anything, so `gradcheck` refuses float32 inputs and says what to do:
# %% [markdown zh]
# float32 下的有限差分粗到没有意义，所以 `gradcheck` 拒绝 float32 输入，并告诉你该怎么做：
# %%
try:
    ag.gradcheck(f, [ag.randn(4, requires_grad=True)])
except TypeError as e:
    print("TypeError:", e)
    assert "float64" in str(e)
# %% [markdown]
# ## What to remember
#
# - A computation is a graph of small operations; each knows only its local derivatives.
# - `backward()` is the chain rule run as a loop over that graph, from the output back: multiply along paths, add where paths meet.
# - `gradcheck` compares it with central differences in float64, accurate to better than $10^{-9}$ (in float32, off by about 1% at the same step).
#
# Next: [2. Self-attention from scratch](02_self_attention.ipynb), the same chain rule through a softmax and three matrix products.
# %% [markdown zh]
# ## 要记住的
#
# - 一次计算就是由许多小运算组成的图；每个运算只知道自己的局部导数。
# - `backward()` 就是在这张图上、从输出往回循环执行的链式法则：沿路径相乘，在汇合处相加。
# - `gradcheck` 把它和 float64 下的中心差分比较，后者的误差小于 $10^{-9}$（同样的步长下，float32 的误差约为 1%）。
#
# 下一节：[2. 从零实现自注意力](02_self_attention.ipynb)，同样的链式法则，穿过一个 softmax 和三次矩阵乘法。
