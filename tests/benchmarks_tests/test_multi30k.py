"""The Multi30k benchmark's recipe and parsing (no training: that is the
benchmark, run by hand)."""

from benchmarks import multi30k
from transformer import train
from transformer.settings import TrainSettings


def test_the_recipe_is_a_valid_training_command_on_a_joint_bpe_with_shared_embeddings():
    args = multi30k.parse_args(["--out", "RUN"])
    cmd = multi30k.train_command(args, ["t.de", "t.en"], ["v.de", "v.en"])
    given = train.parse_args(cmd[3:])                 # what the training command accepts
    s = TrainSettings.preset(None, **{k: v for k, v in given.items()})
    assert (s.subword, s.vocab_size, s.share_embeddings, s.separate_vocabularies) == \
        ("bpe", 8000, True, False)
    assert (s.model, s.epochs, s.schedule, s.lr, s.keep_epochs) == ("small", 18, "cosine", 1e-3, 5)
    assert s.max_tokens == 2048                       # twice the updates of the 4096 default
    assert s.test is None and s.test_tsv is None      # the test set: scored once, afterwards
    dry = multi30k.parse_args(["--out", "RUN", "--epochs", "1"])
    assert "--keep-epochs" in (c := multi30k.train_command(dry, [], [])) and \
        c[c.index("--keep-epochs") + 1] == "1"        # never more epochs kept than trained


def test_scores_are_read_from_evaluate_output():
    out = ("sentences: 1000 (skipped 0 with an empty side), beam 5 (alpha 1.0), 12.0 s\n"
           "BLEU (tokenized, lower-cased) 40.12  nrefs:1|case:lc|eff:no|tok:none\n"
           "sacreBLEU 38.50  nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:2.6.0\n"
           "chrF 61.03  nrefs:1|case:mixed|eff:yes|nc:6|nw:0|space:no|version:2.6.0\n")
    assert multi30k.scores(out) == {"bleu": 40.12, "sacrebleu": 38.5, "chrf": 61.03,
                                    "sacrebleu_signature": "nrefs:1|case:mixed|eff:no|tok:13a|"
                                                           "smooth:exp|version:2.6.0"}


def test_unseen_words_are_found_case_blind(tmp_path):
    def files(name, pairs):
        paths = [tmp_path / f"{name}.{lang}" for lang in ("de", "en")]
        for side, path in enumerate(paths):
            path.write_text("".join(p[side] + "\n" for p in pairs))
        return [str(p) for p in paths]
    train_files = files("train", [("Ein Hund läuft.", "A dog runs."), ("Eine Katze.", "A cat.")])
    test_files = files("test", [("Ein Hund.", "A dog."), ("EIN Xylophon läuft, 2 Mal.", "x"),
                                ("Ein Zebra.", "A zebra.")])
    found = multi30k.unseen_word_sentences(train_files, test_files, 5)
    assert found == [("EIN Xylophon läuft, 2 Mal.", "x", ["xylophon", "mal"]),
                     ("Ein Zebra.", "A zebra.", ["zebra"])]
    assert len(multi30k.unseen_word_sentences(train_files, test_files, 1)) == 1
