"""Measure the assistant against questions with known outcomes (e.g. shared/eval/dev.jsonl).

Each line is `{"text", "lang", "expect"}` where `expect` is a topic id, a list of
acceptable ids, "crisis", "handoff", "greeting", or null (out of scope). A line may
carry a `style` (story, colloquial, typo ...): the report then shows each style too.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.core.assistant import Assistant
from bot.core.replies import Message, Reply, ReplyKind

OUTCOME_KINDS = {"crisis": ReplyKind.CRISIS, "handoff": ReplyKind.HANDOFF,
                 "greeting": ReplyKind.GREETING}


class EvalFileError(ValueError):
    """A line of an evaluation file cannot be read."""


@dataclass(frozen=True)
class Case:
    """One question with its expected outcome."""

    text: str
    lang: str
    expect: tuple[str, ...] | str | None
    line: int
    style: str | None = None


@dataclass
class Tally:
    """Right and total counts for one measure."""

    right: int = 0
    total: int = 0

    def add(self, ok: bool) -> None:
        """Count one case."""
        self.right += ok
        self.total += 1

    @property
    def rate(self) -> float | None:
        """Share right, or None when there were no cases."""
        return self.right / self.total if self.total else None


@dataclass
class LanguageReport:
    """All measures for one language (or overall)."""

    topic: Tally = field(default_factory=Tally)
    direct: Tally = field(default_factory=Tally)
    out_of_scope: Tally = field(default_factory=Tally)
    crisis: Tally = field(default_factory=Tally)
    handoff: Tally = field(default_factory=Tally)
    greeting: Tally = field(default_factory=Tally)
    overall: Tally = field(default_factory=Tally)
    false_crisis: int = 0
    false_crisis_on_topics: int = 0

    def as_dict(self) -> dict[str, Any]:
        """Return the rates and counts as plain data."""
        names = ("topic", "direct", "out_of_scope", "crisis", "handoff", "greeting", "overall")
        result: dict[str, Any] = {
            name: {"rate": getattr(self, name).rate, "right": getattr(self, name).right,
                   "total": getattr(self, name).total} for name in names}
        result["false_crisis"] = self.false_crisis
        result["false_crisis_on_topics"] = self.false_crisis_on_topics
        return result


@dataclass
class Report:
    """The result of an evaluation run."""

    languages: dict[str, LanguageReport] = field(default_factory=lambda: defaultdict(
        LanguageReport))
    overall: LanguageReport = field(default_factory=LanguageReport)
    styles: dict[str, LanguageReport] = field(default_factory=lambda: defaultdict(
        LanguageReport))
    kinds: Counter[str] = field(default_factory=Counter)
    """How often each kind of reply was given (answer, candidates, fallback ...)."""
    misses: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """Return the whole report as plain data."""
        return {"languages": {k: v.as_dict() for k, v in sorted(self.languages.items())},
                "styles": {k: v.as_dict() for k, v in sorted(self.styles.items())},
                "overall": self.overall.as_dict(), "reply_kinds": dict(self.kinds),
                "misses": self.misses}

    def below(self, floor: float, crisis_misses_allowed: int = 0) -> list[str]:
        """Return why the run fails `floor`: languages under it, and missed crises (beyond
        `crisis_misses_allowed` over all languages, a known gap being worked on)."""
        reasons = []
        for lang, report in sorted(self.languages.items()):
            rate = report.overall.rate
            if rate is not None and rate < floor:
                reasons.append(f"{lang}: accuracy {rate:.1%} is below {floor:.0%}")
        missed = self.overall.crisis.total - self.overall.crisis.right
        if missed > crisis_misses_allowed:
            by_lang = ", ".join(f"{lang} {r.crisis.total - r.crisis.right}"
                                for lang, r in sorted(self.languages.items())
                                if r.crisis.right < r.crisis.total)
            reasons.append(f"{missed} crisis message(s) missed ({by_lang}); crisis recall must "
                           f"be 100%" + (f" (known gap: at most {crisis_misses_allowed})"
                                         if crisis_misses_allowed else ""))
        return reasons


def read_cases(path: Path) -> Iterator[Case]:
    """Yield the cases of a JSONL file, naming the line of any malformed one."""
    with path.open(encoding="utf-8") as lines:
        for number, raw in enumerate(lines, start=1):
            if not raw.strip():
                continue
            try:
                data = json.loads(raw)
                text, lang = data["text"], data["lang"]
            except (json.JSONDecodeError, KeyError, TypeError) as exc:
                raise EvalFileError(f"{path}:{number}: not a case line ({exc}); each line needs "
                                    "JSON with 'text' and 'lang'") from exc
            expect = data.get("expect")
            if isinstance(expect, list):
                expect = tuple(str(x) for x in expect)
            style = data.get("style")
            yield Case(str(text), str(lang), expect, number,
                       str(style) if style is not None else None)


def evaluate(assistant: Assistant, cases: Iterable[Case]) -> Report:
    """Answer every case and tally the outcomes per language and overall."""
    report = Report()
    for case in cases:
        reply = assistant.reply_to(Message(case.text, case.lang))
        groups = [report.languages[case.lang], report.overall]
        if case.style:
            groups.append(report.styles[case.style])
        ok = _score(case, reply, tuple(groups))
        report.kinds[str(reply.kind)] += 1
        if not ok:
            report.misses.append({"line": case.line, "lang": case.lang, "style": case.style,
                                  "text": case.text,
                                  "expect": case.expect, "kind": str(reply.kind),
                                  "topic": reply.topic, "score": round(reply.score, 3)})
    return report


def _score(case: Case, reply: Reply, reports: tuple[LanguageReport, ...]) -> bool:
    expect = case.expect
    if expect is None:
        ok = reply.kind in (ReplyKind.FALLBACK,)
        measure = "out_of_scope"
    elif isinstance(expect, str) and expect in OUTCOME_KINDS:
        ok = reply.kind == OUTCOME_KINDS[expect]
        measure = expect
    else:
        accepted = (expect,) if isinstance(expect, str) else expect
        ok = reply.kind in (ReplyKind.ANSWER, ReplyKind.CANDIDATES) and reply.topic in accepted
        measure = "topic"
        for report in reports:
            report.direct.add(ok and reply.kind == ReplyKind.ANSWER)
    for report in reports:
        getattr(report, measure).add(ok)
        report.overall.add(ok)
        if reply.kind == ReplyKind.CRISIS and expect != "crisis":
            report.false_crisis += 1
            report.false_crisis_on_topics += measure == "topic"
    return ok


def format_report(report: Report, show_misses: int = 50) -> str:
    """Render the report as a plain-text table with the misses below it."""
    header = (f"{'lang':<8}{'topic':>8}{'direct':>8}{'out-of-scope':>14}{'crisis':>8}"
              f"{'handoff':>9}{'greeting':>10}{'overall':>9}{'false crisis':>14}")
    rows = [header, "-" * len(header)]
    items = [*sorted(report.languages.items()), ("all", report.overall)]
    for lang, r in items:
        rows.append(f"{lang:<8}{_pct(r.topic):>8}{_pct(r.direct):>8}{_pct(r.out_of_scope):>14}"
                    f"{_pct(r.crisis):>8}{_pct(r.handoff):>9}{_pct(r.greeting):>10}"
                    f"{_pct(r.overall):>9}{r.false_crisis:>14}")
    if report.styles:
        rows.append("")
        rows.append(f"{'style':<14}{'overall':>9}{'direct':>9}{'cases':>7}")
        for style, r in sorted(report.styles.items()):
            rows.append(f"{style:<14}{_pct(r.overall):>9}{_pct(r.direct):>9}"
                        f"{r.overall.total:>7}")
    total = sum(report.kinds.values())
    if total:
        shares = ", ".join(f"{kind} {count / total:.1%}"
                           for kind, count in report.kinds.most_common())
        rows.append(f"\nReplies given: {shares}")
        topical = report.overall.topic.total
        false_on_topics = report.overall.false_crisis_on_topics
        if topical:
            rows.append(f"False crisis on topic questions: {false_on_topics}/{topical} "
                        f"({false_on_topics / topical:.1%})")
    rows.append("")
    rows.append("topic = right topic first (answer or first choice); direct = answered without "
                "asking back; overall = every measure together")
    if report.misses:
        rows.append(f"\nMisses ({len(report.misses)}):")
        for miss in report.misses[:show_misses]:
            rows.append(f"  line {miss['line']} [{miss['lang']}] expected {miss['expect']!r}, "
                        f"got {miss['kind']} {miss['topic'] or ''} ({miss['score']}): "
                        f"{miss['text']}")
        if len(report.misses) > show_misses:
            rows.append(f"  … and {len(report.misses) - show_misses} more (use --json)")
    return "\n".join(rows)


def _pct(tally: Tally) -> str:
    return "-" if tally.rate is None else f"{tally.rate:.1%}"
