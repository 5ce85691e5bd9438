"""A trained model with its tokenizers and vocabularies: text in, text out."""
from __future__ import annotations

import autograd as ag

from .checkpoint import load_run, model_parts
from .decoding import beam_search, greedy_decode
from .model import Transformer


class Translator:
    def __init__(self, model, src_tokenizer, tgt_tokenizer, src_vocab, tgt_vocab):
        self.model = model
        self.src_tokenizer, self.tgt_tokenizer = src_tokenizer, tgt_tokenizer
        self.src_vocab, self.tgt_vocab = src_vocab, tgt_vocab

    @classmethod
    def from_state(cls, state: dict, device="cpu"):
        """From a loaded checkpoint (``checkpoint.load_run``)."""
        parts = model_parts(state)
        model = Transformer(parts.config)
        model.load_state_dict(state["model"])
        model.to(device)
        model.eval()
        return cls(model, *parts.tokenizers)

    @classmethod
    def from_checkpoint(cls, path, device="cpu"):
        return cls.from_state(load_run(path), device)

    @property
    def max_source_tokens(self) -> int:
        return self.model.config.max_len - 1          # room for <eos>

    def too_long_note(self, token_lists) -> str | None:
        """A line saying how many sources ``translate_tokens`` will cut to the
        model's positions, or None when none is too long."""
        limit = self.max_source_tokens
        count = sum(len(tokens) > limit for tokens in token_lists)
        if not count:
            return None
        return (f"warning: {count} of {len(token_lists)} source sentences are longer than the "
                f"model's {limit} source tokens; only their first {limit} tokens are translated")

    def translate_tokens(self, token_lists, beam=1, batch_size=64, alpha=0.6):
        """Token lists in, token lists out (in the input order; an empty one
        gives an empty one). Sentences longer than the model's max_len are
        truncated to fit (``too_long_note`` says how many)."""
        device = self.model.device
        ids = [self.src_vocab.encode(t[:self.max_source_tokens]) + [self.src_vocab.eos_id]
               for t in token_lists]
        out = [[] if not tokens else None for tokens in token_lists]   # blank in, blank out
        order = sorted((i for i in range(len(ids)) if token_lists[i]),
                       key=lambda i: len(ids[i]))                     # similar lengths together
        v = self.tgt_vocab
        for start in range(0, len(order), batch_size):
            chunk = order[start:start + batch_size]
            longest = max(len(ids[i]) for i in chunk)
            src = ag.tensor([ids[i] + [self.src_vocab.pad_id] * (longest - len(ids[i]))
                             for i in chunk], device=device)
            steps = min(self.model.config.max_len - 1, int(1.5 * longest) + 10)
            if beam > 1:
                hyp, _ = beam_search(self.model, src, v.bos_id, v.eos_id, beam_size=beam,
                                     max_len=steps, alpha=alpha)
            else:
                hyp = greedy_decode(self.model, src, v.bos_id, v.eos_id, max_len=steps)
            for i, row in zip(chunk, hyp.tolist()):
                out[i] = v.decode(row, strip_special=True)
        return out

    def translate(self, sentences, beam=1, batch_size=64, alpha=0.6):
        """Sentences in, detokenized translations out."""
        tokens = [self.src_tokenizer.tokenize(s) for s in sentences]
        return [self.tgt_tokenizer.detokenize(t)
                for t in self.translate_tokens(tokens, beam, batch_size, alpha)]
