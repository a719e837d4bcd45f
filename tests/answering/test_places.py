import pytest

from rag.answering.constraints import check
from rag.answering.places import (
    countries_named,
    country_of,
    named_otherwise,
    names_place,
    other_country,
    states_named,
)


@pytest.mark.parametrize("text, found", [
    ("Saudi Arabian officials cracked down on rainbow toys.", {"Saudi Arabian"}),
    ("Iranian lawmakers urged the judiciary to show no leniency.", {"Iranian"}),
    ("Truss became the third female prime minister in British history.", {"British"}),
    ("The team beat the Netherlands and South Korea.", {"Netherlands", "South Korea"}),
    ("Bogota, Colombia (CNN) Gustavo Petro will lead Colombia's government.",
     {"Colombia", "Colombia's"}),
    ("Ukrainian forces retook the town.", {"Ukrainian"}),
    ("New Zealanders voted on Saturday.", {"New Zealanders"}),
    # a city, an agency, a region: no country
    ("One year ago today, the World Health Organization declared a pandemic.", set()),
    ("The quake struck 15 miles west of Port-au-Prince.", set()),
    ("Leaders met in Europe and Asia.", set()),
    # a country's name inside another name
    ("The quake struck, according to the United States Geological Survey.", set()),
    ("Bank of America and British Airways said so.", set()),
    ("The Prime Minister of Japan spoke.", {"Japan"}),
    ("From left are Camilla, Duchess of Cornwall; Prince Philip; Prince William.", set()),
    ("Philippine officials and Afghan refugees met in Germany.",
     {"Philippine", "Afghan", "Germany"}),
])
def test_countries_and_their_adjectives_are_found(text, found):
    assert countries_named(text) == found


def test_us_states_and_states_named_as_states():
    assert states_named("Voters in Kansas and New York went to the polls.") == {
        "Kansas", "New York"}
    assert states_named("It made landfall in northern Nayarit state.") == {"Nayarit state"}
    assert states_named("Cases rose across the US this year.") == set()


@pytest.mark.parametrize("kind, question, sentence, ok", [
    ("country", "Which country declared victory against Covid this week?",
     "One year ago today, the World Health Organization declared a pandemic.", False),
    ("country", "Which country declared victory against Covid this week?",
     "North Korea declared victory over Covid on Wednesday.", True),
    # the country the question names is no answer to it
    ("country", "Which country did the US team defeat?", "The US team played well.", False),
    ("country", "Which country did the US team defeat?", "The US beat Iran 1-0.", True),
    ("state", "Which state has the most monkeypox cases?",
     "There have been almost 22,000 cases in the US this year.", False),
    ("state", "Which state has the most monkeypox cases?",
     "California has the most cases, followed by New York.", True),
    # a nation is a state too, but the US is not one of "which state"
    ("state", "Which state holds the EU presidency?",
     "Denmark, which holds the rotating EU presidency, said so.", True),
    ("state", "Which state has the most monkeypox cases?",
     "The United States and American cities reported 22,000 cases.", False),
    # kinds without a list are not checked here
    ("city", "Which city opened a tent camp?", "Officials opened it.", None),
])
def test_which_country_or_state_needs_one_the_question_does_not_name(kind, question, sentence,
                                                                    ok):
    assert names_place(kind, question, sentence) is ok


def test_check_refuses_a_sentence_that_names_no_country():
    q = "Which country was shaken by a 7.0-magnitude earthquake this week?"
    article = "a 7.0-magnitude earthquake struck. the quake struck near manila."
    verdict = check(q, "The quake struck 15 miles west of Port-au-Prince on Monday.", "",
                    article, "")
    assert not verdict.ok and verdict.reason == "it names no country"
    assert check(q, "A 7.0-magnitude earthquake shook the Philippines on Wednesday.", "",
                 article, "").ok
    # "the country" stands for one named before it
    assert check(q, "The quake shook the country's north on Wednesday.", "", article, "").ok


def test_a_place_asked_in_one_country_is_not_answered_from_another():
    q = "Vladimir Putin welcomed world leaders to a Brics group summit in which Russian city?"
    assert other_country(q, "Leaders have convened in the city of Samarkand in Uzbekistan.") \
        == "Uzbekistan"
    assert other_country(q, "Leaders gathered in Kazan, a Russian city on the Volga.") == ""
    assert other_country(q, "Leaders gathered in Kazan on Tuesday.") == ""
    assert other_country("Which city hosted the summit?", "It met in Samarkand, Uzbekistan.") == ""
    verdict = check(q, "Leaders have convened in the city of Samarkand in Uzbekistan.", "",
                    "putin brics summit", "")
    assert not verdict.ok and verdict.reason == "it speaks of Uzbekistan"


def test_a_country_asked_in_full_is_found_under_its_other_names():
    q = "Who became the new prime minister of the United Kingdom this week?"
    assert named_otherwise(q, "Sunak is the UK's first Hindu leader.") == {"united", "kingdom"}
    assert named_otherwise(q, "Britain has a new leader.") == {"united", "kingdom"}
    # "US" is a word, not the pronoun; a country the question does not name counts for nothing
    assert named_otherwise("Who won the United States Open?", "us and them") == set()
    assert named_otherwise("Who won?", "Britain has a new leader.") == set()
    sentence = "Rishi Sunak became prime minister on Tuesday."
    assert check(q, sentence, "", "Rishi Sunak became the UK prime minister on Tuesday.",
                 "2022-10-25").ok
    verdict = check(q, sentence, "", "Rishi Sunak became prime minister on Tuesday in Paris.",
                    "2022-10-25")
    assert not verdict.ok and "do not name" in verdict.reason


@pytest.mark.parametrize("phrase, country", [
    ("Saudi Arabian", "Saudi Arabia"), ("Saudi Arabia", "Saudi Arabia"), ("Iranian", "Iran"),
    ("British", "United Kingdom"), ("Dutch", "Netherlands"), ("South Koreans", "South Korea"),
    ("Chinese", "China"), ("Mexican", "Mexico"),
    # a city, or a word that names no one country
    ("Mexico City", ""), ("Saudi", ""), ("Riyadh", ""),
    # another word that starts as one of the other names ("Pole", "US") does
    ("Police", ""), ("Usual", ""), ("Poles", "Poland"),
])
def test_the_country_a_name_or_adjective_says(phrase, country):
    assert country_of(phrase) == country
