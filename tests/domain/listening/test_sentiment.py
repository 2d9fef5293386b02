from pathlib import Path

import pytest

from domain.listening.sentiment import NEGATIVE, NEUTRAL, POSITIVE, Sentiment, score

DATA = Path(__file__).resolve().parents[2] / "data"


def value(text: str, language: str | None = None) -> float:
    return score(text, language).score


def test_result_shape():
    result = score("Pelayanannya ramah banget, mantap!")
    assert isinstance(result, Sentiment)
    assert result.label == POSITIVE and result.language == "id"
    assert 0 < result.score <= 1
    assert score("The app keeps crashing, so annoying").label == NEGATIVE
    assert score("What time does the Kemang branch open?").label == NEUTRAL


@pytest.mark.parametrize(
    ("positive", "negated", "language"),
    [
        ("good", "not good", "en"),
        ("The food was good", "The food was not good", "en"),
        ("It is great", "It isn't great", "en"),
        ("they never disappoint", "they disappoint", "en"),
        ("bagus", "tidak bagus", "id"),
        ("enak", "gak enak", "id"),
        ("enak", "ga enak", "id"),
        ("pelayanannya ramah", "pelayanannya kurang ramah", "id"),
        ("gak nyesel beli di sini", "nyesel beli di sini", "id"),
        ("tidak mengecewakan", "mengecewakan", "id"),
    ],
)
def test_negation_flips(positive, negated, language):
    assert value(positive, language) > 0.05
    assert value(negated, language) < -0.05


@pytest.mark.parametrize(
    ("plain", "stronger", "language"),
    [
        ("good", "very good", "en"),
        ("bad", "extremely bad", "en"),
        ("good", "sooo good", "en"),
        ("good", "GOOD food", "en"),
        ("good", "good!!!", "en"),
        ("bagus", "sangat bagus", "id"),
        ("bagus", "bagus banget", "id"),
        ("bagus", "bagus bgt", "id"),
        ("enak", "enak bangettt", "id"),
        ("lemot", "lemot parah", "id"),
        ("mahal", "terlalu mahal", "id"),
        ("gak enak", "gak enak banget", "id"),
    ],
)
def test_intensifiers_raise_magnitude(plain, stronger, language):
    assert abs(value(stronger, language)) > abs(value(plain, language))
    assert (value(stronger, language) > 0) == (value(plain, language) > 0)


@pytest.mark.parametrize(
    ("plain", "weaker", "language"),
    [
        ("good", "kinda good", "en"),
        ("good", "slightly good", "en"),
        ("enak", "agak enak", "id"),
        ("enak", "lumayan enak", "id"),
        ("lambat", "agak lambat", "id"),
    ],
)
def test_dampeners_lower_magnitude(plain, weaker, language):
    assert 0 < abs(value(weaker, language)) < abs(value(plain, language))


@pytest.mark.parametrize(
    ("text", "label", "language"),
    [
        ("The food was good but the service was terrible", NEGATIVE, "en"),
        ("The service was slow but the food was excellent", POSITIVE, "en"),
        ("Harganya mahal tapi rasanya enak banget", POSITIVE, "id"),
        ("Tampilannya bagus, tapi sering error dan lemot", NEGATIVE, "id"),
        ("Enak sih, namun pelayanannya jutek", NEGATIVE, "id"),
        ("Walaupun antri lama, makanannya enak", POSITIVE, "id"),
    ],
)
def test_the_clause_after_but_counts_more(text, label, language):
    assert score(text, language).label == label


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("😍😍😍", POSITIVE),
        ("👍", POSITIVE),
        ("😡", NEGATIVE),
        (":)", POSITIVE),
        (":(", NEGATIVE),
        ("<3", POSITIVE),
        ("10/10 would order again", POSITIVE),
        ("paketnya udah sampe 🙄", NEGATIVE),
        ("order udah sampe 😊", POSITIVE),
    ],
)
def test_emoji_emoticons_and_ratings(text, label):
    assert score(text).label == label


def test_emoji_are_not_negated():
    assert score("gak bisa login 😡", "id").label == NEGATIVE
    assert score("can't log in 😡", "en").label == NEGATIVE


def test_slang_is_normalised():
    assert value("bgs bgt", "id") == value("bagus banget", "id")
    assert value("gk ribet", "id") == value("tidak ribet", "id") > 0.05
    assert value("mantul", "id") == value("mantap", "id")
    assert score("pelayanannya lemot dan ribet, dijutekin pula", "id").label == NEGATIVE


def test_links_and_mentions_do_not_count():
    assert value("@GoodHappyStore https://great.example/love?x=1") == 0
    assert value("@GoodHappyStore terrible https://great.example/love") < -0.05


def test_names_are_not_sentiment():
    assert score("Is the Pondok Indah branch open on Sunday?", "en").label == NEUTRAL
    assert score("Outlet Pondok Indah buka jam berapa?", "id").label == NEUTRAL


def test_undetermined_text_uses_the_stronger_scorer():
    result = score("Mantap!")
    assert result.language == "und" and result.label == POSITIVE
    assert score("Horrible!").label == NEGATIVE


@pytest.mark.parametrize(
    ("given", "language"),
    [("en", "en"), ("EN", "en"), ("en-US", "en"), ("id_ID", "id"), ("in", "id"), ("fr", "und")],
)
def test_language_tags(given, language):
    assert score("good", given).language == language


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "\n\t",
        "\x00",
        "bagus\x00banget",
        "!!!???",
        "😡" * 1000,
        "good " * 100_000,
        "gak enak " * 50_000,
        "sooo" + "o" * 100_000,
        "ÄÖÜ ß İstanbul ǅ ﬁ",
        "🏳️‍🌈👩‍👩‍👧‍👦🇮🇩",
        "a-b-c-d---e -- - '' ' n't",
        "not not not not never no",
        "tapi tapi namun but but",
        "banget parah sekali",
    ],
)
def test_odd_inputs_do_not_crash_and_stay_in_range(text):
    result = score(text)
    assert -1.0 <= result.score <= 1.0
    assert result.label in (POSITIVE, NEUTRAL, NEGATIVE)
    assert result.language in ("en", "id", "und")


def test_empty_text_is_neutral():
    assert score("") == Sentiment(0.0, NEUTRAL, "und")
    assert score("   ", "id") == Sentiment(0.0, NEUTRAL, "id")


def test_scores_stay_in_range_on_the_samples():
    for name in ("sentiment_en", "sentiment_id", "sentiment_en_dev", "sentiment_id_dev"):
        for row in (DATA / f"{name}.tsv").read_text(encoding="utf-8").splitlines():
            text = row.split("\t", 1)[1]
            for language in (None, "en", "id", "und"):
                assert -1.0 <= score(text, language).score <= 1.0
                assert -1.0 <= score(text.upper() + "!!!!!", language).score <= 1.0


def load(name: str) -> list[tuple[str, str]]:
    rows = (DATA / f"{name}.tsv").read_text(encoding="utf-8").splitlines()
    return [tuple(row.split("\t", 1)) for row in rows]


@pytest.mark.parametrize("name", ["sentiment_en", "sentiment_id"])
def test_evaluation_samples_are_well_formed(name):
    rows = load(name)
    assert len(rows) >= 300
    assert len({text for _, text in rows}) == len(rows)
    labels = [label for label, _ in rows]
    for label in (POSITIVE, NEUTRAL, NEGATIVE):
        assert labels.count(label) >= len(rows) // 4
    assert set(labels) == {POSITIVE, NEUTRAL, NEGATIVE}


@pytest.mark.parametrize(
    ("name", "language"),
    [
        ("sentiment_en", "en"),
        ("sentiment_id", "id"),
        ("sentiment_en_dev", "en"),
        ("sentiment_id_dev", "id"),
    ],
)
def test_accuracy(name, language):
    rows = load(name)
    correct = sum(score(text).label == label for label, text in rows)
    assert correct / len(rows) >= 0.80
