"""Word-level tokenization and the vocabulary that maps tokens to ids.

WordTokenizer, a Moses-lite splitter:
  1. Unicode NFC, then lower-case if ``lowercase``.
  2. Split on whitespace.
  3. If ``split_punctuation``: every punctuation or symbol character (Unicode
     categories P* and S*: . , ! ? ; : " ' ( ) [ ] - / $ % ...) becomes a
     token of its own, except ``- ' ’ . ,`` between two word characters,
     which stay inside the word: "well-known", "don't", "3.5", "1,000",
     "U.S." -> ["U.S", "."].
  "A man (in red) said: \"hi!\"" -> A man ( in red ) said : " hi ! "

``detokenize`` joins with spaces, then removes the space before closing
punctuation (. , ! ? ; : % ) ] } and the like) and after opening brackets;
straight quotes " and ' alternate between opening and closing. For text
written in that usual style, detokenize(tokenize(s)) gives s back with runs
of whitespace made single (and lower-cased with ``lowercase``).

Vocab: ids 0..3 are always <pad> <bos> <eos> <unk>; the rest are ordered by
frequency (most frequent first), ties by the token's text, so building from
the same data always gives the same ids. Both classes round-trip through
plain JSON-able dicts, saved inside checkpoints.
"""
from __future__ import annotations

import unicodedata
from collections import Counter
from functools import lru_cache

PAD, BOS, EOS, UNK = "<pad>", "<bos>", "<eos>", "<unk>"
SPECIALS = [PAD, BOS, EOS, UNK]

_INNER = set("-'’.,")                 # kept between two word characters
_NO_SPACE_BEFORE = set(".,!?;:%)]}…»›”’")
_NO_SPACE_AFTER = set("([{¿¡«‹“‘„")
_ALTERNATING = {'"', "'"}


def _is_punct(ch: str) -> bool:
    return unicodedata.category(ch)[0] in "PS"


@lru_cache(maxsize=1 << 16)          # corpora repeat words: split each one once
def _split_word(word: str) -> tuple[str, ...]:
    if not any(_is_punct(ch) for ch in word):
        return (word,)
    tokens, current = [], []
    for i, ch in enumerate(word):
        inner = (ch in _INNER and 0 < i < len(word) - 1
                 and not _is_punct(word[i - 1]) and not _is_punct(word[i + 1]))
        if _is_punct(ch) and not inner:
            if current:
                tokens.append("".join(current))
                current = []
            tokens.append(ch)
        else:
            current.append(ch)
    if current:
        tokens.append("".join(current))
    return tuple(tokens)


class WordTokenizer:
    """Whitespace and punctuation splitting; see the module docstring."""

    def __init__(self, lowercase: bool = False, split_punctuation: bool = True):
        self.lowercase = bool(lowercase)
        self.split_punctuation = bool(split_punctuation)

    def __repr__(self):
        return (f"WordTokenizer(lowercase={self.lowercase}, "
                f"split_punctuation={self.split_punctuation})")

    def __eq__(self, other):
        return isinstance(other, WordTokenizer) and self.to_dict() == other.to_dict()

    def tokenize(self, text: str) -> list[str]:
        text = unicodedata.normalize("NFC", text)
        if self.lowercase:
            text = text.lower()
        words = text.split()
        if not self.split_punctuation:
            return words
        return [token for word in words for token in _split_word(word)]

    def detokenize(self, tokens: list[str]) -> str:
        out, glue_next, open_quotes = "", True, set()
        for token in tokens:
            glue = glue_next
            glue_next = False
            if token in _ALTERNATING:
                if token in open_quotes:              # closing quote: attach to the left
                    open_quotes.discard(token)
                    glue = True
                else:                                 # opening quote: attach to the right
                    open_quotes.add(token)
                    glue_next = True
            elif token in _NO_SPACE_BEFORE:
                glue = True
            elif token in _NO_SPACE_AFTER:
                glue_next = True
            out += token if glue else " " + token
        return out

    def to_dict(self) -> dict:
        return {"type": "word", "lowercase": self.lowercase,
                "split_punctuation": self.split_punctuation}

    @classmethod
    def from_dict(cls, d: dict) -> "WordTokenizer":
        if not isinstance(d, dict) or d.get("type") != "word":
            raise ValueError("WordTokenizer.from_dict: expected a dict with type 'word', "
                             f"got {d!r}")
        return cls(lowercase=d.get("lowercase", False),
                   split_punctuation=d.get("split_punctuation", True))


class Vocab:
    """Tokens <-> ids; ids 0..3 are <pad> <bos> <eos> <unk>."""
    pad_id = 0
    bos_id = 1
    eos_id = 2
    unk_id = 3

    def __init__(self, tokens: list[str]):
        tokens = list(tokens)
        if tokens[:4] != SPECIALS:
            raise ValueError(f"Vocab: the first four tokens must be {SPECIALS}, got {tokens[:4]}")
        index = {}
        for i, token in enumerate(tokens):
            if not isinstance(token, str):
                raise ValueError(f"Vocab: token {i} is not a string: {token!r}")
            if token in index:
                raise ValueError(f"Vocab: token {token!r} appears twice (ids {index[token]} "
                                 f"and {i})")
            index[token] = i
        self.tokens, self.index = tokens, index

    @classmethod
    def build(cls, token_lists, min_freq: int = 1, max_size: int | None = None) -> "Vocab":
        """Tokens seen at least ``min_freq`` times, most frequent first (ties by
        text); ``max_size`` caps the whole vocabulary, the four specials included."""
        if max_size is not None and max_size < len(SPECIALS):
            raise ValueError(f"Vocab.build: max_size must be at least {len(SPECIALS)} (the "
                             f"special tokens), got {max_size}")
        counts = Counter()
        for tokens in token_lists:
            counts.update(tokens)
        kept = sorted((t for t, c in counts.items() if c >= min_freq and t not in SPECIALS),
                      key=lambda t: (-counts[t], t))
        if max_size is not None:
            kept = kept[:max_size - len(SPECIALS)]
        return cls(SPECIALS + kept)

    def __len__(self):
        return len(self.tokens)

    def __contains__(self, token):
        return token in self.index

    def __eq__(self, other):
        return isinstance(other, Vocab) and self.tokens == other.tokens

    def __repr__(self):
        return f"Vocab({len(self)} tokens)"

    def encode(self, tokens) -> list[int]:
        """Ids of ``tokens``; unknown tokens get ``unk_id``."""
        return [self.index.get(t, self.unk_id) for t in tokens]

    def decode(self, ids, strip_special=True) -> list[str]:
        """Tokens of ``ids``. With ``strip_special``, stop at the first <eos> and
        drop <pad> and <bos> (<unk> stays, as the token "<unk>")."""
        out = []
        for i in ids:
            i = int(i)
            if not 0 <= i < len(self.tokens):
                raise ValueError(f"Vocab.decode: id {i} is outside the vocabulary range "
                                 f"[0, {len(self.tokens) - 1}]")
            if strip_special:
                if i == self.eos_id:
                    break
                if i in (self.pad_id, self.bos_id):
                    continue
            out.append(self.tokens[i])
        return out

    def to_dict(self) -> dict:
        return {"tokens": list(self.tokens)}

    @classmethod
    def from_dict(cls, d: dict) -> "Vocab":
        if not isinstance(d, dict) or not isinstance(d.get("tokens"), list):
            raise ValueError("Vocab.from_dict: expected a dict with a 'tokens' list")
        return cls(d["tokens"])
