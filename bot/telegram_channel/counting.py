"""Count what people do for the monthly figures, and keep what the bot failed on for editors.

Nothing here stores who: a Telegram id only becomes this month's token for counting
distinct people, and a kept text is scrubbed and stored apart from the person. What a
person asked last is remembered in memory only, for a 👎 on the answer it got.
"""

from __future__ import annotations

import datetime as dt

from telegram import Update, User
from telegram.ext import ContextTypes

from bot.core.replies import Reply, ReplyKind
from bot.storage.usage import Turn
from bot.telegram_channel.conversation import services, user_data

CONVERSATION_GAP = dt.timedelta(minutes=30)
"""A person who writes after this long a pause starts a new conversation."""


async def count_message(update: Update, context: ContextTypes.DEFAULT_TYPE, text: str,
                        reply: Reply) -> None:
    """Count a typed message and its reply; keep the text if the bot could not answer it."""
    await _count(update, context, "message", reply, text)
    if update.effective_user is not None:
        # In memory only: a 👎 on this answer keeps the question that led to it.
        user_data(context)["last_question"] = (text, reply.topic) \
            if reply.kind is ReplyKind.ANSWER else None


async def count_tap(update: Update, context: ContextTypes.DEFAULT_TYPE, reply: Reply) -> None:
    """Count an answer reached by a button (menu, related topic, 'did you mean')."""
    await _count(update, context, "tap", reply)


async def keep_unhelpful(update: Update, context: ContextTypes.DEFAULT_TYPE, topic: str,
                         lang: str) -> None:
    """After a 👎, keep the question whose answer did not help (scrubbed, without who)."""
    user = update.effective_user
    if user is None:
        return
    question = user_data(context).pop("last_question", None)
    if question is not None and question[1] == topic:
        await services(context).usage.keep_unanswered(question[0], lang, "unhelpful", topic,
                                                      _names(user))


async def _count(update: Update, context: ContextTypes.DEFAULT_TYPE, event: str, reply: Reply,
                 text: str | None = None) -> None:
    user = update.effective_user
    topic = reply.topic if reply.topic and services(context).assistant.kb.has_topic(
        reply.topic) else None
    await services(context).usage.record_turn(Turn(
        lang=reply.lang, reply_kind=str(reply.kind), topic=topic, event=event,
        person=user.id if user else None,
        new_conversation=_new_conversation(context) if user else False,
        text=text, names=_names(user) if user else ()))


def _new_conversation(context: ContextTypes.DEFAULT_TYPE) -> bool:
    """Tell whether this is the person's first move after a pause (remembered in memory)."""
    data = user_data(context)
    now = dt.datetime.now(dt.UTC)
    last = data.get("last_seen")
    data["last_seen"] = now
    return not isinstance(last, dt.datetime) or now - last > CONVERSATION_GAP


def _names(user: User) -> tuple[str, ...]:
    """Return the names a person's own Telegram account shows (scrubbed from their texts)."""
    return tuple(name for name in (user.first_name, user.last_name, user.username) if name)
