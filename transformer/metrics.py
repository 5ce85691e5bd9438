"""How good are the translations: exact match for the synthetic tasks, BLEU
(via sacrebleu) for text, perplexity from the loss."""
from __future__ import annotations

import math

from sacrebleu.metrics import BLEU


def exact_match(hypotheses: list[list[str]], references: list[list[str]]) -> float:
    """Fraction of sentences whose tokens equal the reference's exactly."""
    if len(hypotheses) != len(references):
        raise ValueError(f"exact_match: {len(hypotheses)} hypotheses for "
                         f"{len(references)} references")
    if not references:
        return 0.0
    return sum(h == r for h, r in zip(hypotheses, references)) / len(references)


def sacre_bleu(hypotheses: list[str], references: list[str], lowercase=False):
    """sacreBLEU on detokenized text: (score, signature). ``lowercase`` for a
    model trained on lower-cased text (the signature then says case:lc)."""
    metric = BLEU(lowercase=lowercase)
    return metric.corpus_score(hypotheses, [references]).score, str(metric.get_signature())


def tokenized_bleu(hypotheses: list[list[str]], references: list[list[str]]):
    """BLEU on tokenized, lower-cased text, the metric published Multi30k
    numbers use: (score, signature)."""
    metric = BLEU(tokenize="none", lowercase=True, force=True)
    score = metric.corpus_score([" ".join(h) for h in hypotheses],
                                [[" ".join(r) for r in references]]).score
    return score, str(metric.get_signature())


def bleu_scores(hypotheses: list[list[str]], references: list[str], tokenizer) -> dict:
    """Both BLEUs of translated text, from the model's tokens and the
    reference sentences: the tokenized, lower-cased BLEU (references split
    by ``tokenizer``) and sacreBLEU on detokenized text (case-insensitive
    when ``tokenizer`` lower-cases). The training loop and
    ``python -m transformer.evaluate`` both score with this."""
    bleu, bleu_signature = tokenized_bleu(hypotheses, [tokenizer.tokenize(r) for r in references])
    sacre, sacre_signature = sacre_bleu([tokenizer.detokenize(h) for h in hypotheses], references,
                                        tokenizer.lowercase)
    return {"bleu": bleu, "bleu_signature": bleu_signature, "sacrebleu": sacre,
            "sacrebleu_signature": sacre_signature}


def perplexity(mean_nll: float) -> float:
    return math.exp(min(mean_nll, 700.0))
