"""Benchmark the matcher against a naive baseline, in one run, on the same machine.

    python bench/matcher.py [--dev ../shared/eval/dev.jsonl] [--scales 10,100] [--write]

Measures, side by side:
- accuracy on the dev set, and on a noisy copy of it (typos, no diacritics, keyword-only,
  Finnish office words) made here deterministically;
- per-query latency p50/p99 of the assistant and of the baseline
  (rapidfuzz `process.extractOne` with `WRatio` over every question of every entry);
- latency with a synthetic knowledge base 10x and 100x the size;
- `ohjaamo ask` cold start (wall time of the whole process) and resident memory.

With --write the figures replace the matcher section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import dataclasses
import platform
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

from rapidfuzz import fuzz, process

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.report import write_section  # noqa: E402
from bot import settings  # noqa: E402
from bot.core.assistant import Assistant  # noqa: E402
from bot.core.content import KnowledgeBase, LanguagePack  # noqa: E402
from bot.core.evaluation import Case, Report, evaluate, read_cases  # noqa: E402
from bot.core.loading import load_knowledge_base  # noqa: E402
from bot.core.normalising import fold  # noqa: E402
from bot.core.replies import Message, Reply, ReplyKind  # noqa: E402

MARK_START = "<!-- matcher-bench:start -->"
MARK_END = "<!-- matcher-bench:end -->"
INTENT_KINDS = {"@crisis": ReplyKind.CRISIS, "@handoff": ReplyKind.HANDOFF,
                "@greeting": ReplyKind.GREETING, "@thanks": ReplyKind.GREETING}


class NaiveBaseline:
    """rapidfuzz extractOne(WRatio) over every question and intent example; no other logic."""

    CUTOFF = 60.0  # below this WRatio the baseline says it does not know

    def __init__(self, kb: KnowledgeBase) -> None:
        self.choices: list[str] = []
        self.owners: list[str] = []
        for pack in kb.packs.values():
            for entry in pack.entries.values():
                for question in entry.questions:
                    self.choices.append(question)
                    self.owners.append(entry.id)
            for name, examples in pack.intents.items():
                self.choices.extend(examples)
                self.owners.extend(["@" + name] * len(examples))

    def reply_to(self, message: Message) -> Reply:
        """Return the owner of the single most similar question."""
        best = process.extractOne(message.text, self.choices, scorer=fuzz.WRatio,
                                  processor=fold)
        if best is None or best[1] < self.CUTOFF:
            return Reply(ReplyKind.FALLBACK, message.lang, "")
        owner = self.owners[best[2]]
        if owner in INTENT_KINDS:
            return Reply(INTENT_KINDS[owner], message.lang, "", topic=owner[1:])
        if owner == "@out_of_scope":
            return Reply(ReplyKind.FALLBACK, message.lang, "")
        return Reply(ReplyKind.ANSWER, message.lang, "", topic=owner, score=best[1] / 100)


def noisy(cases: list[Case], kb: KnowledgeBase, seed: int = 7) -> list[Case]:
    """Return the cases as people also type them: typos, no diacritics, keywords only."""
    rng = random.Random(seed)
    result = []
    for case in cases:
        text = case.text
        style = rng.choice(["typos", "plain-letters", "keywords", "office-word"])
        if style == "typos":
            text = _typos(text, rng, count=2)
        elif style == "plain-letters":
            text = fold(text)
        elif style == "keywords" and isinstance(case.expect, str) and kb.has_topic(case.expect):
            words = sorted(fold(text).split(), key=len, reverse=True)[:2]
            text = " ".join(words)
        elif style == "office-word" and isinstance(case.expect, str) and kb.has_topic(
                case.expect):
            keywords = kb.entry(case.expect, "fi").keywords
            if keywords:
                text = f"{fold(case.text)} {rng.choice(keywords)}"
        result.append(dataclasses.replace(case, text=text))
    return result


def _typos(text: str, rng: random.Random, count: int) -> str:
    chars = list(text)
    for _ in range(count):
        letters = [i for i, c in enumerate(chars[:-1]) if c.isalpha() and chars[i + 1].isalpha()]
        if not letters:
            break
        i = rng.choice(letters)
        operation = rng.choice(["swap", "drop", "double"])
        if operation == "swap":
            chars[i], chars[i + 1] = chars[i + 1], chars[i]
        elif operation == "drop":
            del chars[i]
        else:
            chars.insert(i, chars[i])
    return "".join(chars)


def latencies(answer: object, cases: list[Case], repeat: int = 1) -> list[float]:
    """Return per-query wall times in milliseconds."""
    times = []
    for _ in range(repeat):
        for case in cases:
            start = time.perf_counter()
            answer.reply_to(Message(case.text, case.lang))  # type: ignore[attr-defined]
            times.append((time.perf_counter() - start) * 1000)
    return times


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def scaled(kb: KnowledgeBase, factor: int, seed: int = 3) -> KnowledgeBase:
    """Return a synthetic knowledge base `factor` times larger, with new words in each copy."""
    rng = random.Random(seed)
    packs = {}
    for lang, pack in kb.packs.items():
        entries = dict(pack.entries)
        for copy in range(1, factor):
            for entry in pack.entries.values():
                questions = tuple(_new_words(q, rng) for q in entry.questions)
                new_id = f"{entry.id}-x{copy}"
                entries[new_id] = dataclasses.replace(entry, id=new_id, questions=questions,
                                                      related=())
        packs[lang] = LanguagePack(lang, pack.language_name, entries, pack.category_names,
                                   pack.strings, pack.intents)
    return KnowledgeBase(packs, kb.categories, kb.root, tuple(packs["fi"].entries))


def _new_words(question: str, rng: random.Random) -> str:
    words = question.split()
    syllables = ["ka", "lo", "mi", "su", "re", "ta", "vo", "ne", "pi", "du"]
    for _ in range(2):
        invented = "".join(rng.choice(syllables) for _ in range(rng.randint(2, 4)))
        words.insert(rng.randrange(len(words) + 1), invented)
    return " ".join(words)


def cold_start(runs: int = 5) -> tuple[float, float]:
    """Return (median seconds, max resident MB) of `ohjaamo ask` as a fresh process."""
    # The child reports its own peak (VmHWM of its address space): ru_maxrss would carry
    # over the parent's pages from the fork across exec.
    script = ("import re, sys; from bot.cli import main; code = main(['ask', '--lang', 'fi', "
              "'verokortti']); status = open('/proc/self/status').read(); print(re.search("
              "r'VmHWM:\\s+(\\d+)', status).group(1), file=sys.stderr); sys.exit(code)")
    times, memory = [], []
    for _ in range(runs):
        start = time.perf_counter()
        done = subprocess.run([sys.executable, "-c", script], cwd=REPO, check=True,
                              capture_output=True, text=True)
        times.append(time.perf_counter() - start)
        memory.append(int(done.stderr.strip().splitlines()[-1]) / 1024)
    return statistics.median(times), max(memory)


def summary(report: Report) -> dict[str, float | None]:
    overall = report.overall
    return {"topic": overall.topic.rate, "out_of_scope": overall.out_of_scope.rate,
            "crisis": overall.crisis.rate, "overall": overall.overall.rate}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dev", type=Path, default=REPO.parent / "shared/eval/dev.jsonl")
    parser.add_argument("--scales", default="10,100")
    parser.add_argument("--write", action="store_true", help="update docs/benchmarks.md")
    args = parser.parse_args()

    kb = load_knowledge_base(settings.content_root())
    assistant, baseline = Assistant(kb), NaiveBaseline(kb)
    cases = list(read_cases(args.dev))
    noisy_cases = noisy(cases, kb)
    rows = []
    for name, subject in (("ohjaamo matcher", assistant), ("naive WRatio baseline", baseline)):
        clean, rough = evaluate(subject, cases), evaluate(subject, noisy_cases)
        times = latencies(subject, cases, repeat=3)
        per_lang = {lang: r.overall.rate for lang, r in sorted(clean.languages.items())}
        rows.append((name, summary(clean), summary(rough), percentile(times, 0.5),
                     percentile(times, 0.99), per_lang))

    scale_rows = []
    sample = cases[::3]
    for factor in [int(x) for x in args.scales.split(",") if x]:
        start = time.perf_counter()
        big = Assistant(scaled(kb, factor))
        built = time.perf_counter() - start
        times = latencies(big, sample)
        base_times = latencies(NaiveBaseline(big.kb), sample[:40])
        scale_rows.append((factor, sum(len(p.entries) for p in big.kb.packs.values()), built,
                           percentile(times, 0.5), percentile(times, 0.99),
                           percentile(base_times, 0.5)))
        del big
    start_seconds, start_memory = cold_start()
    text = render(rows, scale_rows, start_seconds, start_memory, len(cases))
    print(text)
    if args.write:
        write_section(text, MARK_START, MARK_END, "Matcher")


def render(rows: list[tuple], scale_rows: list[tuple], start_seconds: float,  # type: ignore[type-arg]
           start_memory: float, count: int) -> str:
    def pct(x: float | None) -> str:
        return "-" if x is None else f"{x:.1%}"

    lines = [MARK_START, "", "Command: `python bench/matcher.py --write` "
             f"(Python {platform.python_version()}, {platform.machine()}, "
             f"{time.strftime('%Y-%m-%d')}).", "",
             f"Accuracy on `shared/eval/dev.jsonl` ({count} questions) and on a noisy copy "
             "(typos, no diacritics, keyword-only, office words added), same run:", "",
             "| matcher | topic | out-of-scope | crisis | overall | noisy topic | noisy overall "
             "| p50 ms | p99 ms |", "|---|---|---|---|---|---|---|---|---|"]
    for name, clean, rough, p50, p99, _ in rows:
        lines.append(f"| {name} | {pct(clean['topic'])} | {pct(clean['out_of_scope'])} | "
                     f"{pct(clean['crisis'])} | {pct(clean['overall'])} | {pct(rough['topic'])} "
                     f"| {pct(rough['overall'])} | {p50:.2f} | {p99:.2f} |")
    lines += ["", "Overall accuracy per language (dev set):", "",
              "| matcher | " + " | ".join(rows[0][5]) + " |",
              "|---|" + "---|" * len(rows[0][5])]
    for name, *_, per_lang in rows:
        lines.append(f"| {name} | " + " | ".join(pct(v) for v in per_lang.values()) + " |")
    lines += ["", "Latency as the knowledge base grows (synthetic copies with new words):", "",
              "| size | entries (all languages) | index build s | p50 ms | p99 ms "
              "| baseline p50 ms |", "|---|---|---|---|---|---|",
              ]
    for factor, entries, built, p50, p99, base in scale_rows:
        lines.append(f"| {factor}x | {entries} | {built:.1f} | {p50:.2f} | {p99:.2f} | "
                     f"{base:.1f} |")
    lines += ["", f"`ohjaamo ask` cold start (whole process, median of 5): {start_seconds:.2f} s; "
              f"resident memory at most {start_memory:.0f} MB.", "", MARK_END]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
