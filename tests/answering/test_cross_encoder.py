"""The cross-encoder (the bundled model with the shipped adapters, real weights) and the
answerer that reads its best sentences again with it, over a real index."""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import CORPUS, IKAROS

import rag
from rag.answering.cross_encoder import WEIGHTS, CrossScorer, build, load_scorer, trained_state
from rag.types import ConfigError

ARTICLES = [
    {"id": "cup", "date": "2022-06-27", "source": "cnn.com", "title": "Stanley Cup Final",
     "text": "The Tampa Bay Lightning had won the last two Stanley Cups. The Colorado Avalanche "
             "beat the Lightning 2-1 in Game 6 on Sunday to win the Stanley Cup for the first "
             "time since 2001. The team's only loss in the final came in Game 3."},
]


@pytest.fixture(scope="module")
def scorer():
    return load_scorer()


def test_the_sentence_that_answers_scores_above_one_that_does_not(scorer):
    sentences = ARTICLES[0]["text"].split(". ")
    logits = scorer.scores("Which team won the 2022 Stanley Cup?", sentences)
    assert logits.shape == (3,)
    # "The Colorado Avalanche beat ..." above "The team's only loss ...", by a wide margin
    assert logits[1] > logits[2] + 2.0, logits


@pytest.mark.xfail(strict=True, reason="known weakness (benchmarks/README.md, stop 27): "
                   "trained on short passages, it ranks a sentence of the asked topic that "
                   "names a team above the one that says who won")
def test_the_winner_sentence_scores_first(scorer):
    sentences = ARTICLES[0]["text"].split(". ")
    logits = scorer.scores("Which team won the 2022 Stanley Cup?", sentences)
    assert int(np.argmax(logits)) == 1, logits


def test_no_sentences_no_scores(scorer):
    assert scorer.scores("Anything?", []).shape == (0,)


def test_the_shipped_weights_are_adapters_and_a_head_under_2_mb():
    assert WEIGHTS.stat().st_size < 2_000_000
    state = np.load(WEIGHTS)
    assert set(state) == set(trained_state(build()[0]))
    assert sum(state[k].size for k in state) < 300_000


def test_weights_that_cannot_be_read_say_so(tmp_path):
    bad = tmp_path / "w.npz"
    bad.write_text("not numpy")
    with pytest.raises(ConfigError, match="cross-encoder weights"):
        CrossScorer(weights=bad)


@pytest.fixture(scope="module")
def bot(tmp_path_factory):
    root = tmp_path_factory.mktemp("cross")
    (root / "a.jsonl").write_text("".join(json.dumps(a) + "\n" for a in ARTICLES))
    assistant = rag.Assistant(index_dir=root / "index", answerer="cross")
    assistant.ingest([root / "a.jsonl", CORPUS])
    return assistant


def test_it_answers_where_the_rules_answer_and_nowhere_else(bot):
    rules = rag.Assistant(index_dir=bot.settings.index_dir, answerer="rules")
    for question in ("Which team won the 2022 Stanley Cup?", IKAROS,
                     "Which team won the 2023 Super Bowl?",
                     "How many arrests did operation Ikaros lead to?"):
        assert bot.ask(question).status == rules.ask(question).status, question
    assert bot.ask("Which team won the 2023 Super Bowl?").abstained


def test_the_flagship_answer_leads_with_its_sentence(bot):
    answer = bot.ask(IKAROS)
    assert answer.status == "answered"
    assert all(fact in answer.citations[0].quote
               for fact in ("269 suspects", "22 countries", "112 arrests"))
