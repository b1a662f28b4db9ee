"""Offline language detection, restricted to the six languages we speak."""

from __future__ import annotations

from functools import cached_property

from lingua import Language, LanguageDetector, LanguageDetectorBuilder

_LINGUA = {
    "fi": Language.FINNISH, "en": Language.ENGLISH, "ar": Language.ARABIC,
    "so": Language.SOMALI, "fa": Language.PERSIAN, "ru": Language.RUSSIAN,
}
_CODES = {language: code for code, language in _LINGUA.items()}


class LanguageGuesser:
    """Guess which of our languages a message is written in, with a confidence."""

    @cached_property
    def _detector(self) -> LanguageDetector:
        # Low-accuracy mode uses the small trigram models only: ~30 MB instead of ~200 MB,
        # and short chat messages are where the larger models add little.
        return (LanguageDetectorBuilder.from_languages(*_LINGUA.values())
                .with_low_accuracy_mode().with_preloaded_language_models().build())

    def guess(self, text: str) -> tuple[str, float] | None:
        """Return (language, confidence 0-1) for `text`, or None when nothing fits."""
        values = self._detector.compute_language_confidence_values(text)
        if not values or values[0].value <= 0:
            return None
        return _CODES[values[0].language], float(values[0].value)
