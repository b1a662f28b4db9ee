"""What a sign-up may ask, and the fixed choices of each question (ids; labels are UI strings)."""

from __future__ import annotations

from typing import Final

CHOICES: Final[dict[str, tuple[str, ...]]] = {
    "field": ("health", "social", "education", "tech", "business", "trades", "hospitality",
              "arts", "other"),
    "education": ("basic", "vocational", "higher"),
    "interests": ("sport", "nature", "culture", "cooking", "crafts", "music", "digital"),
    "availability": ("weekdays", "evenings", "weekends"),
    "goals": ("work", "studies", "language", "social", "hobbies"),
    "themes": ("planning", "resources", "priorities", "communication", "involvement"),
}
"""Questions answered by taps from a fixed list; the label of `goals: work` is `mt_goals_work`."""
MULTIPLE: Final = frozenset({"interests", "availability", "goals", "themes", "languages"})
"""Questions where a person may tap several choices."""
PROGRAMME_CHOICES: Final = ("languages", "municipality")
"""Questions whose choices the programme lists (languages by code, municipalities by name)."""
TYPED: Final = ("organisation", "hopes")
"""Questions answered in a few typed words."""
QUESTIONS: Final = (*CHOICES, *PROGRAMME_CHOICES, *TYPED)
CRITERIA: Final = ("field", "education", "interests", "languages", "municipality",
                   "availability", "goals", "themes")
"""Matching criteria: what the two profiles share. `organisation` only ever separates."""
HOURS: Final = (1, 2, 4, 6, 8)
"""Hours a month a check-in offers as taps (8 = eight or more)."""
MOODS: Final = ("good", "unsure", "problem")
ANSWERS: Final = ("yes", "partly", "no")
END_REASONS: Final = ("schedule", "mismatch", "moved", "goals_reached", "other")
"""Why a coordinator ends a pair early (the partner's /forget ends it as `left`)."""
OUTCOMES: Final = ("accepted", "not_now", "not_suitable")
