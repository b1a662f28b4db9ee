"""Benchmark the understanding: lexical alone, semantic alone, both, and a naive baseline.

    python bench/matcher.py [--dev ../shared/eval/dev.jsonl]
                            [--styled ../shared/eval/dev-styled.jsonl] [--scales 10,100] [--write]

Measures, side by side, in one run on the same machine:
- accuracy on both dev sets (plain questions, and everyday styles), per language and style,
  and on a noisy copy of the plain set (typos, no diacritics, keyword-only, office words);
- per-message latency p50/p99 of each method (warm, one message at a time);
- lexical latency with a synthetic knowledge base 10x and 100x the size;
- `ohjaamo ask` cold start with the embedding cache present and with an empty one, and
  resident memory;
- what encoding alone costs per token read, and so the least time a message of a given
  length can take on one thread.

With --write the figures replace the matcher section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from rapidfuzz import fuzz, process

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.report import write_section  # noqa: E402
from bot import settings  # noqa: E402
from bot.core.assistant import Assistant  # noqa: E402
from bot.core.content import KnowledgeBase  # noqa: E402
from bot.core.encoding import EmbeddingCache, load_encoder  # noqa: E402
from bot.core.evaluation import Case, Report, evaluate, read_cases  # noqa: E402
from bot.core.loading import load_knowledge_base  # noqa: E402
from bot.core.normalising import fold  # noqa: E402
from bot.core.replies import Message, Reply, ReplyKind  # noqa: E402
from bot.core.semantic import SemanticLayer, sentences_read_alone  # noqa: E402

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


@dataclass(frozen=True)
class EncodingCost:
    """Encoding time against tokens read, fitted on the timed messages (warm, one thread)."""

    fixed_ms: float
    per_token_ms: float
    tokens_p50: float
    tokens_p99: float
    encode_p50: float
    encode_p99: float
    within_50ms: int
    """The most tokens a message (whole and sentences together) can have and still be
    encoded in 50 ms, by the fit."""
    share_over: float
    """Share of the timed messages with more tokens than that."""


def encoding_cost(encoder: object, cases: list[Case]) -> EncodingCost:
    """Time the encoding of each message as the assistant encodes it (the whole message and,
    in a longer one, each sentence), and fit time = fixed + per token x tokens."""
    tokens, times = [], []
    for case in cases:
        segments = [case.text, *sentences_read_alone(case.text)]
        tokens.append(sum(encoder.token_count(s) for s in segments))  # type: ignore[attr-defined]
        start = time.perf_counter()
        encoder.encode(segments)  # type: ignore[attr-defined]
        times.append((time.perf_counter() - start) * 1000)
    per_token, fixed = (float(x) for x in np.polyfit(tokens, times, 1))
    limit = int((50 - fixed) / per_token)
    return EncodingCost(fixed, per_token, percentile(tokens, 0.5), percentile(tokens, 0.99),
                        percentile(times, 0.5), percentile(times, 0.99), limit,
                        sum(t > limit for t in tokens) / len(tokens))


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
        packs[lang] = dataclasses.replace(pack, entries=entries)
    return KnowledgeBase(packs, kb.categories, kb.root, tuple(packs["fi"].entries))


def _new_words(question: str, rng: random.Random) -> str:
    words = question.split()
    syllables = ["ka", "lo", "mi", "su", "re", "ta", "vo", "ne", "pi", "du"]
    for _ in range(2):
        invented = "".join(rng.choice(syllables) for _ in range(rng.randint(2, 4)))
        words.insert(rng.randrange(len(words) + 1), invented)
    return " ".join(words)


def cold_start(runs: int = 5, cache: Path | None = None) -> tuple[float, float]:
    """Return (median seconds, max resident MB) of `ohjaamo ask` as a fresh process."""
    # The child reports its own peak (VmHWM of its address space): ru_maxrss would carry
    # over the parent's pages from the fork across exec.
    script = ("import re, sys; from bot.cli import main; code = main(['ask', '--lang', 'fi', "
              "'verokortti']); status = open('/proc/self/status').read(); print(re.search("
              "r'VmHWM:\\s+(\\d+)', status).group(1), file=sys.stderr); sys.exit(code)")
    env = dict(os.environ)
    if cache is not None:
        env["OHJAAMO_CACHE"] = str(cache)
    times, memory = [], []
    for _ in range(runs):
        start = time.perf_counter()
        done = subprocess.run([sys.executable, "-c", script], cwd=REPO, check=True,
                              capture_output=True, text=True, env=env)
        times.append(time.perf_counter() - start)
        memory.append(int(done.stderr.strip().splitlines()[-1]) / 1024)
    return statistics.median(times), max(memory)


@dataclass
class Row:
    """One method's figures."""

    name: str
    plain: Report
    styled: Report | None
    noisy: Report
    p50: float
    p99: float


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dev", type=Path, default=REPO.parent / "shared/eval/dev.jsonl")
    parser.add_argument("--styled", type=Path,
                        default=REPO.parent / "shared/eval/dev-styled.jsonl")
    parser.add_argument("--scales", default="10,100")
    parser.add_argument("--write", action="store_true", help="update docs/benchmarks.md")
    args = parser.parse_args()

    kb = load_knowledge_base(settings.content_root())
    encoder = load_encoder()
    if encoder is None:
        raise SystemExit("the encoder cannot load here; nothing semantic to measure")
    semantic = SemanticLayer.train(kb, encoder, EmbeddingCache(settings.cache_dir()))
    combined = Assistant(kb, semantic)
    methods = (
        ("lexical matcher alone", Assistant(kb)),
        ("semantic layer alone", Assistant(kb, semantic, dataclasses.replace(
            combined.understanding.tuning, semantic_weight=1.0))),
        ("lexical + semantic (ohjaamo)", combined),
        ("naive WRatio baseline", NaiveBaseline(kb)),
    )
    cases = list(read_cases(args.dev))
    styled = list(read_cases(args.styled)) if args.styled.exists() else []
    noisy_cases = noisy(cases, kb)
    rows = []
    for name, subject in methods:
        timed = (cases + styled)[::2] if "baseline" not in name else cases[::6]
        times = latencies(subject, timed)
        rows.append(Row(name, evaluate(subject, cases),
                        evaluate(subject, styled) if styled else None,
                        evaluate(subject, noisy_cases),
                        percentile(times, 0.5), percentile(times, 0.99)))

    scale_rows = []
    sample = cases[::3]
    for factor in [int(x) for x in args.scales.split(",") if x]:
        start = time.perf_counter()
        big = Assistant(scaled(kb, factor))
        built = time.perf_counter() - start
        times = latencies(big, sample)
        scale_rows.append((factor, sum(len(p.entries) for p in big.kb.packs.values()), built,
                           percentile(times, 0.5), percentile(times, 0.99)))
        del big
    cost = encoding_cost(encoder, (cases + styled)[::2])
    warm = cold_start()
    with tempfile.TemporaryDirectory() as empty:
        first = cold_start(runs=1, cache=Path(empty))
    text = render(rows, scale_rows, warm, first, len(cases), len(styled), cost)
    print(text)
    if args.write:
        write_section(text, MARK_START, MARK_END, "Matcher")


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{x:.1%}"


def render(rows: list[Row], scale_rows: list[tuple], warm: tuple[float, float],  # type: ignore[type-arg]
           first: tuple[float, float], count: int, styled_count: int,
           cost: EncodingCost) -> str:
    lines = [MARK_START, "", "Command: `python bench/matcher.py --write` "
             f"(Python {platform.python_version()}, {platform.machine()}, "
             f"{time.strftime('%Y-%m-%d')}).", "",
             f"Accuracy on `shared/eval/dev.jsonl` ({count} plain questions), on "
             f"`shared/eval/dev-styled.jsonl` ({styled_count} messages in everyday styles) and "
             "on a noisy copy of the plain set, same run. *overall* counts the right topic "
             "answered or offered first, rejected out-of-scope, crisis and intents; *direct* "
             "is a right topic answered without asking back:", "",
             "| method | plain overall | plain direct | styled overall | styled direct "
             "| styled out-of-scope | styled crisis | false crisis on topics | noisy overall "
             "| p50 ms | p99 ms |", "|---|---|---|---|---|---|---|---|---|---|---|"]
    for row in rows:
        s = row.styled.overall if row.styled else None
        false = (f"{s.false_crisis_on_topics}/{s.topic.total}" if s else "-")
        lines.append(
            f"| {row.name} | {_pct(row.plain.overall.overall.rate)} "
            f"| {_pct(row.plain.overall.direct.rate)} "
            f"| {_pct(s.overall.rate) if s else '-'} | {_pct(s.direct.rate) if s else '-'} "
            f"| {_pct(s.out_of_scope.rate) if s else '-'} | {_pct(s.crisis.rate) if s else '-'} "
            f"| {false} | {_pct(row.noisy.overall.overall.rate)} "
            f"| {row.p50:.1f} | {row.p99:.1f} |")
    for title, pick in (("Direct right answers per language, plain set",
                         lambda r: r.plain.languages),
                        ("Direct right answers per language, styled set",
                         lambda r: r.styled.languages if r.styled else {}),
                        ("Overall per style, styled set",
                         lambda r: r.styled.styles if r.styled else {})):
        groups = sorted(pick(rows[0]))
        if not groups:
            continue
        measure = "overall" if title.startswith("Overall") else "direct"
        lines += ["", title + ":", "", "| method | " + " | ".join(groups) + " |",
                  "|---|" + "---|" * len(groups)]
        for row in rows:
            data = pick(row)
            lines.append(f"| {row.name} | " + " | ".join(
                _pct(getattr(data[g], measure).rate) if g in data else "-" for g in groups)
                + " |")
    lines += ["", "Lexical matching latency as the knowledge base grows (synthetic copies with "
              "new words; the semantic layer's cost per message does not grow with it: one "
              "encoding and one small matrix product):", "",
              "| size | entries (all languages) | index build s | p50 ms | p99 ms |",
              "|---|---|---|---|---|"]
    for factor, entries, built, p50, p99 in scale_rows:
        lines.append(f"| {factor}x | {entries} | {built:.1f} | {p50:.2f} | {p99:.2f} |")
    lines += ["", f"`ohjaamo ask` cold start with the embedding cache present (whole process, "
              f"median of 5): {warm[0]:.2f} s, resident memory at most {warm[1]:.0f} MB. "
              f"First start with an empty cache (encodes and trains on every example): "
              f"{first[0]:.1f} s, {first[1]:.0f} MB.", "",
              "What encoding alone costs (the same timed messages, each encoded as the "
              "assistant does: whole, and sentence by sentence when it has several; one "
              f"thread): about {cost.fixed_ms:.1f} ms + {cost.per_token_ms:.2f} ms per token "
              f"read. Tokens per message: median {cost.tokens_p50:.0f}, p99 "
              f"{cost.tokens_p99:.0f}; encoding time: median {cost.encode_p50:.1f} ms, p99 "
              f"{cost.encode_p99:.1f} ms. By this fit only a message of at most "
              f"{cost.within_50ms} tokens can be encoded within 50 ms; "
              f"{cost.share_over:.1%} of the timed messages are longer"
              + (", so a p99 reply time of 50 ms is out of this encoder's reach on one "
                 "thread whatever the rest of the pipeline does." if cost.share_over > 0.01
                 else "."), "", MARK_END]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
