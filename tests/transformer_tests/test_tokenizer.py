"""Word tokenizer and vocabulary: splitting, round trips, specials, JSON."""
import json
import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from transformer.tokenizer import BOS, EOS, PAD, UNK, Vocab, WordTokenizer

# ------------------------------------------------------------------ tokenizer


@pytest.mark.parametrize("text, tokens", [
    ("A man (in red) said: \"hi!\"", ["A", "man", "(", "in", "red", ")", "said", ":", '"', "hi",
                                      "!", '"']),
    ("Two dogs, one cat.", ["Two", "dogs", ",", "one", "cat", "."]),
    ("a well-known dog's 3.5 kg, 1,000 U.S. toys", ["a", "well-known", "dog's", "3.5", "kg", ",",
                                                    "1,000", "U.S", ".", "toys"]),
    ("  spaces\tand\nnewlines  ", ["spaces", "and", "newlines"]),
    ("-dash- 'quoted' $5 50%", ["-", "dash", "-", "'", "quoted", "'", "$", "5", "50", "%"]),
    ("Männer am Straßenrand.", ["Männer", "am", "Straßenrand", "."]),
    ("", []),
])
def test_tokenize_examples(text, tokens):
    assert WordTokenizer().tokenize(text) == tokens


def test_options():
    text = "The Dog, RUNS."
    assert WordTokenizer(lowercase=True).tokenize(text) == ["the", "dog", ",", "runs", "."]
    assert WordTokenizer(split_punctuation=False).tokenize(text) == ["The", "Dog,", "RUNS."]
    assert WordTokenizer().tokenize("cafe\u0301") == ["caf\u00e9"]          # NFC


def test_detokenize_examples():
    tok = WordTokenizer()
    for text in ["A man (in red) said: \"hi!\" and left.", "Two dogs, one cat; [ok]?",
                 "It's 50% off, 'really'."]:
        assert tok.detokenize(tok.tokenize(text)) == text
    assert tok.detokenize([]) == ""


WORD = st.text(alphabet=st.sampled_from("abcdeFGHxyzäöüß"), min_size=1, max_size=6)
INNER_WORD = st.one_of(WORD, st.builds("{}-{}".format, WORD, WORD),
                       st.builds("{}'{}".format, WORD, WORD),
                       st.builds("{}.{}".format, WORD, WORD))


SPACE = st.text(alphabet=" \t\n\u00a0", min_size=1, max_size=3)


@st.composite
def simple_sentence(draw):
    """(sentence, the same with messy white space): words in the usual written
    style, punctuation after a word, brackets and quotes hugging what they
    enclose, single spaces elsewhere."""
    parts = []
    for _ in range(draw(st.integers(1, 8))):
        words = draw(st.lists(INNER_WORD, min_size=1, max_size=3))
        wrap = draw(st.sampled_from(["", "()", "[]", '""']))
        parts.append(wrap[:1] + " ".join(words) + wrap[1:]
                     + draw(st.sampled_from(["", "", ",", ".", "!", "?", ";", ":"])))
    sentence = " ".join(parts)
    messy = "".join(draw(SPACE) if c == " " else c for c in f" {sentence} ")
    return sentence, messy


@given(simple_sentence(), st.booleans())
def test_detokenize_inverts_tokenize_on_simple_sentences(sentences, lowercase):
    sentence, messy = sentences
    tok = WordTokenizer(lowercase=lowercase)
    assert tok.detokenize(tok.tokenize(messy)) == (sentence.lower() if lowercase else sentence)


@given(st.text(max_size=60), st.booleans(), st.booleans())
def test_tokenize_is_idempotent_on_joined_tokens(text, lowercase, split):
    tok = WordTokenizer(lowercase=lowercase, split_punctuation=split)
    tokens = tok.tokenize(text)
    assert tok.tokenize(" ".join(tokens)) == tokens
    assert all(t and not any(c.isspace() for c in t) for t in tokens)


def is_punct(c):
    return unicodedata.category(c)[0] in "PS"


@given(st.text(alphabet=st.characters(categories=["L", "N", "P", "S", "Zs"]), max_size=60))
def test_punctuation_is_split_off_except_inside_words(text):
    for token in WordTokenizer().tokenize(text):
        if len(token) > 1:
            assert not is_punct(token[0]) and not is_punct(token[-1]), token
            for i, c in enumerate(token):
                if is_punct(c):
                    assert c in "-'’.," and not is_punct(token[i - 1]) \
                        and not is_punct(token[i + 1]), token


def test_tokenizer_dict_round_trip():
    tok = WordTokenizer(lowercase=True, split_punctuation=False)
    d = json.loads(json.dumps(tok.to_dict()))
    assert WordTokenizer.from_dict(d) == tok
    assert WordTokenizer.from_dict(d).tokenize("A, b") == ["a,", "b"]
    with pytest.raises(ValueError, match="WordTokenizer.from_dict"):
        WordTokenizer.from_dict({"type": "bpe"})

# ---------------------------------------------------------------------- vocab


def test_specials_come_first():
    vocab = Vocab.build([["b", "a"]])
    assert vocab.tokens[:4] == [PAD, BOS, EOS, UNK]
    assert (vocab.pad_id, vocab.bos_id, vocab.eos_id, vocab.unk_id) == (0, 1, 2, 3)
    assert (Vocab.pad_id, Vocab.bos_id, Vocab.eos_id, Vocab.unk_id) == (0, 1, 2, 3)
    assert len(Vocab.build([])) == 4


def test_order_is_frequency_then_text_and_min_freq_max_size():
    lists = [["c", "b", "a"], ["b", "a"], ["b", "d"], ["e"]]
    assert Vocab.build(lists).tokens[4:] == ["b", "a", "c", "d", "e"]
    assert Vocab.build(lists, min_freq=2).tokens[4:] == ["b", "a"]
    assert Vocab.build(lists, max_size=6).tokens[4:] == ["b", "a"]
    assert Vocab.build(reversed(lists)) == Vocab.build(lists)        # order of data irrelevant
    assert Vocab.build([["<unk>", "x"]]).tokens[4:] == ["x"]         # specials counted once
    with pytest.raises(ValueError, match="max_size must be at least 4"):
        Vocab.build(lists, max_size=3)


def test_encode_unknown_and_decode():
    vocab = Vocab.build([["the", "dog"], ["the", "cat"]])
    ids = vocab.encode(["the", "bird", "dog"])
    assert ids == [4, 3, 6]
    assert vocab.decode(ids) == ["the", UNK, "dog"]
    assert vocab.decode([1, 4, 5, 2, 6, 0]) == ["the", "cat"]                  # stops at <eos>
    assert vocab.decode([1, 4, 0, 5]) == ["the", "cat"]                        # drops pad/bos
    assert vocab.decode([1, 4, 2, 0], strip_special=False) == [BOS, "the", EOS, PAD]
    with pytest.raises(ValueError, match=r"id 7 is outside the vocabulary range \[0, 6\]"):
        vocab.decode([7])


@given(st.lists(st.lists(st.sampled_from("abcdefgh"), max_size=6), max_size=8),
       st.integers(1, 3))
def test_encode_decode_round_trip(lists, min_freq):
    vocab = Vocab.build(lists, min_freq=min_freq)
    for tokens in lists:
        back = vocab.decode(vocab.encode(tokens))
        assert back == [t if t in vocab else UNK for t in tokens]
    assert len(vocab) == len(set(vocab.tokens))


def test_vocab_dict_round_trip_is_json():
    vocab = Vocab.build([["ein", "Hund", "."], ["ein", "Mann"]])
    again = Vocab.from_dict(json.loads(json.dumps(vocab.to_dict())))
    assert again == vocab and again.encode(["Mann", "x"]) == vocab.encode(["Mann", "x"])
    with pytest.raises(ValueError, match="first four tokens"):
        Vocab.from_dict({"tokens": ["a", "b", "c", "d"]})
    with pytest.raises(ValueError, match="appears twice"):
        Vocab.from_dict({"tokens": [PAD, BOS, EOS, UNK, "a", "a"]})
