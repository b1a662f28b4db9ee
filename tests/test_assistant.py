"""What a person gets back for what they write, in every language."""

from __future__ import annotations

import random

import pytest

from bot.core.assistant import Assistant
from bot.core.languages import SUPPORTED
from bot.core.normalising import fold
from bot.core.replies import Action, Message, ReplyKind
from tests.conftest import LANGUAGES, registry

# Messages written for these tests (not taken from content or the eval set).
CRISIS = {
    "en": ["i wanna kill myself tonight", "my neighbours baby is not breathing help",
           "he has a knife and says he will kill me"],
    "fi": ["haluan tappaa itseni", "vauva ei hengitä", "mieheni sanoo että tappaa minut"],
    "ru": ["хочу покончить с собой", "ребенок не дышит что делать",
           "муж грозится меня убить"],
    "ar": ["أفكر في الانتحار", "ابني لا يتنفس", "زوجي يهدد بقتلي"],
    "fa": ["می‌خواهم خودکشی کنم", "بچه‌ام نفس نمی‌کشد", "شوهرم می‌گوید مرا می‌کشد"],
    "so": ["waxaan doonayaa inaan is dilo", "ilmaha ma neefsanayo",
           "ninkaygu wuxuu igu hanjabay inuu i dilayo"],
}
GREETING = {"en": "hi there!", "fi": "moi", "ru": "привет", "ar": "مرحبا", "fa": "سلام علیکم",
            "so": "Salaan"}
THANKS = {"en": "thank you so much", "fi": "kiitti", "ru": "спасибо большое", "ar": "شكرا لك",
          "fa": "ممنون", "so": "mahadsanid"}
HANDOFF = {"en": "can I speak with a human please", "fi": "haluan puhua ihmisen kanssa",
           "ru": "можно поговорить с человеком", "ar": "أريد أن أتكلم مع موظف",
           "fa": "می‌خواهم با یک انسان صحبت کنم", "so": "waxaan rabaa inaan la hadlo qof"}
OUT_OF_SCOPE = {"en": "what is the capital of Australia", "fi": "mikä on Australian pääkaupunki",
                "ru": "какая столица Австралии", "ar": "ما هي عاصمة أستراليا",
                "fa": "پایتخت استرالیا کجاست", "so": "waa maxay caasimadda Australia"}
TAX_CARD = {"en": "how do i get a tax crad for my new job", "fi": "miten saan verokortin",
            "ru": "как получить налоговую карточку", "ar": "كيف أحصل على بطاقة الضرائب",
            "fa": "چطور کارت مالیاتی بگیرم", "so": "sidee baan u helaa kaarka canshuurta"}


def ask(assistant: Assistant, text: str, lang: str) -> object:
    return assistant.reply_to(Message(text, lang))


@LANGUAGES
def test_crisis_messages_get_emergency_help_first(assistant: Assistant, lang: str) -> None:
    for text in CRISIS[lang]:
        reply = assistant.reply_to(Message(text, lang))
        assert reply.kind == ReplyKind.CRISIS, text
        numbers = registry(assistant)
        assert reply.text.splitlines()[0].count(numbers["emergency"].number) == 1
        for key in ("poison_info", "crisis_line", "violence_line", "victim_support"):
            assert numbers[key].number in reply.text, key


@LANGUAGES
def test_crisis_wins_over_a_topic_in_the_same_message(assistant: Assistant, lang: str) -> None:
    text = f"{TAX_CARD[lang]}. {CRISIS[lang][0]}"

    assert assistant.reply_to(Message(text, lang)).kind == ReplyKind.CRISIS


# Danger now, and a question about it (written for these tests).
DANGER_AND_A_QUESTION = {
    "en": "my husband is beating me right now and i locked myself in the toilet. is there a "
          "shelter for women and kids in kemi?",
    "fi": "mieheni lyö minua nyt ja olen lukittautunut vessaan. onko kemissä turvakotia "
          "naisille ja lapsille?",
    "ru": "муж сейчас бьёт меня, я закрылась в ванной. есть ли в кеми приют для женщин с "
          "детьми?",
    "ar": "زوجي يضربني الآن وأنا مقفلة على نفسي في الحمام. هل يوجد ملجأ للنساء والأطفال في "
          "كيمي؟",
    "fa": "شوهرم همین الان مرا می‌زند و خودم را در حمام قفل کرده‌ام. در کمی خانه امن برای "
          "زنان و بچه‌ها هست؟",
    "so": "ninkaygu hadda wuu i garaacayaa, waxaan isku xiray musqusha. ma jiraa hoy "
          "haweenka iyo carruurta Kemi?",
}


@LANGUAGES
def test_danger_with_a_question_gets_emergency_help_first_then_the_answer_as_a_button(
        assistant: Assistant, lang: str) -> None:
    reply = assistant.reply_to(Message(DANGER_AND_A_QUESTION[lang], lang))

    assert reply.kind == ReplyKind.CRISIS
    assert registry(assistant)["emergency"].number in reply.text.splitlines()[0]
    pressed = [(b.action, b.value) for row in reply.buttons for b in row]
    assert pressed[0][0] is Action.CONTACT_ME
    assert (Action.TOPIC, "domestic-violence") in pressed


@LANGUAGES
def test_danger_alone_gets_no_guessed_topic_buttons(assistant: Assistant, lang: str) -> None:
    reply = assistant.reply_to(Message(CRISIS[lang][1], lang))  # a baby not breathing

    assert reply.kind == ReplyKind.CRISIS
    assert [b.action for row in reply.buttons for b in row] == [Action.CONTACT_ME, Action.MENU]


@LANGUAGES
def test_a_crisis_in_another_language_is_still_recognised(assistant: Assistant,
                                                          lang: str) -> None:
    other = SUPPORTED[(SUPPORTED.index(lang) + 2) % len(SUPPORTED)]

    assert assistant.reply_to(Message(CRISIS[other][1], lang)).kind == ReplyKind.CRISIS


@LANGUAGES
def test_greetings_and_thanks_get_a_kind_reply_with_the_menu(assistant: Assistant,
                                                             lang: str) -> None:
    for text in (GREETING[lang], THANKS[lang]):
        reply = assistant.reply_to(Message(text, lang))
        assert reply.kind == ReplyKind.GREETING, text
        assert any(b.action == Action.CATEGORY for row in reply.buttons for b in row)


@LANGUAGES
def test_asking_for_a_human_gives_the_handoff(assistant: Assistant, lang: str) -> None:
    reply = assistant.reply_to(Message(HANDOFF[lang], lang))

    assert reply.kind == ReplyKind.HANDOFF
    assert any(b.action == Action.COACH for row in reply.buttons for b in row)


@LANGUAGES
def test_out_of_scope_questions_get_an_honest_no_with_menu_and_coach(assistant: Assistant,
                                                                     lang: str) -> None:
    reply = assistant.reply_to(Message(OUT_OF_SCOPE[lang], lang))

    assert reply.kind == ReplyKind.FALLBACK
    assert reply.topic is None
    actions = {b.action for row in reply.buttons for b in row}
    assert {Action.CATEGORY, Action.COACH} <= actions


@LANGUAGES
def test_a_plain_question_finds_its_topic(assistant: Assistant, lang: str) -> None:
    reply = assistant.reply_to(Message(TAX_CARD[lang], lang))

    assert (reply.kind, reply.topic, reply.lang) == (ReplyKind.ANSWER, "tax-card", lang)
    assert reply.sources
    assert all(s.startswith("https://") for s in reply.sources)


@LANGUAGES
@pytest.mark.parametrize(("office_word", "topic"), [
    ("verokortti", "tax-card"), ("Kela-kortti", "kela-coverage"), ("neuvola", "maternity-clinic"),
    ("oleskelulupa", "residence-permit"), ("YKI-testi", "yki-test"),
    ("toimeentulotuki", "social-assistance"), ("asumistuki", "housing-allowance"),
    ("henkilötunnus", "personal-id-code"), ("päiväkoti", "early-childhood-education"),
])
def test_a_finnish_office_word_alone_finds_its_topic(assistant: Assistant, lang: str,
                                                     office_word: str, topic: str) -> None:
    reply = assistant.reply_to(Message(office_word, lang))

    assert reply.topic == topic
    assert reply.lang == lang


@LANGUAGES
def test_questions_with_typos_and_no_diacritics_still_find_their_topic(assistant: Assistant,
                                                                       lang: str) -> None:
    rng = random.Random(lang)
    entries = list(assistant.kb.packs[lang].entries.values())
    found = 0
    for entry in entries:
        question = max(entry.questions, key=len)
        typo = _misspell(fold(question), rng)
        found += assistant.reply_to(Message(typo, lang)).topic == entry.id
    assert found / len(entries) >= 0.9, f"{found}/{len(entries)}"


def _misspell(text: str, rng: random.Random) -> str:
    """Swap two letters inside the longest word, the commonest typing slip."""
    words = text.split()
    index = max(range(len(words)), key=lambda i: len(words[i]))
    word = words[index]
    if len(word) > 3:
        at = rng.randrange(1, len(word) - 2)
        words[index] = word[:at] + word[at + 1] + word[at] + word[at + 2:]
    return " ".join(words)


def test_finnish_office_words_inside_english_still_answer_in_english(
        assistant: Assistant) -> None:
    reply = assistant.reply_to(Message("how do i get verokortti", "en"))

    assert (reply.topic, reply.lang) == ("tax-card", "en")


@pytest.mark.parametrize(("text", "chosen", "written_in"), [
    ("Как мне получить налоговую карточку для работы?", "en", "ru"),
    ("How can I get a tax card for my new job?", "fi", "en"),
    ("كيف أحصل على بطاقة الضرائب من أجل العمل؟", "so", "ar"),
])
def test_a_message_clearly_in_another_language_is_answered_in_it(
        assistant: Assistant, text: str, chosen: str, written_in: str) -> None:
    reply = assistant.reply_to(Message(text, chosen))

    assert (reply.topic, reply.lang) == ("tax-card", written_in)


def test_russian_typed_in_latin_letters_finds_its_topic(assistant: Assistant) -> None:
    reply = assistant.reply_to(Message("kak poluchit nalogovuyu kartochku", "ru"))

    assert (reply.topic, reply.lang) == ("tax-card", "ru")


@pytest.mark.parametrize("lang", ["ru", "ar", "fa"])
def test_a_finnish_office_word_keeps_a_non_latin_language(assistant: Assistant,
                                                          lang: str) -> None:
    reply = assistant.reply_to(Message("verokortti", lang))

    assert (reply.topic, reply.lang) == ("tax-card", lang)


@pytest.mark.parametrize("text", ["", "   ", "🙂🙂🙂", "?!?!", "\u202e\u200f", "a" * 5000,
                                  "Kela " * 2000, "\x00\x07 hello \x1b[31m"])
def test_odd_messages_get_a_reply_not_an_error(assistant: Assistant, text: str) -> None:
    reply = assistant.reply_to(Message(text, "so"))

    assert reply.text
    assert reply.lang == "so" or fold(text)


@LANGUAGES
def test_an_answer_offers_related_topics_plain_finnish_feedback_and_a_coach(
        assistant: Assistant, lang: str) -> None:
    reply = assistant.answer("tax-card", lang)
    actions = [b.action for row in reply.buttons for b in row]

    assert Action.TOPIC in actions
    assert Action.COACH in actions
    assert Action.HELPED in actions
    assert Action.NOT_HELPED in actions
    assert (Action.PLAIN_FINNISH in actions) == (lang != "fi")
    related = [b.value for row in reply.buttons for b in row if b.action == Action.TOPIC]
    assert set(related) <= set(assistant.kb.entry("tax-card", lang).related)


@LANGUAGES
def test_plain_finnish_shows_the_finnish_answer(assistant: Assistant, lang: str) -> None:
    reply = assistant.press(Action.PLAIN_FINNISH, "tax-card", lang)

    assert reply.lang == "fi"
    assert assistant.kb.entry("tax-card", "fi").answer in reply.text


@LANGUAGES
def test_every_answer_is_reachable_by_tapping_the_menu(assistant: Assistant, lang: str) -> None:
    reached = set()
    for row in assistant.menu(lang).buttons:
        for button in row:
            category = assistant.press(button.action, button.value, lang)
            reached |= {b.value for r in category.buttons for b in r if b.action == Action.TOPIC}

    assert reached == set(assistant.kb.packs[lang].entries)


@LANGUAGES
async def test_handle_is_the_async_entry_point(assistant: Assistant, lang: str) -> None:
    reply = await assistant.handle(Message(TAX_CARD[lang], lang))

    assert reply.topic == "tax-card"


def test_an_arabic_crisis_phrase_is_found_when_and_is_joined_to_it(
        assistant: Assistant) -> None:
    # "My neighbour is drunk and (و) he has a knife on the stairs": the phrase rule
    # "معه سكين" must see through the joined "and" (written for this test).
    assert assistant.crisis.is_crisis("جاري سكران ومعه سكين على الدرج")
