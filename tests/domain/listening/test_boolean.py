import pytest

from domain.listening.boolean import BooleanSyntaxError, parse


@pytest.mark.parametrize(
    ("expression", "text", "expected"),
    [
        ("kopi", "Kopi susu enak", True),
        ("kopi", "kopikita enak", False),
        ('"kopi susu"', "ngopi: KOPI   susu gula aren", True),
        ('"kopi susu"', "susu kopi", False),
        ("kopi susu", "susu dan kopi", True),
        ("kopi AND susu", "kopi hitam", False),
        ("kopi OR teh", "teh manis", True),
        ("kopi NOT robusta", "kopi robusta", False),
        ("kopi -robusta", "kopi arabika", True),
        ("kopi AND (susu OR aren) -robusta", "kopi gula aren", True),
        ("kopi AND (susu OR aren) -robusta", "kopi aren robusta", False),
        ("#kopikita OR @kopikita", "mampir ke @kopikita hari ini", True),
        ("#kopikita", "kopikita", False),
        ("kopikita", "ngopi di #kopikita", True),
        ("#kopikita", "#kopikitaaa", False),
        ("NOT kopi", "teh", True),
    ],
)
def test_expressions_match_on_word_boundaries(expression, text, expected):
    assert parse(expression).matches(text) is expected


def test_terms_are_collected():
    assert parse('kopi OR "gula aren" -robusta').terms == ("kopi", "gula aren", "robusta")


@pytest.mark.parametrize(
    ("expression", "position"),
    [
        ("", 0),
        ("   ", 0),
        ("(kopi OR teh", 0),
        ("kopi OR teh)", 11),
        ("kopi AND", 8),
        ("OR kopi", 0),
        ('"kopi susu', 0),
        ('""', 0),
        ("kopi AND OR teh", 9),
        ("()", 1),
    ],
)
def test_malformed_expressions_say_where(expression, position):
    with pytest.raises(BooleanSyntaxError) as error:
        parse(expression)
    assert error.value.position == position


def test_limits():
    with pytest.raises(BooleanSyntaxError):
        parse("kopi " * 300)
    with pytest.raises(BooleanSyntaxError):
        parse(" OR ".join(f"t{i}" for i in range(101)))
    with pytest.raises(BooleanSyntaxError):
        parse("kopi\x00")
