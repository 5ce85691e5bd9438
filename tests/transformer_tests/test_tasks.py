"""The built-in synthetic tasks: deterministic, correct, held-out disjoint."""
import re

import pytest

from transformer import tasks
from transformer.tasks import TASKS, Splits, make_task

SMALL = dict(n_train=600, n_valid=100, n_test=100)


@pytest.fixture(scope="module", params=sorted(TASKS))
def task(request):
    return request.param, make_task(request.param, seed=3, **SMALL)


def test_the_four_tasks():
    assert set(TASKS) == {"copy", "reverse", "sort", "toy-pair"}


def test_unknown_task_names_the_choices():
    with pytest.raises(ValueError, match=re.escape(
            "unknown task 'x'; choose one of copy, reverse, sort, toy-pair")):
        make_task("x")


def test_bad_sizes_and_impossible_requests(monkeypatch):
    with pytest.raises(ValueError, match="n_valid must be a non-negative integer"):
        make_task("copy", n_valid=-1)
    monkeypatch.setitem(TASKS, "copy", lambda rng: (str(rng.randint(0, 4)), "x"))
    with pytest.raises(ValueError, match="task 'copy' gave only 5 distinct sentences of the 10"):
        make_task("copy", n_train=8, n_valid=1, n_test=1)


def test_split_sizes_and_types(task):
    _, splits = task
    assert isinstance(splits, Splits)
    assert (len(splits.train), len(splits.valid), len(splits.test)) == (600, 100, 100)
    for s, t in splits.train + splits.valid + splits.test:
        assert isinstance(s, str) and isinstance(t, str) and s.split() and t.split()
        assert " ".join(s.split()) == s and " ".join(t.split()) == t


def test_same_seed_same_pairs_other_seed_others(task):
    name, splits = task
    assert make_task(name, seed=3, **SMALL) == splits
    assert make_task(name, seed=4, **SMALL).train != splits.train


def test_held_out_sources_never_in_train(task):
    _, splits = task
    sources = [s for s, _ in splits.train + splits.valid + splits.test]
    assert len(set(sources)) == len(sources)


def test_held_out_splits_do_not_depend_on_n_train(task):
    name, splits = task
    bigger = make_task(name, seed=3, n_train=900, n_valid=100, n_test=100)
    assert (bigger.valid, bigger.test) == (splits.valid, splits.test)
    assert bigger.train[:600] == splits.train


def test_symbol_task_targets():
    for name, expected in (("copy", lambda s: s), ("reverse", lambda s: s[::-1]),
                           ("sort", lambda s: sorted(s, key=int))):
        for s, t in make_task(name, seed=1, **SMALL).train:
            symbols = s.split()
            assert tasks.MIN_SYMBOLS <= len(symbols) <= tasks.MAX_SYMBOLS
            assert set(symbols) <= set(tasks.SYMBOLS)
            assert t.split() == expected(symbols)


# ---------------------------------------------------------------- toy-pair
# An independent reading of the grammar in the tasks docstring: parse the
# source, build the target the documented way, compare.

def _noun(word):
    if word in tasks.NOUNS:
        return word, False
    if word.endswith("s") and word[:-1] in tasks.NOUNS:
        return word[:-1], True
    return None


def _parse_np(words, i):
    """(det, adjs, noun, plural), next index."""
    det = words[i]
    assert det in tasks.DETERMINERS, (words, i)
    i += 1
    adjs = []
    while words[i] in tasks.ADJECTIVES:
        adjs.append(words[i])
        i += 1
    noun, plural = _noun(words[i])
    assert det not in (("a",) if plural else ("some",)), words
    assert adjs == sorted(adjs, key=list(tasks.ADJECTIVES).index) and len(set(adjs)) == len(adjs)
    return (det, adjs, noun, plural), i + 1


def _np_target(np):
    det, adjs, noun, plural = np
    return ([tasks.NOUNS[noun] + ("ri" if plural else "")]
            + [tasks.ADJECTIVES[a] for a in reversed(adjs)] + [tasks.DETERMINERS[det]])


def _reference_translation(source):
    words = source.split()
    subject, i = _parse_np(words, 0)
    assert subject[2] in tasks.AGENTS
    negated = words[i] == "never"
    i += negated
    verb = words[i]
    i += 1
    obj = place = None
    if verb in tasks.TRANSITIVE:
        obj, i = _parse_np(words, i)
    else:
        assert verb in tasks.INTRANSITIVE
    if i < len(words):
        prep = words[i]
        assert prep in tasks.PREPOSITIONS
        place, i = _parse_np(words, i + 1)
        assert place[2] in tasks.PLACES and len(place[1]) <= 1
    assert i == len(words), words
    out = _np_target(subject)
    if place:
        out += _np_target(place) + [tasks.PREPOSITIONS[prep]]
    if obj:
        out += _np_target(obj)
    out += ["ma"] * negated + [tasks.VERBS[verb] + ("n" if subject[3] else "")]
    return " ".join(out)


@pytest.fixture(scope="module")
def toy():
    return make_task("toy-pair", seed=0, n_train=3000, n_valid=200, n_test=200)


def test_toy_pair_follows_the_documented_grammar(toy):
    for s, t in toy.train + toy.valid + toy.test:
        assert t == _reference_translation(s), s


def test_toy_pair_docstring_example():
    src = "the big dogs never chased a small cat near my house"
    tgt = "kavori gara lo lumo mi ko mire pini na ma dokan"
    assert _reference_translation(src) == tgt and f"{src}\n     -> {tgt}" in tasks.__doc__


def test_toy_pair_word_order_adjectives_and_agreement(toy):
    adjs_t = set(tasks.ADJECTIVES.values())
    nouns_t = set(tasks.NOUNS.values()) | {n + "ri" for n in tasks.NOUNS.values()}
    verbs_t = set(tasks.VERBS.values()) | {v + "n" for v in tasks.VERBS.values()}
    seen = {"plural subject": 0, "singular subject": 0, "object plural, subject not": 0}
    for s, t in toy.train:
        src, tgt = s.split(), t.split()
        # SVO -> SOV: the verb is last in the target, right after the subject in the source
        (verb,) = [w for w in src if w in tasks.VERBS]
        assert tgt[-1] in (tasks.VERBS[verb], tasks.VERBS[verb] + "n")
        assert all(w not in verbs_t for w in tgt[:-1])
        # adjectives: before the noun in the source, after it in the target
        for i, w in enumerate(src):
            if w in tasks.ADJECTIVES:
                assert src[i + 1] in tasks.ADJECTIVES or _noun(src[i + 1])
        for i, w in enumerate(tgt):
            if w in adjs_t:
                assert tgt[i - 1] in adjs_t or tgt[i - 1] in nouns_t
        # agreement: the verb is plural exactly when the subject (the first noun) is
        subject_plural = _noun(next(w for w in src if _noun(w)))[1]
        assert tgt[-1].endswith("n") == subject_plural
        plural_nouns = [w for w in src if _noun(w) and _noun(w)[1]]
        seen["plural subject" if subject_plural else "singular subject"] += 1
        seen["object plural, subject not"] += bool(plural_nouns) and not subject_plural
        # every source noun is plural exactly when its target noun has the suffix
        assert sorted(tasks.NOUNS[_noun(w)[0]] + ("ri" if _noun(w)[1] else "")
                      for w in src if _noun(w)) == sorted(w for w in tgt if w in nouns_t)
    assert min(seen.values()) > 100      # agreement is not confounded with "any plural"


def test_toy_pair_lexicon_is_one_to_one_and_disjoint(toy):
    lexicon = tasks.TOY_LEXICON
    assert len(set(lexicon.values())) == len(lexicon)
    target_words = {w for _, t in toy.train for w in t.split()}
    source_words = {w for s, _ in toy.train for w in s.split()}
    assert not target_words & source_words
    # inflected forms collide with no other target word
    forms = (list(lexicon.values()) + [n + "ri" for n in tasks.NOUNS.values()]
             + [v + "n" for v in tasks.VERBS.values()])
    assert len(set(forms)) == len(forms)
    assert 40 <= len(source_words) <= 80 and 40 <= len(target_words) <= 80


def test_toy_pair_lengths_and_variety(toy):
    lengths = [len(s.split()) for s, _ in toy.train]
    assert min(lengths) >= 3 and max(lengths) <= 14
    assert min(lengths) <= 4 and max(lengths) >= 12
    words = " ".join(s for s, _ in toy.train).split()
    assert {"never", *tasks.PREPOSITIONS, *tasks.INTRANSITIVE} <= set(words)
