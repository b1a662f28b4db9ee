"""The chart a coordinator pastes into a funder's report: messages per week by language, and
how the typed messages were answered. matplotlib is imported only when a chart is drawn."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

from bot.core.content import LanguagePack
from bot.reports.figures import QUALITY, Figures

LANGUAGE_COLOURS = {"fi": "#1f5fa8", "en": "#7aa6d6", "ar": "#2e8b57", "so": "#e0a030",
                    "fa": "#b04a4a", "ru": "#7b5ea7"}
QUALITY_COLOURS = ("#2e8b57", "#e0a030", "#b04a4a", "#9a9a9a")


@dataclass(frozen=True)
class ChartLabels:
    """The words on the chart, in the reader's language (ui.yaml keys chart_* and quality_*)."""

    messages: str = "Messages per week by language"
    quality: str = "How typed messages were answered"
    answered: str = "answered directly"
    candidates: str = "did you mean"
    fallback: str = "I don't know"
    other: str = "other (greetings, crisis, coach …)"


def labels_for(pack: LanguagePack | None) -> ChartLabels:
    """Return the chart's words from a language's ui.yaml; English for Arabic script, which
    matplotlib cannot join into words, and when no content is at hand."""
    if pack is None or pack.lang in ("ar", "fa"):
        return ChartLabels()
    return ChartLabels(*(pack.text(key) for key in (
        "chart_messages", "chart_quality", "quality_answered", "quality_candidates",
        "quality_fallback", "quality_other")))


def chart_png(figures: Figures, labels: ChartLabels = ChartLabels()) -> bytes:
    """Draw the two charts side by side and return them as PNG bytes."""
    # The object API with the Agg canvas: no pyplot state, safe in a worker thread.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    figure = Figure(figsize=(11, 4.2), dpi=110, layout="constrained")
    FigureCanvasAgg(figure)
    weekly_axes, quality_axes = figure.subplots(1, 2, width_ratios=(3, 2))

    weeks = list(figures.weekly)
    languages = [lang for lang in LANGUAGE_COLOURS if any(
        counts.get(lang) for counts in figures.weekly.values())]
    bottoms = [0] * len(weeks)
    for lang in languages:
        heights = [figures.weekly[w].get(lang, 0) for w in weeks]
        weekly_axes.bar(range(len(weeks)), heights, bottom=bottoms, label=lang,
                        color=LANGUAGE_COLOURS[lang])
        bottoms = [b + h for b, h in zip(bottoms, heights, strict=True)]
    weekly_axes.set_xticks(range(len(weeks)), [f"{w.day}.{w.month}." for w in weeks])
    weekly_axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    weekly_axes.set_ylim(0, max(max(bottoms, default=0), 1) * 1.25)  # room for the legend
    weekly_axes.set_title(f"{labels.messages} · {figures.period.label}")
    if languages:
        weekly_axes.legend(ncols=min(len(languages), 6), fontsize="small")

    counts = [figures.replies.get(kind, 0) for kind in QUALITY]
    counts.append(figures.total_messages - sum(counts))
    names = [labels.answered, labels.candidates, labels.fallback, labels.other]
    bars = quality_axes.barh(range(4), counts, color=QUALITY_COLOURS)
    quality_axes.set_yticks(range(4), names)
    quality_axes.invert_yaxis()
    total = figures.total_messages or 1
    quality_axes.bar_label(bars, [f"{n} ({n / total:.0%})" for n in counts], padding=3)
    quality_axes.set_xlim(0, max(max(counts), 1) * 1.35)
    quality_axes.set_title(labels.quality)

    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def write_chart(figures: Figures, path: Path, labels: ChartLabels = ChartLabels()) -> None:
    """Write the chart as a PNG file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(chart_png(figures, labels))
