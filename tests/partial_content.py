"""A copy of the real content with two entries written in only some languages."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.conftest import CONTENT

LIBRARY = "library-card"
LIBRARY_LANGUAGES = ("fi", "en", "ar")
SAUNA = "public-sauna"
SAUNA_LANGUAGES = ("so", "fa", "ru")

_ENTRIES = {
    "fi": (LIBRARY, "Kirjastokortti", [
        "Miten saan kirjastokortin?", "kirjastokortti", "kirjasto kortti",
        "voinko lainata kirjoja", "maksaako kirjastokortti", "kirjaston kortti",
        "mistä saan kortin kirjastoon", "lainaaminen kirjastosta"],
        "Kirjastokortti on ilmainen. Saat sen kirjastosta. Ota mukaan henkilöllisyystodistus.\n"
        "Seuraava askel: mene lähimpään kirjastoon."),
    "en": (LIBRARY, "Library card", [
        "How do I get a library card?", "library card", "can I borrow books",
        "is the library card free", "kirjastokortti", "library membership",
        "where do I get a card for the library", "borrowing books from the library"],
        "A library card is free. You get it at any library. Bring an identity document.\n"
        "Next step: go to your nearest library."),
    "ar": (LIBRARY, "بطاقة المكتبة", [
        "كيف أحصل على بطاقة المكتبة؟", "بطاقة المكتبة", "هل يمكنني استعارة الكتب",
        "هل بطاقة المكتبة مجانية", "kirjastokortti", "الاشتراك في المكتبة",
        "أين أحصل على بطاقة للمكتبة", "استعارة الكتب من المكتبة"],
        "بطاقة المكتبة مجانية. تحصل عليها من أي مكتبة. أحضر وثيقة هوية.\n"
        "الخطوة التالية: اذهب إلى أقرب مكتبة."),
    "so": (SAUNA, "Saunada dadweynaha", [
        "Sidee loo isticmaalaa saunada dadweynaha?", "sauna", "saunada",
        "ma lacag baa saunada", "uimahalli sauna", "xeerarka saunada",
        "maxaan u qaataa saunada", "saunada barkadda"],
        "Saunada dadweynaha waxay ku taal barkadaha dabaasha. Qubayso ka hor. "
        "Kursi yar ku fadhiiso.\n"
        "Tallaabada xigta: weydii barkadda kuu dhow."),
    "fa": (SAUNA, "سونای عمومی", [
        "چطور از سونای عمومی استفاده کنم؟", "سونا", "سونای عمومی",
        "سونا پولی است", "uimahalli sauna", "قوانین سونا",
        "برای سونا چه ببرم", "سونای استخر"],
        "سونای عمومی در استخرهای شنا است. قبل از رفتن دوش بگیرید. روی حوله کوچک بنشینید.\n"
        "قدم بعدی: از نزدیک‌ترین استخر بپرسید."),
    "ru": (SAUNA, "Общественная сауна", [
        "Как пользоваться общественной сауной?", "сауна", "общественная сауна",
        "сауна платная", "uimahalli sauna", "правила сауны",
        "что взять в сауну", "сауна в бассейне"],
        "Общественная сауна есть в бассейнах. Перед сауной примите душ. Сидите на полотенце.\n"
        "Следующий шаг: спросите в ближайшем бассейне."),
}


def partial_content(target: Path) -> Path:
    """Copy the content to `target` and add the two partly translated entries."""
    shutil.copytree(CONTENT, target)
    for lang, (entry_id, title, questions, answer) in _ENTRIES.items():
        path = target / lang / "everyday.yaml"
        lines = [f"  - id: {entry_id}", f"    title: \"{title}\"", "    questions:"]
        lines += [f"      - \"{q}\"" for q in questions]
        lines += ["    answer: |"] + [f"      {line}" for line in answer.splitlines()]
        lines += ["    sources:", "      - https://www.kirjastot.fi/", "    reviewed: 2026-11-22"]
        text = path.read_text(encoding="utf-8")
        path.write_text(text.rstrip("\n") + "\n" + "\n".join(lines) + "\n", encoding="utf-8")
    return target
