"""Subword vocabularies: BPE or unigram pieces trained by SentencePiece.

    tok = SubwordTokenizer.train(sentences, "bpe", vocab_size=8000, seed=0)
    tok.tokenize("Ein Mann fährt Fahrrad.")   # ['▁Ein', '▁Mann', '▁fährt', '▁Fahrrad', '.']
    tok.detokenize(pieces)                     # 'Ein Mann fährt Fahrrad.'
    vocab = tok.vocab()                        # a Vocab whose ids are SentencePiece's

The word-level ``WordTokenizer`` (tokenizer.py) stays the readable lesson and
the tokenizer of the built-in tasks; real corpora train on subwords, so that
cased, untokenized text goes in and detokenized sentences come out, and a
word never seen in training still translates through its pieces.

Why SentencePiece rather than Hugging Face ``tokenizers``: it trains on raw
text with no pre-tokenizer (a space is part of the piece that follows it,
``▁``), so detokenizing is exact and the same for every language; the whole
model is one protobuf, kept as bytes in the checkpoint and beside it in the
run folder, so translate and evaluate need nothing else; byte fallback
covers every character; and with one thread and no sampling its training is
deterministic (same seed and corpus, same model bytes). ``tokenizers`` would
need a normalizer, pre-tokenizer and decoder assembled to match, and its
trainer runs on a thread pool.

Training is quiet (SentencePiece logs to stderr unless told not to) and
uses every training sentence in order: no sampling, no shuffling.
Ids 0..3 are <pad> <bos> <eos> <unk>, as in ``Vocab``. Byte fallback and a
character coverage of 1.0 mean <unk> never occurs in encoded text, so the
model never learns to emit it; should it do so anyway, ``detokenize`` drops
it rather than show it.
"""
from __future__ import annotations

import base64
import io
import re

import sentencepiece as spm

from .tokenizer import BOS, EOS, PAD, UNK, Vocab

MODEL_TYPES = ("bpe", "unigram")
DEFAULT_VOCAB_SIZE = 8000
TYPE = "sentencepiece"

# Every option that decides the model's bytes, set: the same corpus and seed
# give the same model.
_TRAINING = dict(character_coverage=1.0, byte_fallback=True, num_threads=1,
                 shuffle_input_sentence=False, input_sentence_size=0,
                 pad_id=Vocab.pad_id, bos_id=Vocab.bos_id, eos_id=Vocab.eos_id,
                 unk_id=Vocab.unk_id, pad_piece=PAD, bos_piece=BOS, eos_piece=EOS,
                 unk_piece=UNK, minloglevel=2)
_TOO_SMALL = re.compile(r"smaller than required_chars\. \d+ vs (\d+)")
_TOO_LARGE = re.compile(r"Vocabulary size too high \(\d+\)\. Please set it to a value <= (\d+)")


class SubwordTokenizer:
    """Text <-> SentencePiece pieces, from a trained model (its bytes)."""

    def __init__(self, model: bytes, model_type: str, lowercase: bool = False):
        self.model, self.model_type, self.lowercase = bytes(model), model_type, bool(lowercase)
        try:
            self._sp = spm.SentencePieceProcessor(model_proto=self.model)
        except RuntimeError as e:
            raise ValueError(f"not a SentencePiece model: {e}") from None

    @classmethod
    def train(cls, sentences, model_type="bpe", vocab_size=DEFAULT_VOCAB_SIZE, seed=0,
              lowercase=False, exact=True) -> "SubwordTokenizer":
        """A model of ``vocab_size`` pieces (the four specials and 256 bytes
        included) trained on ``sentences``; a size that does not fit the text
        is a ValueError saying which sizes do. Not ``exact``: at most about
        ``vocab_size``, fewer when the text is too small for them."""
        if model_type not in MODEL_TYPES:
            raise ValueError(f"--subword must be one of {', '.join(MODEL_TYPES)}, got "
                             f"{model_type!r}")
        text = [s.lower() if lowercase else s for s in sentences]
        spm.set_random_generator_seed(seed)
        model = io.BytesIO()
        try:
            spm.SentencePieceTrainer.train(sentence_iterator=iter(text), model_writer=model,
                                           model_type=model_type, vocab_size=vocab_size,
                                           hard_vocab_limit=exact, **_TRAINING)
        except RuntimeError as e:
            raise ValueError(_training_error(str(e), vocab_size, len(text))) from None
        return cls(model.getvalue(), model_type, lowercase)

    def __repr__(self):
        return (f"SubwordTokenizer({self.model_type}, {len(self._sp)} pieces, "
                f"lowercase={self.lowercase})")

    def __eq__(self, other):
        return isinstance(other, SubwordTokenizer) and (
            (self.model, self.model_type, self.lowercase) ==
            (other.model, other.model_type, other.lowercase))

    def tokenize(self, text: str) -> list[str]:
        return self._sp.encode(text.lower() if self.lowercase else text, out_type=str)

    def detokenize(self, pieces: list[str]) -> str:
        return self._sp.decode_pieces([p for p in pieces if p != UNK])

    def vocab(self) -> Vocab:
        """The pieces as a Vocab: the ids SentencePiece gives them."""
        return Vocab([self._sp.id_to_piece(i) for i in range(len(self._sp))])

    def to_dict(self) -> dict:
        """Plain values for a checkpoint: the model's bytes as base64 text."""
        return {"type": TYPE, "model_type": self.model_type, "lowercase": self.lowercase,
                "model": base64.b64encode(self.model).decode("ascii")}

    @classmethod
    def from_dict(cls, d: dict) -> "SubwordTokenizer":
        if not isinstance(d, dict) or d.get("type") != TYPE or not isinstance(d.get("model"), str):
            raise ValueError(f"SubwordTokenizer.from_dict: expected a dict with type {TYPE!r} "
                             "and its model")
        try:
            model = base64.b64decode(d["model"], validate=True)
        except ValueError as e:
            raise ValueError(f"SubwordTokenizer.from_dict: the model is not base64: {e}") from None
        return cls(model, d.get("model_type"), d.get("lowercase", False))


def _training_error(message, vocab_size, n_sentences) -> str:
    """SentencePiece's refusal, said for the command line."""
    small, large = _TOO_SMALL.search(message), _TOO_LARGE.search(message)
    if small:
        return (f"--vocab-size {vocab_size} is too small for this training text: its characters, "
                f"the 256 byte pieces and the 4 special tokens need at least {small.group(1)}")
    if large:
        return (f"--vocab-size {vocab_size} is too large for this training text "
                f"({n_sentences} sentences): at most {large.group(1)} pieces can be made")
    return f"SentencePiece could not train on this text: {message.split('] ')[-1]}"
