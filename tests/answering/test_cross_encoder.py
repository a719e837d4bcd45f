"""The cross-encoder (the bundled model with the shipped adapters, real weights) and the
answerer that reads its best sentences again with it, over a real index."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from conftest import CORPUS, IKAROS

import rag
from rag.answering.cross_answerer import blend_order
from rag.answering.cross_encoder import (
    WEIGHTS,
    CrossScorer,
    FastCrossScorer,
    build,
    load_scorer,
    trained_state,
)
from rag.types import ConfigError, RagError

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
    with pytest.raises(ConfigError, match="cross-encoder weights"):
        FastCrossScorer(weights=bad, cache_dir=tmp_path / "cache")
    with pytest.raises(ConfigError, match="cross-encoder weights"):
        FastCrossScorer(weights=tmp_path / "missing.npz", cache_dir=tmp_path / "cache")
    assert not list((tmp_path / "cache").glob("cross-encoder-*")), "nothing half-made is kept"
    (tmp_path / "a-file").write_text("not a folder")
    with pytest.raises(RagError, match="RAG_EMBED_CACHE_DIR"):
        FastCrossScorer(cache_dir=tmp_path / "a-file" / "cache")


def test_the_exported_model_scores_as_pytorch_does(scorer):
    assert isinstance(scorer, FastCrossScorer)
    question = "Which team won the 2022 Stanley Cup?"
    sentences = [*ARTICLES[0]["text"].split(". "), "Fans gathered downtown."]
    fast = scorer.scores(question, sentences)
    exact = load_scorer(fast=False).scores(question, sentences)
    # OpenVINO computes in bf16 where the CPU has it
    assert np.abs(fast - exact).max() < 0.1, (fast, exact)
    assert list(np.argsort(-fast)) == list(np.argsort(-exact))


def test_once_exported_it_runs_without_pytorch(scorer):
    # the fixture exported it into the default cache; a new process finds it there
    code = ("import sys; from rag.answering.cross_encoder import load_scorer; "
            "s = load_scorer(); print(s.scores('Who won?', ['The Avalanche won.']).shape, "
            "'torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120, check=True).stdout
    assert out.strip() == "(1,) False"


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


def _cross_and_rules(tmp_path, articles):
    """The cross answerer over a new index of ``articles``, and the rules alone over it."""
    bot = rag.Assistant(index_dir=tmp_path / "index", answerer="cross")
    bot.ingest_articles(articles)
    return bot, rag.Assistant(index_dir=tmp_path / "index", answerer="rules")


def test_one_with_an_answer_of_the_asked_kind_may_overtake_a_lead_without_one(tmp_path):
    # The sentence that restates the quiz's scene ranks first by the hand-set score and names
    # no one new; the one naming who is next in line is read by the cross-encoder as the better
    # answer and now leads (before stop 32, only sentences without a name were reordered).
    article = rag.Article(
        id="king", date="2022-09-09", source="cnn.com", title="Charles becomes King",
        text="King Charles III has become Britain's new monarch following the death of his "
             "mother, Queen Elizabeth II, at the age of 96. The royal family gathered at "
             "Balmoral on Thursday. Prince William, the King's elder son, is next in line for "
             "the throne under the British line of succession. The coronation is expected "
             "next year.")
    question = ("King Charles III became Britain's new monarch following the death of his "
                "mother, Queen Elizabeth II. Who is next in the line of royal succession?")
    bot, rules = _cross_and_rules(tmp_path, [article])
    assert rules.ask(question).citations[0].quote.startswith("King Charles III has become")
    answer = bot.ask(question)
    assert answer.status == "answered"
    assert answer.citations[0].quote.startswith("Prince William, the King's elder son")


def test_a_who_question_after_a_preamble_is_answered_by_the_name_its_article_tells_of(
        tmp_path):
    # The article tells of William three times: for a question that asks with "who" the new
    # name is the answer, not another subject, though a preamble comes first (stop 34).
    article = rag.Article(
        id="succession", date="2022-09-10", source="usatoday.com", title="Line of succession",
        text="King Charles III became Britain's new monarch following the death of his mother, "
             "Queen Elizabeth II, at the age of 96. He is 73, the oldest monarch to take the "
             "British throne. Prince William, King Charles' elder son and formerly the Duke of "
             "Cambridge, is next in line for the throne under the British line of succession. "
             "Charles named William the new Prince of Wales on his first full day as king. "
             "William's wife Catherine became Princess of Wales. William and Catherine have "
             "three children.")
    question = ("King Charles III became Britain's new monarch following the death of his "
                "mother, Queen Elizabeth II. Who is next in the line of royal succession?")
    bot, _rules = _cross_and_rules(tmp_path, [article])
    answer = bot.ask(question)
    assert answer.status == "answered"
    assert answer.citations[0].quote.startswith("Prince William, King Charles' elder son")


def test_a_sentence_the_cross_encoder_is_sure_of_leads_when_well_ahead():
    # Stop 34's "Who is next in line": the restating sentence keeps the lead by 0.007 of blend
    # though the cross-encoder reads the one naming William 1.07 better.
    picks, logits = [0.860, 0.746], [0.91, 1.98]
    assert blend_order(picks, logits, 0.1) == [0, 1]
    assert blend_order(picks, logits, 0.1, lead_logit=1.0, lead_margin=1.0) == [1, 0]
    # Not sure of it (a logit under lead_logit), or not ahead by lead_margin: the blend's order.
    assert blend_order(picks, [0.0, 0.9], 0.1, lead_logit=1.0, lead_margin=1.0) == [0, 1]
    assert blend_order(picks, [1.3, 2.1], 0.1, lead_logit=1.0, lead_margin=1.0) == [0, 1]
    # The others keep the blend's order behind it.
    assert blend_order([0.9, 0.8, 0.5], [0.0, 0.2, 2.0], 0.1, 1.0, 1.0) == [2, 0, 1]


def test_a_sentence_under_the_threshold_ranked_before_the_chosen_one_leads_when_preferred(
        tmp_path):
    # Stop 34: "TikTok ... will be prohibiting all political fundraising" holds few of the
    # question's words (relevance under the threshold) but the blend ranks it before the
    # sentence chosen over the threshold. Real sentences and checks; the two scores and
    # logits are set to isolate the rule.
    articles = [
        rag.Article(id="fb", date="2022-09-22", source="usatoday.com", title="Facebook ban",
                    text="In a written statement after the Facebook decision, the former "
                         "president called the social media bans a disgrace on Thursday."),
        rag.Article(id="tt", date="2022-09-21", source="cnn.com", title="TikTok",
                    text="TikTok has begun to require verification for political accounts and "
                         "is prohibiting all political fundraising, the company said Wednesday."),
    ]
    question = "Which social media platform banned political fundraising this week?"
    bot, rules = _cross_and_rules(tmp_path, articles)
    passages = bot.ask(question).passages
    ex = bot.answering.extractive
    cands = ex.candidates(passages)
    ex.score(question, bot.embedder.embed_query(question), cands)
    tiktok = next(c for c in cands if c.text.startswith("TikTok"))
    chosen = next(c for c in cands if c.text.startswith("In a written statement"))
    s = bot.settings.answer

    def lead(score, logit, best_logit=-3.4, answerer=ex):
        tiktok.score, tiktok.logit = score, logit
        chosen.score, chosen.logit = s.min_answer_score + 0.1, best_logit
        return answerer.lead_under_threshold(question, [tiktok, chosen], chosen, passages)

    assert lead(0.45, -0.5) is tiktok
    assert lead(0.45, -0.5, best_logit=-1.0) is chosen  # not cross_lead_margin better
    assert lead(0.45, -1.5, best_logit=-4.0) is chosen  # doubted: under cross_doubt_logit
    assert lead(s.cross_rescue_score - 0.05, -0.5) is chosen  # under the floor
    assert lead(0.45, -0.5, answerer=rules.answering.extractive) is chosen  # the rules alone


def test_a_sentence_that_opens_with_a_pronoun_is_read_after_the_one_before(tmp_path):
    # "It is 303 metres long" alone names no bridge: read alone, every "The new bridge of
    # KarsbyN opened" outscored it, and another town's answer led (stop 28)
    articles = [rag.Article(id=f"karsby-{i}", date="2024-06-01", source="Wire",
                            title=f"Karsby{i} bridge opens",
                            text=f"The new bridge of Karsby{i} opened on Friday. It is {300 + i} "
                                 f"metres long and carries {i + 2} lanes, the council said.")
                for i in range(6)]
    bot = rag.Assistant(index_dir=tmp_path / "index", answerer="cross")
    bot.ingest_articles(articles)
    real, seen = load_scorer(), []

    class Recording:  # the real scorer, with what it was given kept
        def scores(self, question, texts):
            seen.extend(texts)
            return real.scores(question, texts)

    bot.answering.extractive.scorer = Recording()
    answer = bot.ask("How many lanes does the bridge of Karsby3 carry?")
    assert ("The new bridge of Karsby3 opened on Friday. It is 303 metres long and carries 5 "
            "lanes, the council said.") in seen
    assert answer.status == "answered"
    assert answer.citations[0].doc_id == "karsby-3" and "5 lanes" in answer.citations[0].quote


def test_below_the_threshold_a_sentence_it_is_sure_of_answers(tmp_path):
    # Few of the question's words are in the sentence ("revealed", "river"): its hand-set
    # relevance is below the threshold, and the cross-encoder reads that it answers (stop 29).
    articles = [
        rag.Article(id="tracks", date="2022-08-22", source="cnn.com",
                    title="Drought in Texas park",
                    text="Dinosaur tracks from around 113 million years ago have been revealed at "
                         "Dinosaur Valley State Park in Texas due to severe drought conditions "
                         "that dried up a river, the park said Monday in a statement. Most of the "
                         "tracks belong to Acrocanthosaurus, a park spokesperson said. The park "
                         "remains open to visitors."),
        rag.Article(id="cup", date="2022-06-27", source="cnn.com", title="Stanley Cup Final",
                    text=ARTICLES[0]["text"])]
    question = "What ancient find was uncovered in a Texas riverbed this week?"
    bot = rag.Assistant(index_dir=tmp_path / "index", answerer="cross")
    bot.ingest_articles(articles)
    answer = bot.ask(question)
    assert answer.status == "answered"
    assert answer.citations[0].quote.startswith("Dinosaur tracks from around 113 million")
    s = bot.settings.answer
    ex = bot.answering.extractive
    cands = ex.candidates(answer.passages)
    ex.score(question, bot.embedder.embed_query(question), cands)
    assert s.cross_rescue_score <= max(c.score for c in cands) < s.min_answer_score
    # Not sure enough, or the rules alone: no answer.
    for other in (rag.Assistant(index_dir=tmp_path / "index", answerer="cross",
                                cross_rescue_logit=99.0),
                  rag.Assistant(index_dir=tmp_path / "index", answerer="rules")):
        assert other.ask(question).status == "none"


def test_just_over_the_threshold_a_sentence_it_doubts_is_shown_as_related(bot):
    # With the doubt band over every relevance and a logit no sentence reaches, the flagship
    # answer is doubted: its closest sentences are shown, not an answer.
    assert bot.ask(IKAROS).status == "answered"
    doubting = rag.Assistant(index_dir=bot.settings.index_dir, answerer="cross",
                             cross_doubt_score=9.0, cross_doubt_logit=99.0)
    answer = doubting.ask(IKAROS)
    assert answer.status == "related" and answer.abstained
    assert answer.citations and "not answer" in answer.text


def test_an_article_whose_closest_sentences_name_no_winner_answers_with_the_one_that_does(
        tmp_path):
    # The sentences closest to the question tell of the final and name no win; the one that
    # says who won matches the question less (relevance under the threshold). Its article is
    # the one the question is about, and the cross-encoder is sure of it: it answers (stop 33).
    article = rag.Article(
        id="final", date="2022-06-27", source="cnn.com", title="Avalanche",
        text="The Avalanche finish the 2022 NHL playoffs with a record of 9-1 as the visiting "
             "team. The team's only loss came against Tampa Bay in Game 3 of the Stanley Cup "
             "Finals. Colorado defeated the Tampa Bay Lightning 2-1 in Game 6 to win the Cup "
             "for the first time since 2001.")
    question = "Which team won the 2022 NHL Stanley Cup Finals?"
    bot = rag.Assistant(index_dir=tmp_path / "index", answerer="cross")
    bot.ingest_articles([article])
    answer = bot.ask(question)
    assert answer.status == "answered"
    assert answer.citations[0].quote.startswith("Colorado defeated the Tampa Bay Lightning")
    ex = bot.answering.extractive
    cands = ex.candidates(answer.passages)
    ex.score(question, bot.embedder.embed_query(question), cands)
    won = next(c for c in cands if c.text.startswith("Colorado"))
    s = bot.settings.answer
    assert s.cross_rescue_score <= won.score < s.min_answer_score
    assert max(c.score for c in cands) >= s.min_answer_score
    # Not sure enough, or the rules alone: the articles do not say who won.
    for other in (rag.Assistant(index_dir=tmp_path / "index", answerer="cross",
                                cross_rescue_logit=99.0),
                  rag.Assistant(index_dir=tmp_path / "index", answerer="rules")):
        assert other.ask(question).status == "related"


def test_for_a_kind_named_by_a_common_noun_a_capitalised_word_does_not_hold_the_lead(tmp_path):
    # "Which virus ...": the answer is "monkeypox", not a capitalised name; the sentence naming
    # the WHO committee ranks first by the hand-set score, and the cross-encoder reads the one
    # naming the virus as the answer (stop 33).
    article = rag.Article(
        id="who", date="2022-07-18", source="cnn.com", title="WHO to meet",
        text="In late June, the WHO Emergency Committee determined that the outbreak did not "
             "meet the criteria for declaring a public health emergency. As monkeypox cases "
             "continue to rise globally, the World Health Organization plans to reassess "
             "whether the outbreak constitutes a public health emergency. The committee will "
             "meet on Thursday in Geneva.")
    question = ("Which virus is making officials at the World Health Organization reconsider "
                "whether they should declare a public health emergency?")
    bot, rules = _cross_and_rules(tmp_path, [article])
    assert rules.ask(question).citations[0].quote.startswith("In late June")
    answer = bot.ask(question)
    assert answer.status == "answered"
    assert answer.citations[0].quote.startswith("As monkeypox cases continue to rise")


def test_a_doubted_sentence_gives_way_to_one_of_its_article_the_cross_encoder_prefers(tmp_path):
    # Stop 36: the sentence closest to the question names where Americans come from; the one
    # naming where they go matches it less but reads better to the cross-encoder. The doubt
    # band is set over every relevance and the logits' thresholds between the two sentences'
    # (about -2.3 and -1.6), to isolate the rule.
    article = rag.Article(
        id="mx", date="2022-08-22", source="cnn.com", title="Priced out",
        text="Sandra Ortiz and her siblings ran a restaurant for 54 years. “It is very often "
             "from Los Angeles or New York City,” she said, adding that most are looking to "
             "avoid the rising costs of living in the United States and cash in on a strong "
             "exchange rate. An influx of Americans changed the neighborhood. A storefront sign "
             "reads: “Please leave, we don’t want you here!” It’s not hard for locals to "
             "understand the appeal of relocating from the United States to Mexico City.")
    question = ("Due to the rising cost of living in the US, a growing number of people are "
                "fleeing their expensive cities in search of cheaper rent and a better quality of "
                "life abroad. Where are many Americans moving?")
    bot, _ = _cross_and_rules(tmp_path, [article])

    def ask(doubt_logit):
        return rag.Assistant(index_dir=bot.settings.index_dir, answerer="cross",
                             cross_doubt_score=9.0, cross_doubt_logit=doubt_logit,
                             cross_lead_margin=0.5).ask(question)

    answer = ask(-1.8)
    assert answer.status == "answered"
    assert answer.citations[0].quote.endswith("to Mexico City.")
    assert ask(-1.4).status == "related"  # both doubted


def _train_cross():
    """benchmarks/train_cross.py as a module (benchmarks/ is not a package)."""
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
    try:
        import train_cross
    finally:
        sys.path.pop(0)
    return train_cross


def test_training_examples_may_leave_out_positives_outside_the_gold_articles():
    # train_cross.py --gold-positives (tried at stop 39): a sentence holding the answer string
    # in another article ("Taiwan" in a story about something else) is neither positive nor
    # negative; the gold article's and the negatives stay, in order
    train_cross = _train_cross()
    ask = {"question": "Where did Pelosi go?", "gold": ["g"], "negative": False,
           "contexts": [{"text": "Pelosi landed in Taiwan.", "doc_id": "g"},
                        {"text": "Taiwan held drills.", "doc_id": "other"},
                        {"text": "It rained.", "doc_id": "other"}],
           "labels": [True, True, False]}
    pairs, labels = train_cross._examples(ask, False)
    assert [s for _, s in pairs] == [c["text"] for c in ask["contexts"]]
    assert labels == [1.0, 1.0, 0.0]
    pairs, labels = train_cross._examples(ask, False, gold_positives=True)
    assert [s for _, s in pairs] == ["Pelosi landed in Taiwan.", "It rained."]
    assert labels == [1.0, 0.0]


def test_training_examples_may_read_each_sentence_after_its_articles_title():
    # train_cross.py --title (tried at stop 40, not kept): "<title> | <sentence>", a sentence whose
    # article has no title read alone
    train_cross = _train_cross()
    ask = {"question": "What did Tesla show?", "gold": ["g"], "negative": False,
           "contexts": [{"text": "It walked on stage.", "doc_id": "g",
                         "title": "Tesla unveils Optimus robot"},
                        {"text": "Shares fell.", "doc_id": "other", "title": ""}],
           "labels": [True, False]}
    pairs, labels = train_cross._examples(ask, False)
    assert [s for _, s in pairs] == ["It walked on stage.", "Shares fell."]
    pairs, labels = train_cross._examples(ask, False, title=True)
    assert [s for _, s in pairs] == ["Tesla unveils Optimus robot | It walked on stage.",
                                     "Shares fell."]
    assert labels == [1.0, 0.0]
