"""The terminal channel: `ohjaamo chat` talks to the same core as Telegram does."""

from __future__ import annotations

import textwrap
from typing import TextIO

from bot.core.assistant import Assistant
from bot.core.languages import SUPPORTED
from bot.core.replies import Button, Message, Reply

HELP = ("Type a question, or a button's number to press it. "
        "/menu shows the topics, /lang xx changes the language, /quit ends.")


def render(reply: Reply, numbered: list[Button] | None = None) -> str:
    """Write a reply as terminal text; buttons get numbers when `numbered` collects them."""
    lines = [f"[{reply.kind}{' ' + reply.topic if reply.topic else ''} · {reply.lang}]"]
    if reply.title:
        lines.append(f"** {reply.title} **")
    lines.extend(textwrap.fill(p, 78) if p else "" for p in reply.text.splitlines())
    lines.extend(f"  ↗ {url}" for url in reply.sources)
    for row in reply.buttons:
        labels = []
        for button in row:
            if numbered is None:
                labels.append(f"[{button.label}]")
            else:
                numbered.append(button)
                labels.append(f"[{len(numbered)}] {button.label}")
        lines.append("   ".join(labels))
    return "\n".join(lines)


class Console:
    """A read-reply loop over a text stream."""

    def __init__(self, assistant: Assistant, lang: str) -> None:
        self.assistant = assistant
        self.lang = lang

    def run(self, stdin: TextIO, stdout: TextIO) -> None:
        """Converse until end of input or /quit."""
        buttons: list[Button] = []
        stdout.write(render(self.assistant.greeting(self.lang), buttons) + "\n" + HELP + "\n")
        while True:
            stdout.write("\n> ")
            stdout.flush()
            line = stdin.readline()
            if not line or line.strip() in ("/quit", "/exit"):
                break
            text = line.strip()
            reply = self._reply(text, buttons)
            if reply is None:
                stdout.write(HELP + "\n")
                continue
            buttons = []
            stdout.write(render(reply, buttons) + "\n")

    def _reply(self, text: str, buttons: list[Button]) -> Reply | None:
        if text.isdigit() and 1 <= int(text) <= len(buttons):
            button = buttons[int(text) - 1]
            return self.assistant.press(button.action, button.value, self.lang)
        if text == "/menu":
            return self.assistant.menu(self.lang)
        if text.startswith("/lang"):
            code = text.removeprefix("/lang").strip()
            if code in SUPPORTED:
                self.lang = code
                return self.assistant.greeting(code)
            return None
        if text.startswith("/"):
            return None
        return self.assistant.reply_to(Message(text, self.lang))
