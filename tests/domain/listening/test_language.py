import subprocess
import sys
from pathlib import Path

import pytest

from domain.listening.language import detect_language

DATA = Path(__file__).resolve().parents[2] / "data"


@pytest.mark.parametrize(
    "text",
    [
        "Pelayanannya ramah banget, pesanan sampai cepet 👍",
        "gak enak bgt, kecewa",
        "Min, cabang Kemang buka jam berapa ya?",
        "yg ini bagus bangettt sumpah",
        "nggak bisa login dari pagi, tolong dong @BankKita",
        "Udah 2 jam nunggu tapi belum dateng juga 😡 #kecewa",
        "Gak worth it sama sekali, mending beli di tempat lain",
        "CS-nya fast respon, seller recommended! https://toko.example/p/123",
        "Bakso di sini the best, kuahnya seger",
        "Websitenya down lagi",
    ],
)
def test_indonesian_including_slang_and_code_mixing(text):
    assert detect_language(text) == "id"


@pytest.mark.parametrize(
    "text",
    [
        "The app keeps crashing every time I try to pay",
        "Thanks for the quick response, problem solved 👍",
        "@QuickMart do you deliver to Bekasi?",
        "sooo good, can't wait to order again lol",
        "Is it halal?",
        "Check this out https://example.com/deal #promo",
        "I've been on hold for 45 minutes!!!",
    ],
)
def test_english(text):
    assert detect_language(text) == "en"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   \n\t ",
        "😍😍😍",
        "ok",
        "https://example.com/only-a-link",
        "@someone @another",
        "12345 !!!",
        "\x00\x00",
        "Bonjour, je voudrais commander une pizza",
    ],
)
def test_short_empty_or_other_texts_are_undetermined(text):
    assert detect_language(text) == "und"


def test_long_text_and_nul_bytes_do_not_crash():
    assert detect_language("gak enak banget\x00 " * 10_000) == "id"
    assert detect_language("x" * 100_000) == "und"


def test_the_labelled_samples_are_recognised():
    for language in ("en", "id"):
        rows = (DATA / f"sentiment_{language}.tsv").read_text(encoding="utf-8").splitlines()
        detected = [detect_language(row.split("\t", 1)[1]) for row in rows]
        assert detected.count(language) / len(rows) >= 0.9
        assert detected.count({"en": "id", "id": "en"}[language]) / len(rows) <= 0.02


def test_language_imports_on_its_own():
    """The detector has no import cycle with the sentiment package (either import first)."""
    for module in ("domain.listening.language", "domain.listening.sentiment"):
        subprocess.run([sys.executable, "-c", f"import {module}"], check=True, cwd=DATA.parents[1])
