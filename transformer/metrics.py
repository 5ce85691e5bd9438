"""How good are the translations: exact match for the synthetic tasks, BLEU
and chrF (via sacrebleu) for text, perplexity from the loss."""
from __future__ import annotations

import math

from sacrebleu.metrics import BLEU, CHRF

from .tokenizer import WordTokenizer


def exact_match(hypotheses: list[list[str]], references: list[list[str]]) -> float:
    """Fraction of sentences whose tokens equal the reference's exactly."""
    if len(hypotheses) != len(references):
        raise ValueError(f"exact_match: {len(hypotheses)} hypotheses for "
                         f"{len(references)} references")
    if not references:
        return 0.0
    return sum(h == r for h, r in zip(hypotheses, references)) / len(references)


def sacre_bleu(hypotheses: list[str], references: list[str], lowercase=False):
    """sacreBLEU on detokenized text: (score, signature). Its default
    signature (13a tokenizer, cased) unless ``lowercase``, for a model
    trained on lower-cased text (the signature then says case:lc)."""
    return _corpus_score(BLEU(lowercase=lowercase), hypotheses, references)


def chrf(hypotheses: list[str], references: list[str], lowercase=False):
    """chrF (sacreBLEU's chrF2: character 6-grams, recall weighted twice) on
    detokenized text: (score, signature)."""
    return _corpus_score(CHRF(lowercase=lowercase), hypotheses, references)


def tokenized_bleu(hypotheses: list[list[str]], references: list[list[str]]):
    """BLEU on tokenized, lower-cased text, the metric published Multi30k
    numbers use: (score, signature)."""
    return _corpus_score(BLEU(tokenize="none", lowercase=True, force=True),
                         [" ".join(h) for h in hypotheses], [" ".join(r) for r in references])


def _corpus_score(metric, hypotheses, references):
    return metric.corpus_score(hypotheses, [references]).score, str(metric.get_signature())


# The tokenizer of the tokenized, lower-cased BLEU: the Moses-lite word splitter.
_WORDS = WordTokenizer(lowercase=True, split_punctuation=True)


def bleu_scores(hypotheses: list[str], references: list[str], lowercased=False) -> dict:
    """Every score of detokenized translations against the raw reference
    sentences, each with its signature:

    - ``bleu``: BLEU on words, lower-cased (both sides split by the
      Moses-lite ``WordTokenizer``), to compare with published Multi30k
      results;
    - ``sacrebleu``: sacreBLEU's default (13a, cased), the standard figure;
    - ``chrf``: chrF beside them.

    ``lowercased``: the model was trained on lower-cased text, so sacreBLEU
    and chrF ignore case (case:lc) rather than count every capital as an
    error. The training loop and ``python -m transformer.evaluate`` both
    score with this."""
    if len(hypotheses) != len(references):
        raise ValueError(f"bleu_scores: {len(hypotheses)} hypotheses for {len(references)} "
                         "references")
    bleu, bleu_signature = tokenized_bleu([_WORDS.tokenize(h) for h in hypotheses],
                                          [_WORDS.tokenize(r) for r in references])
    sacre, sacre_signature = sacre_bleu(hypotheses, references, lowercased)
    chrf_score, chrf_signature = chrf(hypotheses, references, lowercased)
    return {"bleu": bleu, "bleu_signature": bleu_signature, "sacrebleu": sacre,
            "sacrebleu_signature": sacre_signature, "chrf": chrf_score,
            "chrf_signature": chrf_signature}


def perplexity(mean_nll: float) -> float:
    return math.exp(min(mean_nll, 700.0))
