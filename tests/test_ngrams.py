"""The character n-gram model: what it learns, how it is stored, and how it is applied."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.sparse import hstack
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from bot.core.assistant import Assistant
from bot.core.matching import Match
from bot.core.ngrams import (
    MIN_DOCUMENTS,
    PASSES,
    REGULARISATION,
    NgramClassifier,
    character_features,
    word_features,
)
from bot.core.understanding import CRISIS_LABEL, Tuning, with_spelling

TEXTS = (
    "miten saan verokortin", "verokortti kesätyöhön", "tax card for my new job",
    "kaarka canshuurta sidee loo helaa", "verokortti puuttuu palkasta",
    "hammaslääkäri aika", "dentist appointment for my tooth", "ilkaha dhakhtarka ballan",
    "hammas kipeä mihin soitan", "ilko xanuun dhakhtar",
    "what is the weather tomorrow", "sää huomenna", "cimilada berri",
)
LABELS = ("tax-card",) * 5 + ("dental-care",) * 5 + ("@out_of_scope",) * 3


@pytest.fixture(scope="module")
def model() -> NgramClassifier:
    return NgramClassifier.fit(TEXTS, LABELS)


def test_word_pieces_carry_a_topic_to_forms_it_never_saw(model: NgramClassifier) -> None:
    def best(text: str) -> str:
        return model.labels[int(np.argmax(model.probabilities(text)))]

    assert best("verokortista") == "tax-card"  # a Finnish case ending it never saw
    assert best("ilkaheyga") == "dental-care"  # Somali "teeth" with another ending
    assert best("hammaslääkärille") == "dental-care"
    assert best("weather") == "@out_of_scope"


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_applying_the_model_with_numpy_gives_what_scikit_learn_would(
        model: NgramClassifier) -> None:
    characters = TfidfVectorizer(analyzer=character_features, min_df=MIN_DOCUMENTS,
                                 sublinear_tf=True)
    words = TfidfVectorizer(analyzer=word_features, sublinear_tf=True)
    reference = LogisticRegression(C=REGULARISATION, solver="saga", max_iter=PASSES, tol=1e-3,
                                   random_state=0).fit(
        hstack([characters.fit_transform(TEXTS), words.fit_transform(TEXTS)]).tocsr(),
        list(LABELS))
    messages = ["verokortti kesätyö", "ilko dhakhtar meeqa", "sää Kemissä", "zzz", ""]

    expected = reference.predict_proba(hstack([characters.transform(messages),
                                               words.transform(messages)]).tocsr())

    assert tuple(reference.classes_) == model.labels
    np.testing.assert_allclose([model.probabilities(m) for m in messages], expected,
                               atol=1e-4)


def test_a_stored_model_answers_exactly_as_the_trained_one(model: NgramClassifier) -> None:
    arrays = model.to_arrays("ngrams.")
    restored = NgramClassifier.from_arrays(arrays, "ngrams.")

    for text in ("verokortti", "ilkaha", "cimilada", "nothing known here"):
        np.testing.assert_array_equal(restored.probabilities(text), model.probabilities(text))
    broken = {**arrays, "ngrams.weights": arrays["ngrams.weights"][:-1]}
    with pytest.raises(ValueError, match="disagree"):
        NgramClassifier.from_arrays(broken, "ngrams.")


def test_the_assistant_reads_spelling_beside_meaning(assistant: Assistant) -> None:
    assert assistant.semantic is not None
    reading = assistant.semantic.read("baaritanka ilkaha dhakhtarka")

    assert reading.spelling is not None
    assert reading.spelling.shape == reading.whole.shape
    assert reading.spelling.sum() == pytest.approx(1.0, abs=1e-4)
    assert reading.labels[int(np.argmax(reading.spelling))] == "dental-care"


def test_spelling_is_blended_into_the_lexical_scores_but_never_into_danger(
        assistant: Assistant) -> None:
    assert assistant.semantic is not None
    reading = assistant.semantic.read("verokortti")
    assert reading.spelling is not None
    ranked = [Match("kela-coverage", 0.6, "fi"), Match(CRISIS_LABEL, 0.7, "fi")]
    share = Tuning().ngram_weight
    assert 0 < share < 1

    blended = {m.topic: m.score for m in with_spelling(ranked, reading, Tuning(), "fi")}

    column = reading.labels.index
    assert blended[CRISIS_LABEL] == 0.7
    assert blended["kela-coverage"] == pytest.approx(
        (1 - share) * 0.6 + share * float(reading.spelling[column("kela-coverage")]))
    assert blended["tax-card"] == pytest.approx(
        share * float(reading.spelling[column("tax-card")]))
    assert set(blended) == {*reading.labels, CRISIS_LABEL}


def test_a_training_that_fails_raises_with_the_reason() -> None:
    with pytest.raises(RuntimeError, match=r"n-gram model failed: .*class"):
        NgramClassifier.fit(["one example", "another example"], ["tax-card", "tax-card"])
