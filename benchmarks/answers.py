"""Answer quality and speed on the labelled question set (benchmarks/data/questions.jsonl).

Usage:
    python benchmarks/answers.py                 # the held-out part: the headline figures
    python benchmarks/answers.py --split tune    # the part that may be tuned on
    python benchmarks/answers.py --split tune --failures   # list the tune questions missed

Each question is asked with its labelled language as the user's chosen language (as in a
chat where the user picked it); a second run without any language shows how much the
engine relies on that. Held-out questions are only ever counted, never printed.

Definitions (per question, by its ``kind``):
    top-1   in_scope: the answer is a single confident entry (MATCH) and it is the expected
            one; a "did you mean" (AMBIGUOUS) does not count, since the user still has to
            choose. emergency: the answer is EMERGENCY (the emergency card). greeting: the
            answer is GREETING (the main menu). out_of_scope: the answer is NONE (declined).
    top-3   in_scope: the expected entry is among the first three entries offered by a
            MATCH or AMBIGUOUS answer. emergency, greeting, out_of_scope: as for top-1.
    declined        out_of_scope questions answered NONE, as a share of them.
    notfall recall  emergency questions answered EMERGENCY, as a share of them.
    false alarms    questions of other kinds answered EMERGENCY.
    language        the answer's recognised language equals the labelled one (de-simple
                    counts as de), is undecided (None), or is another one.
The "overall" top-1/top-3 are over all questions of the split, every kind included.

Baseline: the best rapidfuzz WRatio match of the question against every entry title in
every language; below a score of 60 it declines. It knows no greetings.

Speed: per-question latency of ``Answerer.answer`` (p50, p99, first pass, no warm-up);
index build time for all languages (the first build in a process, which also loads the
language identification model, and a rebuild as on a content reload); peak memory (max
RSS) of ``wegweiser ask --jsonl`` answering the split's questions in a subprocess.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rapidfuzz import fuzz, process, utils  # noqa: E402

from bot.answer import Answer, Answerer, AnswerKind  # noqa: E402
from bot.answer.lexicon import load_lexicons  # noqa: E402
from bot.catalog.loader import load_catalog  # noqa: E402
from bot.catalog.model import Catalog  # noqa: E402
from bot.library import settle_memory  # noqa: E402

QUESTIONS = ROOT / "benchmarks" / "data" / "questions.jsonl"
BASELINE_CUTOFF = 60.0
REBUILDS = 5
TARGETS = {
    "top1": 0.95,
    "top3": 0.99,
    "top1_per_language": 0.90,
    "declined": 0.90,
    "notfall": 1.0,
    "p50_ms": 1.0,
    "p99_ms": 5.0,
    "build_s": 1.0,
    "memory_mb": 150.0,
}


@dataclass(frozen=True)
class Question:
    id: str
    language: str
    text: str
    expected: str | None
    split: str
    kind: str


@dataclass(frozen=True)
class Outcome:
    """What the user would see: the kind of answer and the entries offered, best first."""

    kind: AnswerKind
    offered: tuple[str, ...]
    language: str | None = None


@dataclass
class Tally:
    total: int = 0
    top1: int = 0
    top3: int = 0
    oos: int = 0
    declined: int = 0
    emergencies: int = 0
    emergency_found: int = 0
    false_alarms: int = 0
    ambiguous: int = 0
    missed: list[str] = field(default_factory=list)

    def add(self, question: Question, outcome: Outcome) -> None:
        one, three = judge(question, outcome)
        self.total += 1
        self.top1 += one
        self.top3 += three
        if outcome.kind is AnswerKind.AMBIGUOUS:
            self.ambiguous += 1
        if question.kind == "out_of_scope":
            self.oos += 1
            self.declined += outcome.kind is AnswerKind.NONE
        if question.kind == "emergency":
            self.emergencies += 1
            self.emergency_found += outcome.kind is AnswerKind.EMERGENCY
        elif outcome.kind is AnswerKind.EMERGENCY:
            self.false_alarms += 1
        if not one:
            self.missed.append(question.id)


def judge(question: Question, outcome: Outcome) -> tuple[bool, bool]:
    if question.kind == "greeting":
        ok = outcome.kind is AnswerKind.GREETING
        return ok, ok
    if question.kind == "out_of_scope":
        ok = outcome.kind is AnswerKind.NONE
        return ok, ok
    if question.kind == "emergency":
        one = outcome.kind is AnswerKind.EMERGENCY
        three = one or (
            outcome.kind in (AnswerKind.MATCH, AnswerKind.AMBIGUOUS)
            and question.expected in outcome.offered[:3]
        )
        return one, three
    one = outcome.kind is AnswerKind.MATCH and outcome.offered[:1] == (question.expected,)
    three = outcome.kind in (AnswerKind.MATCH, AnswerKind.AMBIGUOUS) and (
        question.expected in outcome.offered[:3]
    )
    return one, three


def load_questions(split: str) -> list[Question]:
    rows = [json.loads(line) for line in QUESTIONS.read_text(encoding="utf-8").splitlines()]
    return [
        Question(r["id"], r["language"], r["question"], r["expected"], r["split"], r["kind"])
        for r in rows
        if r["split"] == split
    ]


def outcome_of(answer: Answer) -> Outcome:
    return Outcome(answer.kind, tuple(m.slug for m in answer.matches), answer.language)


class Baseline:
    """The naive approach: the entry whose title (in any language) is closest to the text."""

    def __init__(self, catalog: Catalog) -> None:
        self.titles: list[str] = []
        self.slugs: list[str] = []
        for slug, entry in catalog.entries.items():
            for text in entry.texts.values():
                self.titles.append(text.title)
                self.slugs.append(slug)
        self.emergency = catalog.emergency.slug if catalog.emergency else None

    def answer(self, text: str) -> Outcome:
        found = process.extract(
            text, self.titles, scorer=fuzz.WRatio, processor=utils.default_process, limit=40
        )
        ranked: list[str] = []
        for _, score, index in found:
            if score >= BASELINE_CUTOFF and self.slugs[index] not in ranked:
                ranked.append(self.slugs[index])
        if not ranked:
            return Outcome(AnswerKind.NONE, ())
        if ranked[0] == self.emergency:
            return Outcome(AnswerKind.EMERGENCY, tuple(ranked[:3]))
        return Outcome(AnswerKind.MATCH, tuple(ranked[:3]))


def percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:5.1f}%" if whole else "    –"


def peak_memory_mb(questions: list[Question], content: Path, locales: Path) -> float:
    """Max RSS of ``wegweiser ask --jsonl`` answering the questions, in a child process."""
    env = {
        **os.environ,
        "WEGWEISER_CONTENT_DIR": str(content),
        "WEGWEISER_LOCALES_DIR": str(locales),
    }
    text = "".join(q.text.replace("\n", " ") + "\n" for q in questions)
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    result = subprocess.run(
        [sys.executable, "-m", "bot", "ask", "--jsonl"],
        input=text, capture_output=True, text=True, env=env, cwd=ROOT, timeout=300,
    )  # fmt: skip
    if result.returncode != 0:
        raise SystemExit(f"wegweiser ask --jsonl failed: {result.stderr.strip()}")
    if len(result.stdout.splitlines()) != len(questions):
        raise SystemExit("wegweiser ask --jsonl did not answer every question")
    after = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(before, after) / 1024  # Linux reports kilobytes


def build_times(catalog: Catalog, locales: Path) -> tuple[Answerer, float, float]:
    lexicons = load_lexicons(locales, catalog.languages)
    start = time.perf_counter()
    answerer = Answerer(catalog, lexicons)
    first = time.perf_counter() - start
    rebuilds = []
    for _ in range(REBUILDS):
        settle_memory()  # as the bot does after every load: the next one starts cold
        start = time.perf_counter()
        Answerer(catalog, load_lexicons(locales, catalog.languages))
        rebuilds.append(time.perf_counter() - start)
    settle_memory()
    return answerer, first, statistics.median(rebuilds)


def same_language(found: str | None, labelled: str) -> bool:
    return found is not None and found.split("-")[0] == labelled.split("-")[0]


def run(args: argparse.Namespace) -> int:
    content, locales = Path(args.content), Path(args.locales)
    questions = load_questions(args.split)
    memory = peak_memory_mb(questions, content, locales)  # first: before any other child
    catalog = load_catalog(content)
    answerer, first_build, rebuild = build_times(catalog, locales)
    baseline = Baseline(catalog)

    by_language: dict[str, Tally] = defaultdict(Tally)
    base_by_language: dict[str, Tally] = defaultdict(Tally)
    overall, base_overall, no_hint = Tally(), Tally(), Tally()
    in_scope, base_in_scope = Tally(), Tally()
    latencies: list[float] = []
    languages = {"right": 0, "undecided": 0, "wrong": 0}
    for question in questions:
        start = time.perf_counter()
        answer = answerer.answer(question.text, question.language)
        latencies.append((time.perf_counter() - start) * 1000)
        outcome = outcome_of(answer)
        base = baseline.answer(question.text)
        for tally in (by_language[question.language], overall):
            tally.add(question, outcome)
        for tally in (base_by_language[question.language], base_overall):
            tally.add(question, base)
        if question.kind == "in_scope":
            in_scope.add(question, outcome)
            base_in_scope.add(question, base)
        no_hint.add(question, outcome_of(answerer.answer(question.text, None)))
        if answer.language is None:
            languages["undecided"] += 1
        elif same_language(answer.language, question.language):
            languages["right"] += 1
        else:
            languages["wrong"] += 1

    print(f"Split: {args.split} ({len(questions)} questions, {len(catalog.languages)} languages)")
    translated = {
        lang.code: sum(1 for e in catalog.entries.values() if lang.code in e.texts)
        for lang in catalog.languages
    }
    total = len(catalog.entries)
    missing = [f"{code} ({n}/{total})" for code, n in translated.items() if n < total]
    if missing:
        print("Entries not (fully) translated yet: " + ", ".join(missing))
    print()
    header = (
        f"{'language':<10} {'n':>4} | {'top-1':>6} {'top-3':>6} {'declined':>9} {'notfall':>8}"
        f" | {'baseline: top-1':>15} {'top-3':>6} {'declined':>9} {'notfall':>8}"
    )
    print(header)
    print("-" * len(header))

    def row(name: str, t: Tally, b: Tally) -> str:
        return (
            f"{name:<10} {t.total:>4} | {percent(t.top1, t.total):>6} {percent(t.top3, t.total):>6}"
            f" {percent(t.declined, t.oos):>9} {percent(t.emergency_found, t.emergencies):>8}"
            f" | {percent(b.top1, b.total):>15} {percent(b.top3, b.total):>6}"
            f" {percent(b.declined, b.oos):>9} {percent(b.emergency_found, b.emergencies):>8}"
        )

    for code in [lang.code for lang in catalog.languages if lang.code in by_language]:
        print(row(code, by_language[code], base_by_language[code]))
    print("-" * len(header))
    print(row("overall", overall, base_overall))
    print(row("in-scope", in_scope, base_in_scope))
    print()
    worst = min((t.top1 / t.total for t in by_language.values() if t.total), default=0.0)
    p50 = statistics.median(latencies)
    p99 = sorted(latencies)[min(len(latencies) - 1, int(0.99 * len(latencies)))]
    figures = {
        "top1": overall.top1 / overall.total,
        "top3": overall.top3 / overall.total,
        "top1_per_language": worst,
        "declined": overall.declined / overall.oos if overall.oos else 1.0,
        "notfall": overall.emergency_found / overall.emergencies if overall.emergencies else 1.0,
        "p50_ms": p50,
        "p99_ms": p99,
        "build_s": first_build,
        "memory_mb": memory,
    }
    lower_is_better = {"p50_ms", "p99_ms", "build_s", "memory_mb"}
    print(
        f"did-you-mean answers: {overall.ambiguous}; false emergency alarms: {overall.false_alarms}"
    )
    print(
        f"language recognised: {percent(languages['right'], len(questions))} right, "
        f"{percent(languages['undecided'], len(questions))} undecided, "
        f"{percent(languages['wrong'], len(questions))} other"
    )
    print(
        f"without a language hint: top-1 {percent(no_hint.top1, no_hint.total)}, "
        f"top-3 {percent(no_hint.top3, no_hint.total)}"
    )
    print(f"latency per question: p50 {p50:.3f} ms, p99 {p99:.3f} ms, max {max(latencies):.3f} ms")
    print(f"index build, all languages: {first_build:.3f} s first in the process "
          f"(with the language model), {rebuild:.3f} s on a reload")  # fmt: skip
    print(f"peak memory of 'wegweiser ask --jsonl': {memory:.1f} MB")
    print()
    for name, target in TARGETS.items():
        value = figures[name]
        ok = value <= target if name in lower_is_better else value >= target
        shown = f"{value:.3f}" if name in lower_is_better else f"{100 * value:.1f}%"
        goal = f"≤ {target}" if name in lower_is_better else f"≥ {100 * target:.0f}%"
        print(f"  {'ok  ' if ok else 'MISS'} {name:<18} {shown:>9}  (target {goal})")
    if args.failures:
        print()
        for question in questions:
            if question.id in overall.missed:
                got = answerer.answer(question.text, question.language)
                offered = ", ".join(f"{m.slug} {m.score:.2f}" for m in got.matches[:3])
                print(f"{question.id:<14} want {question.expected or question.kind:<24} "
                      f"got {got.kind.value:<9} [{offered}] {question.text}")  # fmt: skip
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--split", choices=("heldout", "tune"), default="heldout")
    parser.add_argument("--failures", action="store_true", help="list missed questions (tune only)")
    parser.add_argument("--content", default=str(ROOT / "content"))
    parser.add_argument("--locales", default=str(ROOT / "locales"))
    args = parser.parse_args()
    if args.failures and args.split != "tune":
        parser.error("--failures lists questions, so it is only allowed with --split tune")
    return run(args)


if __name__ == "__main__":
    raise SystemExit(main())
