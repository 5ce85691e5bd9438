# %% [markdown]
# # 6. The whole machine
#
# **By the end of this notebook you will be able to:**
#
# - assemble the encoder-decoder Transformer of the paper from the parts of notebooks 2 to 5, and say what flows where: encoder self-attention, masked decoder self-attention, cross-attention;
# - build the padding and causal masks, and read them as pictures;
# - train a Transformer on the built-in toy language pair in well under a minute, watch its loss, and translate with it;
# - watch cross-attention learn the word reordering between the two languages;
# - decode with greedy search and beam search, and say when they differ.
#
# Everything here runs on the public API: `transformer.Transformer`, `nn.optim`, `transformer.greedy_decode` and `transformer.beam_search`, and the toy task of `transformer.tasks`.
# %% [markdown zh]
# # 6. 整台机器
#
# **学完本节，你将能够：**
#
# - 用第 2 到第 5 节的部件组装出论文中的编码器-解码器 Transformer，并说清什么流向哪里：编码器自注意力、带掩码的解码器自注意力、交叉注意力；
# - 构造填充掩码和因果掩码，并把它们当作图来读；
# - 在内置的玩具语言对上用远不到一分钟的时间训练一个 Transformer，观察它的损失，并用它来翻译；
# - 看着交叉注意力学会两种语言之间的词序调整；
# - 用贪心搜索和束搜索解码，并说明两者何时不同。
#
# 这里的一切都只用公开接口：`transformer.Transformer`、`nn.optim`、`transformer.greedy_decode` 和 `transformer.beam_search`，以及 `transformer.tasks` 中的玩具任务。
# %%
import math
import time

import matplotlib.pyplot as plt
from IPython.display import SVG, display

import autograd as ag
import nn
import transformer
from tools.backprop_graph import draw
from transformer.batching import collate, encode_pairs, make_batches
from transformer.tasks import TOY_LEXICON, make_task
from transformer.tokenizer import Vocab, WordTokenizer

ag.set_default_dtype(ag.float64)     # see notebook 3: float64 keeps stored numbers identical everywhere
ag.manual_seed(0)


def show(graph):
    """Show a draw(...) graph as its SVG picture (also where notebooks are read without running)."""
    display(SVG(graph.pipe(format="svg", encoding="utf-8")))
# %% [markdown]
# ## The toy language pair
#
# The source language is English-like: subject, verb, object, adjectives before the noun. The target language, invented, puts the verb last (subject, object, verb), the adjectives after the noun, the determiner after the adjectives, and postpositions after the place; plural nouns take the suffix *-ri*, and the verb takes *-n* when the **subject** is plural. So the last target word depends on the first source noun, and the word order must be rearranged: a translation model has to learn a non-monotonic alignment. Every source word has one target word, and the target is a function of the source, so 100% is learnable.
# %% [markdown zh]
# ## 玩具语言对
#
# 源语言类似英语：主语、动词、宾语，形容词在名词之前。目标语言是虚构的：动词放在最后（主语、宾语、动词），形容词在名词之后，限定词在形容词之后，地点之后跟后置词；复数名词加后缀 *-ri*，当**主语**为复数时动词加 *-n*。所以目标句的最后一个词取决于源句的第一个名词，而且词序必须重新排列：翻译模型必须学会一种非单调的对齐。每个源语言词都有唯一的目标语言词，目标句是源句的函数，所以 100% 是可以学到的。
# %%
splits = make_task("toy-pair", seed=0, n_train=6000, n_valid=0, n_test=200)
for source, target in splits.train[:3]:
    print(f"{source}\n  -> {target}")
print(f"\n{len(splits.train)} training pairs, {len(splits.test)} held-out test pairs "
      "(no test source occurs in training)")
assert not {s for s, _ in splits.test} & {s for s, _ in splits.train}
# %% [markdown]
# ## From words to batches of ids
#
# A vocabulary per language maps words to ids (0 to 3 are reserved: `<pad>`, `<bos>`, `<eos>`, `<unk>`). Sentences of similar length are grouped into batches of at most 1,024 tokens, and each batch is padded to its longest sentence. The decoder is trained by *teacher forcing*: it reads the target shifted right, starting with `<bos>` (`tgt_in`), and at each position predicts the next word (`tgt_out`, ending with `<eos>`).
# %% [markdown zh]
# ## 从词到成批的编号
#
# 每种语言各有一个词表，把词映射为编号（0 到 3 是保留的：`<pad>`、`<bos>`、`<eos>`、`<unk>`）。长度相近的句子被分到同一批，每批最多 1,024 个词元，并按批内最长的句子填充。解码器用*教师强制*（teacher forcing）训练：它读入右移一位、以 `<bos>` 开头的目标句（`tgt_in`），在每个位置预测下一个词（`tgt_out`，以 `<eos>` 结尾）。
# %%
tokenizer = WordTokenizer()
src_vocab = Vocab.build(tokenizer.tokenize(s) for s, _ in splits.train)
tgt_vocab = Vocab.build(tokenizer.tokenize(t) for _, t in splits.train)
train = encode_pairs(splits.train, tokenizer, tokenizer, src_vocab, tgt_vocab, max_len=32)
test = encode_pairs(splits.test, tokenizer, tokenizer, src_vocab, tgt_vocab, max_len=32)
print(f"vocabularies: {len(src_vocab)} source and {len(tgt_vocab)} target words (with the 4 specials)")

src, tgt_in, tgt_out = collate(train, [0, 1])
print("src   ", src.shape, src.tolist())
print("tgt_in", tgt_in.shape, tgt_in.tolist())
print("tgt_out", tgt_out.shape, tgt_out.tolist())
for b in range(2):                                            # <bos> + target, target + <eos>
    n = len(train.tgt[b])
    assert tgt_in[b, :n + 1].tolist() == [1] + train.tgt[b] and tgt_out[b, :n + 1].tolist() == train.tgt[b] + [2]
# %% [markdown]
# ## The masks
#
# Attention weights are computed for every (query, key) pair; masks say which pairs are allowed (`True`) and which are set to a very negative score before the softmax, hence weight 0:
#
# - the **padding mask** hides the `<pad>` keys of a sentence shorter than its batch: shape `(B, 1, 1, S)`, broadcast over heads and queries;
# - the **causal mask** keeps the decoder from looking ahead: position $t$ may attend only to positions $\le t$, since at translation time the words after $t$ do not exist yet. The decoder's self-attention uses both: `target_mask`, shape `(B, 1, T, T)`.
#
# For the two sentences above (yellow: allowed):
# %% [markdown zh]
# ## 掩码
#
# 注意力权重要对每一对（查询，键）计算；掩码规定哪些对是允许的（`True`），哪些在 softmax 之前被设成一个很大的负分数，从而权重为 0：
#
# - **填充掩码**遮住比本批次短的句子中的 `<pad>` 键：形状为 `(B, 1, 1, S)`，在各个头和各个查询上广播；
# - **因果掩码**不让解码器偷看后面：位置 $t$ 只能关注位置 $\le t$，因为翻译时 $t$ 之后的词还不存在。解码器的自注意力同时使用两者：`target_mask`，形状为 `(B, 1, T, T)`。
#
# 对上面的两个句子（黄色：允许）：
# %%
src_mask = transformer.padding_mask(src, pad_id=0)           # (B, 1, 1, S)
tgt_mask = transformer.target_mask(tgt_in, pad_id=0)         # (B, 1, T, T)
print("padding mask", src_mask.shape, "  target mask", tgt_mask.shape)

fig, axes = plt.subplots(1, 4, figsize=(14, 3.4))
for b in range(2):
    axes[b].imshow(src_mask[b, 0].broadcast_to((src.shape[1], src.shape[1])).numpy(), vmin=0, vmax=1)
    axes[b].set(title=f"sentence {b}: padding mask", xlabel="source key", ylabel="source query")
    axes[2 + b].imshow(tgt_mask[b, 0].numpy(), vmin=0, vmax=1)
    axes[2 + b].set(title=f"sentence {b}: target mask", xlabel="target key", ylabel="target query")
plt.tight_layout()
plt.show()

causal = transformer.causal_mask(tgt_in.shape[1])[0, 0]
assert causal.tolist() == ag.ones(tgt_in.shape[1], tgt_in.shape[1]).tril().bool().tolist()
assert src_mask[:, 0, 0].tolist() == (src != 0).tolist()
assert tgt_mask.tolist() == (causal & (tgt_in != 0).view(2, 1, 1, -1)).tolist()
# %% [markdown]
# ## The model
#
# `TransformerConfig.preset("tiny")`: $d_{model} = 64$, 4 heads, 2 encoder and 2 decoder layers, feed-forward width 256, post-norm as in the paper, the output projection tied to the target embedding. We switch dropout off to keep the run short and deterministic. The picture shows one forward pass at the level of modules: the encoder (embedding, positions, two layers of self-attention and feed-forward) turns the source into a *memory* $(B, S, d_{model})$; each decoder layer runs masked self-attention over the target so far, then **cross-attention**, whose queries come from the decoder and whose keys and values come from the encoder's memory, then feed-forward; the generator maps each position to scores over the target vocabulary.
# %% [markdown zh]
# ## 模型
#
# `TransformerConfig.preset("tiny")`：$d_{model} = 64$，4 个头，编码器和解码器各 2 层，前馈层宽 256，和论文一样用后归一化，输出投影与目标语言嵌入共享权重。我们关掉 dropout，让训练更短、结果确定。下图在模块这一层展示一次前向计算：编码器（嵌入、位置、两层自注意力和前馈）把源句变成*记忆*（memory）$(B, S, d_{model})$；每个解码器层先对已有的目标序列做带掩码的自注意力，再做**交叉注意力**——它的查询来自解码器，键和值来自编码器的记忆——然后是前馈层；生成器（generator）把每个位置映射为目标词表上的分数。
# %%
config = transformer.TransformerConfig.preset(
    "tiny", src_vocab_size=len(src_vocab), tgt_vocab_size=len(tgt_vocab), dropout=0.0,
    attention_dropout=0.0, max_len=32)
model = transformer.Transformer(config)
print(model.extra_repr())

logits = model(src, tgt_in)                                  # (B, T, target vocabulary)
loss = ag.cross_entropy(logits, tgt_out, ignore_index=0)
print("logits", logits.shape, f"  loss at initialisation {loss.item():.3f}")
show(draw(loss, model=model, depth=2, title="one forward pass of the tiny Transformer, "
                                             "modules two levels deep"))
# %% [markdown]
# Cross-attention's weights have one row per target position and one column per source position: $(B, h, T, S)$. And its gradient is an ordinary gradient: here is `gradcheck` on the loss of the whole model, through encoder, cross-attention and decoder, with respect to the query projection of the first cross-attention (a $64 \times 64$ matrix, checked in a random direction):
# %% [markdown zh]
# 交叉注意力的权重中，每个目标位置一行，每个源位置一列：$(B, h, T, S)$。它的梯度也是普通的梯度：下面对整个模型的损失——穿过编码器、交叉注意力和解码器——关于第一个交叉注意力的查询投影（一个 $64 \times 64$ 的矩阵，沿随机方向检查）做 `gradcheck`：
# %%
model.keep_attention_weights(True)
model(src, tgt_in)
cross = model.decoder.layers[0].cross_attn.last_weights
print("cross-attention weights", cross.shape, "  (B, heads, target positions, source positions)")
model.keep_attention_weights(False)

name = "decoder.layers.0.cross_attn.w_q.weight"


def loss_of(weight):
    logits = nn.functional_call(model, {name: weight}, src, tgt_in)
    return ag.cross_entropy(logits, tgt_out, ignore_index=0)


w_q = dict(model.named_parameters())[name].detach().requires_grad_()
assert ag.gradcheck(loss_of, [w_q])
print(f"gradcheck passed for d loss / d {name}")
# %% [markdown]
# ## Training
#
# Adam with the paper's $\beta_2 = 0.98$, $\epsilon = 10^{-9}$; the learning rate warms up over 100 steps to $2 \times 10^{-3}$, then decays to 0 along a cosine; label smoothing 0.1 (the target puts 90% of the probability on the right word and spreads the rest over the vocabulary, so the loss cannot go below that target's entropy, about 0.74). Eight passes over the 6,000 pairs: 440 steps. Every 25 steps we also record the cross-attention of the last decoder layer on one sentence, to watch the alignment form.
# %% [markdown zh]
# ## 训练
#
# 用 Adam，取论文的 $\beta_2 = 0.98$、$\epsilon = 10^{-9}$；学习率在前 100 步预热到 $2 \times 10^{-3}$，再沿余弦曲线衰减到 0；标签平滑取 0.1（训练目标把 90% 的概率放在正确的词上，其余的分给整个词表，所以损失不可能低于这个目标分布的熵，约 0.74）。在 6,000 个句对上训练八遍，共 440 步。每 25 步我们还记录最后一个解码器层对某一个句子的交叉注意力，以观察对齐如何形成。
# %%
sentence = "the big dogs never chased a small cat near my house"
reference = "kavori gara lo lumo mi ko mire pini na ma dokan"
s_words, t_words = sentence.split(), reference.split()
one_src = ag.tensor([src_vocab.encode(s_words) + [2]])                  # + <eos>
one_tgt_in = ag.tensor([[1] + tgt_vocab.encode(t_words)])                 # <bos> + target
from_target = {target: source for source, target in TOY_LEXICON.items()}


def source_position(word):
    """Where the source word that ``word`` translates stands (suffixes -ri, -n removed)."""
    for stem in (word, word[:-2] if word.endswith("ri") else None, word[:-1]):
        if stem in from_target:
            lemma = from_target[stem]
            return next(i for i, w in enumerate(s_words) if w in (lemma, lemma + "s"))


gold = [source_position(w) for w in t_words] + [len(s_words)]             # <eos> -> <eos>
print("target word -> source word:", [(t, s_words[g]) for t, g in zip(t_words, gold)])


def alignment():
    """Last decoder layer's cross-attention on the sentence, averaged over heads: (T, S)."""
    model.keep_attention_weights(True)
    model.eval()
    with ag.no_grad():
        model(one_src, one_tgt_in)
    model.train()
    weights = model.decoder.layers[-1].cross_attn.last_weights[0].mean(dim=0)
    model.keep_attention_weights(False)
    return weights


def aligned_fraction(weights):
    """The share of predicted target words whose most-attended source word is their translation."""
    return sum(int(weights[t].argmax().item() == g) for t, g in enumerate(gold)) / len(gold)
# %%
ag.manual_seed(0)
model = transformer.Transformer(config)
optimizer = nn.optim.Adam(model.parameters(), lr=2e-3, betas=(0.9, 0.98), eps=1e-9)
batches = [b for epoch in range(8) for b in make_batches(train, max_tokens=1024, seed=0, epoch=epoch)]
schedule = nn.optim.WarmupCosineSchedule(optimizer, warmup_steps=100, total_steps=len(batches))
assert len(batches) == 440

losses, snapshots, aligned = [], {}, []
start = time.perf_counter()
for step, batch in enumerate(batches):
    if step % 25 == 0:
        snapshots[step] = alignment()
        aligned.append((step, aligned_fraction(snapshots[step])))
    if step == 150:
        half_trained = {k: v.clone() for k, v in model.state_dict().items()}
    src, tgt_in, tgt_out = collate(train, batch)
    loss = ag.cross_entropy(model(src, tgt_in), tgt_out, ignore_index=0, label_smoothing=0.1)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    schedule.step()
    losses.append(loss.item())
    if step % 50 == 0 or step == len(batches) - 1:
        print(f"step {step:3d}  loss {loss.item():.3f}  lr {schedule.get_last_lr()[0]:.2e}")
snapshots[len(batches)] = alignment()
aligned.append((len(batches), aligned_fraction(snapshots[len(batches)])))
print(f"trained {len(batches)} steps in {time.perf_counter() - start:.1f} s")
# %%
eps, V = 0.1, len(tgt_vocab)                  # the floor: the entropy of the smoothed target
right, other = 1 - eps + eps / V, eps / V
floor = -(right * math.log(right) + (V - 1) * other * math.log(other))
print(f"lowest possible loss {floor:.3f}; loss after training {losses[-1]:.3f}")

fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 3.5))
ax1.plot(losses)
ax1.axhline(floor, color="gray", linestyle=":", label=f"the floor of label smoothing 0.1: {floor:.2f}")
ax1.set(xlabel="step", ylabel="loss", title="training loss (label-smoothed cross-entropy)")
ax1.legend()
ax2.plot(*zip(*aligned), "o-")
ax2.set(xlabel="step", ylabel="share of words aligned", ylim=(0, 1),
        title="cross-attention points at the translated word")
plt.show()
assert 0.73 < floor < 0.75 and floor < losses[-1] < floor + 0.05 and losses[0] > 4
# %% [markdown]
# ## Translating
#
# Greedy decoding: encode the source once, then repeatedly run the decoder on what it has produced so far and append the most probable next word, until `<eos>` (with a key/value cache, each step runs the decoder on one new position only). On the 200 held-out sentences, more than 95% of the translations are exactly right, word for word:
# %% [markdown zh]
# ## 翻译
#
# 贪心解码：先对源句编码一次，然后反复在已生成的部分上运行解码器，把概率最大的下一个词接上去，直到出现 `<eos>`（借助键/值缓存，每一步解码器只需计算一个新位置）。在 200 个留出的测试句上，超过 95% 的译文一字不差地正确：
# %%
def exact_match(hypotheses):
    return sum(tgt_vocab.decode(h) == tgt_vocab.decode(ref) for h, ref in zip(hypotheses.tolist(), test.tgt)) / len(test)


test_src, _, _ = collate(test, range(len(test)))
greedy = transformer.greedy_decode(model, test_src, bos_id=1, eos_id=2, max_len=30)
print(f"exact match, greedy, 200 held-out sentences: {exact_match(greedy):.1%}")
assert exact_match(greedy) > 0.95


def translate(sentence, **beam):
    ids = ag.tensor([src_vocab.encode(tokenizer.tokenize(sentence)) + [2]])
    if beam:
        out, _ = transformer.beam_search(model, ids, bos_id=1, eos_id=2, max_len=30, **beam)
    else:
        out = transformer.greedy_decode(model, ids, bos_id=1, eos_id=2, max_len=30)
    return " ".join(tgt_vocab.decode(out[0].tolist()))


new_sentences = {   # not in the training data; the expected translations follow the rules above
    "the happy teacher never painted a cat": "sani feli lo mire na ma pemi",
    sentence: reference,
}
for source, expected in new_sentences.items():
    print(f"{source}\n  -> {translate(source)}")
    assert translate(source) == expected
# %% [markdown]
# ## Cross-attention learns the reordering
#
# The cross-attention of the last decoder layer (averaged over its 4 heads) on our sentence, at four moments of training. Rows: the target word being predicted; columns: the source words; red dots: the source word each target word translates. At first the weights are spread out (none above 0.3); by the end, each target word attends to the word it translates, wherever it stands: *kavori* ("dogs") to the third source word, the postposition *ko* to "near", and the verb *dokan*, last in the target, to "chased" in the middle of the source. Nobody told the model about alignment: it learned where to look because looking there reduced the loss.
# %% [markdown zh]
# ## 交叉注意力学会词序调整
#
# 下面是训练过程中四个时刻，最后一个解码器层（对它的 4 个头取平均）在我们这个句子上的交叉注意力。行：正在预测的目标词；列：源句中的词；红点：每个目标词所翻译的源词。一开始权重是铺开的（没有一个超过 0.3）；到最后，每个目标词都关注它所翻译的那个词，不管那个词在哪里：*kavori*（"dogs"）看向源句第三个词，后置词 *ko* 看向 "near"，而目标句最后的动词 *dokan* 看向源句中间的 "chased"。没有人告诉模型什么是对齐：它学会了往哪里看，因为往那里看能降低损失。
# %%
moments = [0, 100, 200, len(batches)]
fig, axes = plt.subplots(1, 4, figsize=(18, 4.6))
for ax, step in zip(axes, moments):
    ax.imshow(snapshots[step].numpy(), cmap="Blues", vmin=0)
    ax.scatter(gold, range(len(gold)), color="red", s=12)
    ax.set_xticks(range(len(s_words) + 1), s_words + ["<eos>"], rotation=90)
    ax.set_yticks(range(len(gold)), t_words + ["<eos>"])
    ax.set_title(f"step {step}: {aligned_fraction(snapshots[step]):.0%} aligned")
plt.tight_layout()
plt.show()
for step, share in aligned:
    if step in moments:
        print(f"step {step:3d}: {share:.0%} of the target words attend most to their source word")
# %% [markdown]
# Before training, at most a quarter of the words point at their translation (chance, for 12 source positions, is one in twelve); after it, at least three quarters do.
# %% [markdown zh]
# 训练之前，最多四分之一的词指向它的译源（12 个源位置，随机猜中的机会是十二分之一）；训练之后，至少四分之三的词做到了。
# %%
assert aligned_fraction(snapshots[0]) <= 0.25
assert aligned_fraction(snapshots[len(batches)]) >= 0.75
assert snapshots[0].max().item() < 0.3                 # spread out at first
final = snapshots[len(batches)]
for word in ("kavori", "ko", "dokan"):                  # the three words named above
    row = t_words.index(word)
    assert final[row].argmax().item() == gold[row]
# %% [markdown]
# ## Beam search and greedy search
#
# Greedy decoding commits to the most probable word at every step; a word that looks best now can lead to a worse sentence. **Beam search** keeps the $K$ most probable prefixes at each step (here $K = 4$) and returns the most probable complete translation among them. With `alpha=0` it ranks by the total log-probability $\sum_t \log p(y_t \mid y_{<t}, x)$, the quantity greedy search approximates step by step; we score both searches' outputs by it with one teacher-forced pass of the model.
#
# We compare them on the final model and on the copy saved at step 150, when the model was still unsure.
# %% [markdown zh]
# ## 束搜索与贪心搜索
#
# 贪心解码在每一步都选定概率最大的词；眼下看起来最好的词，可能导向更差的句子。**束搜索**（beam search）在每一步保留概率最大的 $K$ 个前缀（这里 $K = 4$），最后返回其中概率最大的完整译文。取 `alpha=0` 时，它按总对数概率 $\sum_t \log p(y_t \mid y_{<t}, x)$ 排序，这正是贪心搜索逐步近似的量；我们用模型做一次教师强制的前向计算，按这个量给两种搜索的输出打分。
#
# 我们在最终的模型上，以及在第 150 步保存下来、模型还拿不准时的副本上比较它们。
# %%
def log_probability(model, src, hypotheses):
    """log p(hypothesis | source) of each row (tokens after <bos>, up to and with <eos>)."""
    bos = ag.ones(hypotheses.shape[0], 1, dtype=ag.int64)
    tgt_in = ag.cat([bos, hypotheses[:, :-1]], dim=1)
    with ag.no_grad():
        log_p = model(src, tgt_in).log_softmax(dim=-1).gather(-1, hypotheses.unsqueeze(-1)).squeeze(-1)
    return (log_p * (hypotheses != 0)).sum(dim=1)                 # padding after <eos> counts 0


def compare(model):
    greedy = transformer.greedy_decode(model, test_src, bos_id=1, eos_id=2, max_len=30)
    beam, _ = transformer.beam_search(model, test_src, bos_id=1, eos_id=2, beam_size=4,
                                      max_len=30, alpha=0.0)
    lp_greedy, lp_beam = log_probability(model, test_src, greedy), log_probability(model, test_src, beam)
    return {"exact match greedy": exact_match(greedy), "exact match beam": exact_match(beam),
            "beam more probable": int((lp_beam > lp_greedy + 1e-9).sum().item()),
            "beam less probable": int((lp_beam < lp_greedy - 1e-9).sum().item()),
            "mean log p greedy": lp_greedy.mean().item(), "mean log p beam": lp_beam.mean().item()}


half = transformer.Transformer(config)
half.load_state_dict(half_trained)
results = {"step 150": compare(half), f"step {len(batches)}": compare(model)}
for when, r in results.items():
    print(f"{when}: exact match greedy {r['exact match greedy']:.1%}, beam {r['exact match beam']:.1%}; "
          f"beam found a more probable translation for {r['beam more probable']} sentences, a less "
          f"probable one for {r['beam less probable']}; mean log p greedy {r['mean log p greedy']:.3f}, "
          f"beam {r['mean log p beam']:.3f}")
# %% [markdown]
# On the half-trained model, beam search finds a more probable translation than greedy search for many sentences (more than 20 of the 200) and a less probable one for none: it is the better search. Yet its translations are *not* more often right: more probable under a half-trained model is not more correct. On the trained model the two searches agree almost everywhere (they differ on at most 2 sentences): when the model is sure, greedy search is already nearly optimal. Beam search pays off on real data, where many translations are plausible and the model spreads its probability over them.
# %% [markdown zh]
# 在训练到一半的模型上，束搜索在许多句子上（200 句中超过 20 句）找到了比贪心搜索概率更大的译文，而没有一句更差：它是更好的搜索。可它的译文*并没有*更常正确：在一个训练到一半的模型下概率更大，并不意味着更正确。在训练好的模型上，两种搜索几乎处处一致（最多有 2 句不同）：模型有把握时，贪心搜索已经接近最优。束搜索的好处体现在真实数据上：那里有许多看似合理的译法，模型把概率分散在它们之间。
# %%
early, final = results["step 150"], results[f"step {len(batches)}"]
assert early["beam more probable"] > 20 and early["beam less probable"] == 0
assert early["mean log p beam"] > early["mean log p greedy"]
assert early["exact match beam"] <= early["exact match greedy"]
assert final["beam more probable"] + final["beam less probable"] <= 2
# %% [markdown]
# ## What to remember
#
# - The encoder turns the source into a memory; each decoder layer attends to its own past (causal and padding masks) and, through cross-attention, to the memory.
# - Teacher forcing trains all target positions at once; decoding produces them one by one.
# - Cross-attention learns the alignment between the languages, reordering included, from the translation loss alone.
# - Beam search finds more probable outputs than greedy search; whether that helps depends on the model and the data.
#
# Next: [7. Debugging gradients](07_debugging_gradients.ipynb).
# %% [markdown zh]
# ## 要记住的
#
# - 编码器把源句变成记忆；每个解码器层关注自己已有的部分（因果掩码和填充掩码），并通过交叉注意力关注记忆。
# - 教师强制一次训练所有目标位置；解码则一个一个地生成它们。
# - 交叉注意力仅凭翻译损失就学会了两种语言之间的对齐，包括词序调整。
# - 束搜索能找到比贪心搜索概率更大的输出；这是否有用，取决于模型和数据。
#
# 下一节：[7. 调试梯度](07_debugging_gradients.ipynb)。
