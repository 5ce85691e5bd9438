"""Synthetic translation tasks, generated in-process from a seed.

    splits = make_task("toy-pair", seed=0)      # Splits(train, valid, test)
    splits.train[0]                             # e.g. ("the dog saw a cat", "kavo lo mire na vela")

Every sentence is a string of space-separated tokens. Sources are distinct
across all three splits (a held-out source never occurs in train), and the
held-out splits are drawn first, so changing ``n_train`` never changes
``valid`` or ``test``. Same name, seed and sizes -> the same pairs, bit for bit.

copy, reverse, sort (the Annotated Transformer's copy task and two cousins)
    Sources are 3 to 12 symbols drawn from ``SYMBOLS`` ("0" .. "15"); the
    target is the same sequence, the reversed sequence, or the sequence sorted
    by numeric value:  "7 3 9 1" -> "7 3 9 1" | "1 9 3 7" | "1 3 7 9".

toy-pair (the default task): an English-like source, an invented target
    Source (SVO, determiner and adjectives before the noun, English plural -s,
    past-tense verbs that do not agree):

        S   -> NP_subj [never] V_trans NP_obj [P NP_place]
             | NP_subj [never] V_intrans      [P NP_place]
        NP  -> Det Adj{0,2} Noun        (Adj{0,1} in the place phrase)

    Target (SOV, postpositions, every noun phrase mirrored):

        S   -> NP_subj [NP_place P] [NP_obj] [ma] Verb
        NP  -> Noun Adj{0,2} Det        (the source noun phrase word by word in reverse)

    Morphology: a plural noun takes the suffix "ri" (kavo -> kavori); the
    verb takes "n" when the *subject* is plural (vela -> velan), whatever the
    object's number, so the last target word depends on the first source
    noun. Each source lemma has its own target word (``TOY_LEXICON``, one to
    one; the two vocabularies share no word). "a" is singular only and
    "some" plural only; two adjectives come in ``ADJECTIVES`` order. Example:

        the big dogs never chased a small cat near my house
     -> kavori gara lo lumo mi ko mire pini na ma dokan

    Sources are 3 to 14 tokens; the vocabulary is 53 source and 65 target
    words. The target is a function of the source, so 100% is learnable.
"""
from __future__ import annotations

import random
from dataclasses import dataclass

# ----------------------------------------------------------------- the splits


@dataclass
class Splits:
    train: list[tuple[str, str]]   # (source sentence, target sentence), tokens separated by spaces
    valid: list[tuple[str, str]]
    test: list[tuple[str, str]]


# ------------------------------------------------------- copy, reverse, sort

SYMBOLS = [str(i) for i in range(16)]
MIN_SYMBOLS, MAX_SYMBOLS = 3, 12


def _symbols(rng: random.Random) -> list[str]:
    return [rng.choice(SYMBOLS) for _ in range(rng.randint(MIN_SYMBOLS, MAX_SYMBOLS))]


def copy_pair(rng: random.Random) -> tuple[str, str]:
    s = " ".join(_symbols(rng))
    return s, s


def reverse_pair(rng: random.Random) -> tuple[str, str]:
    s = _symbols(rng)
    return " ".join(s), " ".join(reversed(s))


def sort_pair(rng: random.Random) -> tuple[str, str]:
    s = _symbols(rng)
    return " ".join(s), " ".join(sorted(s, key=int))


# ------------------------------------------------------------------- toy-pair
# source lemma -> target word; the source plural of a noun is lemma + "s".

AGENTS = {"dog": "kavo", "cat": "mire", "bird": "tosu", "horse": "baru", "farmer": "pelo",
          "teacher": "sani", "girl": "hena", "boy": "dako"}
PLACES = {"house": "lumo", "garden": "vira", "river": "oska", "park": "tebu"}
NOUNS = {**AGENTS, **PLACES}
ADJECTIVES = {"happy": "feli", "quiet": "sopa", "big": "gara", "small": "pini", "tall": "lova",
              "young": "neti", "red": "suko", "black": "mura"}      # in English adjective order
TRANSITIVE = {"saw": "vela", "chased": "doka", "liked": "sumi", "found": "hako",
              "followed": "tegi", "heard": "kiro", "helped": "tasu", "painted": "pemi"}
INTRANSITIVE = {"slept": "nemu", "ran": "hasi", "waited": "mato", "laughed": "wara"}
VERBS = {**TRANSITIVE, **INTRANSITIVE}
DETERMINERS = {"the": "lo", "a": "na", "some": "su", "my": "mi"}
SINGULAR_DETS = ["the", "a", "my"]
PLURAL_DETS = ["the", "some", "my"]
PREPOSITIONS = {"in": "ni", "near": "ko", "behind": "ura", "beside": "oba"}
NEGATION = {"never": "ma"}
TOY_LEXICON = {**NOUNS, **ADJECTIVES, **VERBS, **DETERMINERS, **PREPOSITIONS, **NEGATION}

SOURCE_PLURAL = "s"          # dog -> dogs
NOUN_PLURAL_SUFFIX = "ri"    # kavo -> kavori
VERB_PLURAL_SUFFIX = "n"     # vela -> velan (plural subject)

P_PLURAL, P_TRANSITIVE, P_NEGATION, P_PLACE = 0.4, 0.75, 0.25, 0.35
ADJ_WEIGHTS = (0.55, 0.3, 0.15)      # 0, 1, 2 adjectives (the place phrase: 0 or 1)


@dataclass
class _NounPhrase:
    det: str
    adjs: list[str]
    noun: str
    plural: bool

    def source(self) -> list[str]:
        return [self.det, *self.adjs, self.noun + (SOURCE_PLURAL if self.plural else "")]

    def target(self) -> list[str]:
        noun = NOUNS[self.noun] + (NOUN_PLURAL_SUFFIX if self.plural else "")
        return [noun, *(ADJECTIVES[a] for a in reversed(self.adjs)), DETERMINERS[self.det]]


def _noun_phrase(rng: random.Random, nouns: list[str], max_adjs: int) -> _NounPhrase:
    plural = rng.random() < P_PLURAL
    det = rng.choice(PLURAL_DETS if plural else SINGULAR_DETS)
    n_adjs = rng.choices(range(max_adjs + 1), weights=ADJ_WEIGHTS[:max_adjs + 1])[0]
    order = list(ADJECTIVES)
    adjs = sorted(rng.sample(order, n_adjs), key=order.index)
    return _NounPhrase(det, adjs, rng.choice(nouns), plural)


def toy_pair(rng: random.Random) -> tuple[str, str]:
    """One (source, target) sentence pair of the toy language pair."""
    subject = _noun_phrase(rng, list(AGENTS), max_adjs=2)
    transitive = rng.random() < P_TRANSITIVE
    verb = rng.choice(list(TRANSITIVE if transitive else INTRANSITIVE))
    obj = _noun_phrase(rng, list(NOUNS), max_adjs=2) if transitive else None
    negated = rng.random() < P_NEGATION
    place = None
    if rng.random() < P_PLACE:
        place = (rng.choice(list(PREPOSITIONS)), _noun_phrase(rng, list(PLACES), max_adjs=1))

    src = subject.source() + (["never"] if negated else []) + [verb]
    tgt = subject.target()
    if obj:
        src += obj.source()
    if place:
        src += [place[0], *place[1].source()]
        tgt += place[1].target() + [PREPOSITIONS[place[0]]]
    if obj:
        tgt += obj.target()
    if negated:
        tgt.append(NEGATION["never"])
    tgt.append(VERBS[verb] + (VERB_PLURAL_SUFFIX if subject.plural else ""))
    return " ".join(src), " ".join(tgt)


# ---------------------------------------------------------------- the tasks

TASKS = {"copy": copy_pair, "reverse": reverse_pair, "sort": sort_pair, "toy-pair": toy_pair}


def make_task(name: str, seed: int = 0, n_train: int = 10_000, n_valid: int = 500,
              n_test: int = 500) -> Splits:
    """Train/valid/test pairs of a built-in task, all sources distinct."""
    if name not in TASKS:
        raise ValueError(f"unknown task {name!r}; choose one of {', '.join(TASKS)}")
    for arg, n in (("n_train", n_train), ("n_valid", n_valid), ("n_test", n_test)):
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            raise ValueError(f"make_task: {arg} must be a non-negative integer, got {n!r}")
    generate, rng = TASKS[name], random.Random(f"{name}:{seed}")
    total, seen, pairs = n_valid + n_test + n_train, set(), []
    for _ in range(20 * total + 1000):
        if len(pairs) == total:
            break
        pair = generate(rng)
        if pair[0] not in seen:
            seen.add(pair[0])
            pairs.append(pair)
    if len(pairs) < total:
        raise ValueError(f"task {name!r} gave only {len(pairs)} distinct sentences of the {total} "
                         "asked for; ask for fewer")
    return Splits(train=pairs[n_valid + n_test:], valid=pairs[:n_valid],
                  test=pairs[n_valid:n_valid + n_test])
