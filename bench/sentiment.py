"""Sentiment scoring speed and accuracy on the labelled samples, per language, on one core.

    .venv/bin/python bench/sentiment.py [--json PATH] [--seconds S]

Scores every evaluation text (tests/data/sentiment_en.tsv, sentiment_id.tsv) with
`score(text)` — language detection included, as a mention arrives — once for accuracy and a
confusion matrix, then over and over for S seconds (default 3) per language in this single
process, pinned to one CPU where the OS allows. Also printed (not in the JSON): a cold pass
with the token caches emptied first, and the dev-set accuracy.

Goal: >= 20,000 texts/s per core and >= 0.80 accuracy in both languages. JSON keys:
en_texts_per_s, id_texts_per_s, en_accuracy, id_accuracy.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from domain.listening import language as language_module  # noqa: E402
from domain.listening.sentiment import LABELS, english, indonesian, score  # noqa: E402

DATA = ROOT / "tests" / "data"
GOAL_TEXTS_PER_S = 20_000
GOAL_ACCURACY = 0.80


def load(name: str) -> list[tuple[str, str]]:
    rows = (DATA / f"{name}.tsv").read_text(encoding="utf-8").splitlines()
    return [(label, text) for label, text in (row.split("\t", 1) for row in rows)]


def accuracy(rows: list[tuple[str, str]]) -> tuple[float, dict[tuple[str, str], int]]:
    confusion = {(truth, guess): 0 for truth in LABELS for guess in LABELS}
    for label, text in rows:
        confusion[label, score(text).label] += 1
    correct = sum(confusion[label, label] for label in LABELS)
    return correct / len(rows), confusion


def throughput(texts: list[str], seconds: float) -> float:
    for text in texts:  # warm up
        score(text)
    done = 0
    started = time.perf_counter()
    deadline = started + seconds
    while time.perf_counter() < deadline:
        for text in texts:
            score(text)
        done += len(texts)
    return done / (time.perf_counter() - started)


def cold_throughput(texts: list[str], rounds: int = 20) -> float:
    """Every token unseen: the caches are emptied before each pass."""
    spent = 0.0
    for _ in range(rounds):
        language_module._memo.clear()
        english.SCORER._memo.clear()
        indonesian.SCORER._memo.clear()
        started = time.perf_counter()
        for text in texts:
            score(text)
        spent += time.perf_counter() - started
    return rounds * len(texts) / spent


def print_confusion(confusion: dict[tuple[str, str], int]) -> None:
    print("    truth \\ predicted " + "".join(f"{label:>10}" for label in LABELS))
    for truth in LABELS:
        cells = "".join(f"{confusion[truth, guess]:>10}" for guess in LABELS)
        print(f"    {truth:<19}{cells}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--json", type=Path)
    parser.add_argument("--seconds", type=float, default=3.0, help="timed seconds per language")
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    gc.collect()
    figures: dict[str, float] = {}
    met = True
    for code in ("en", "id"):
        rows = load(f"sentiment_{code}")
        texts = [text for _, text in rows]
        evaluation, confusion = accuracy(rows)
        development, _ = accuracy(load(f"sentiment_{code}_dev"))
        cold = cold_throughput(texts)
        warm = throughput(texts, args.seconds)
        figures[f"{code}_texts_per_s"] = round(warm)
        figures[f"{code}_accuracy"] = round(evaluation, 4)
        print(f"{code}: {len(rows)} evaluation texts")
        print(f"  texts/s (one core): {warm:,.0f}   cold caches: {cold:,.0f}")
        print(f"  accuracy: {evaluation:.3f}   (dev set: {development:.3f})")
        print_confusion(confusion)
        met = met and warm >= GOAL_TEXTS_PER_S and evaluation >= GOAL_ACCURACY
    print(json.dumps(figures))
    if not met:
        print(f"goal (>= {GOAL_TEXTS_PER_S:,} texts/s, >= {GOAL_ACCURACY:.2f} accuracy) NOT met")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
