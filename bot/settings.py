"""Every setting in one table, each with a default and a help line.

Settings come from the environment; `ohjaamo` also reads a git-ignored `.env`
file in the working directory. `.env.example` documents them all (a test checks).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Setting:
    """One setting: its environment name, default and what it is for."""

    name: str
    default: str
    help: str


SETTINGS: tuple[Setting, ...] = (
    Setting("OHJAAMO_CONTENT", str(REPO_ROOT / "content"),
            "Folder of the knowledge base (service.yaml, categories.yaml, one folder per "
            "language)."),
    Setting("OHJAAMO_TOPICS_SPEC", str(REPO_ROOT.parent / "shared" / "spec" / "topics.yaml"),
            "The list of topic ids every language must have; skipped when the file is absent."),
    Setting("TELEGRAM_BOT_TOKEN", "",
            "The bot's token from @BotFather. Required by `ohjaamo run`; keep it secret."),
    Setting("TELEGRAM_API_URL", "https://api.telegram.org",
            "Root of the Bot API server; the bot calls <root>/bot<token>/<method>. Change it "
            "for Telegram's own local Bot API server, or a test server."),
    Setting("OHJAAMO_DB", "./data/ohjaamo.db",
            "The SQLite database file (created with its folder if missing)."),
    Setting("OHJAAMO_COACHES", "./coaches.yaml",
            "The coaches file (see examples/coaches.yaml); without it, booking is off and the "
            "bot tells people when to come in person."),
    Setting("OHJAAMO_PROGRAMMES", "./programmes.yaml",
            "The mentoring programmes file (see examples/programmes.yaml); mentoring is on "
            "when it and the coaches file exist (interviews are booked in coaches' hours)."),
    Setting("OHJAAMO_ACTIVITIES", "./activities.yaml",
            "The activities file for what's on (see examples/activities.yaml); without it "
            "/events, /subscribe and announcements are off. Edits are picked up without a "
            "restart."),
    Setting("OHJAAMO_MENTORING_RETENTION_DAYS", "180",
            "Days after a person's part in a mentoring programme ends (pair completed or "
            "ended, or not accepted) when their profile and the coordinator's note are "
            "deleted; ended pairs and their check-ins go as long after the pair ended, and "
            "everything personal of a programme as long after its 'ends' date."),
    Setting("OHJAAMO_WEBHOOK_URL", "",
            "Public https URL for webhook mode; empty means long polling. The bot serves this "
            "URL's path, so a reverse proxy passes it through unchanged."),
    Setting("OHJAAMO_WEBHOOK_SECRET", "",
            "Secret that Telegram sends in X-Telegram-Bot-Api-Secret-Token; required with a "
            "webhook (requests without it are refused)."),
    Setting("OHJAAMO_WEBHOOK_LISTEN", "127.0.0.1",
            "Address the webhook server listens on (behind a reverse proxy)."),
    Setting("OHJAAMO_WEBHOOK_PORT", "8443", "Port the webhook server listens on."),
    Setting("OHJAAMO_SEND_RETRIES", "5",
            "How many times a failed reply is sent again (after a 429's retry_after, or "
            "network errors and 5xx with backoff); alerts have their own retries."),
    Setting("OHJAAMO_FLOOD_LIMITS", "on",
            "on: keep under Telegram's flood limits (about 1 message a second per chat, 20 a "
            "minute per group, 30 a second overall); off only for a test Bot API server "
            "without limits."),
    Setting("OHJAAMO_SEND_TIMEOUT", "5",
            "Seconds an alert send may hold a delivery slot; after that the other alerts go "
            "ahead and Telegram's late answer is still awaited."),
    Setting("OHJAAMO_SEND_PATIENCE", "60",
            "Seconds to wait for Telegram's answer to an alert before it counts as possibly "
            "lost; the next copy then carries the same id and 🔁."),
    Setting("OHJAAMO_ALERT_CONCURRENCY", "8",
            "How many alerts are sent at the same time (one per chat)."),
    Setting("OHJAAMO_ALERT_RETRY_SECONDS", "2",
            "First wait before a failed alert is sent again; it doubles with each failure "
            "(with jitter, at most 10 minutes), and a 429 waits its retry_after."),
    Setting("OHJAAMO_WATCHDOG_SECONDS", "120",
            "Seconds without a successful getUpdates (or webhook contact) before the watchdog "
            "logs an ERROR, `ohjaamo health` fails, and the coordinator is told afterwards."),
    Setting("OHJAAMO_HEARTBEAT", "./data/heartbeat.json",
            "The heartbeat file the running bot rewrites every few seconds; `ohjaamo health` "
            "reads it."),
    Setting("OHJAAMO_RETENTION_DAYS", "30",
            "Days after an appointment when notes and question histories are deleted."),
    Setting("OHJAAMO_DUTY_TRANSCRIPT_DAYS", "0",
            "Days to keep the texts of live duty chats; 0 (the default) keeps no texts, only "
            "the message ids needed to relay them."),
    Setting("OHJAAMO_LOG_LEVEL", "INFO",
            "Logging level: DEBUG, INFO, WARNING or ERROR. At every level the token, message "
            "texts, names and notes are left out."),
    Setting("OHJAAMO_CACHE", "./data/cache",
            "Folder for the content's sentence vectors and trained models, so a restart with "
            "unchanged content starts fast (safe to delete)."),
    Setting("OHJAAMO_ENCODE_THREADS", "2",
            "Threads that encode the content's examples the vector cache does not have yet "
            "(the first start, a new encoder), at most one per core; 1 keeps it to one core. "
            "A person's message is always encoded on one thread."),
    Setting("OHJAAMO_SEMANTIC", "on",
            "'on': understand meaning with the offline e5 encoder (falls back to 'off' by "
            "itself if it cannot load); 'off': the lexical matcher only."),
    Setting("OHJAAMO_LAST_GOOD_CONTENT", "./data/last-good-content",
            "Folder where the bot keeps a copy of the last content that loaded without "
            "errors; when the content has errors at start, the bot starts on this copy."),
    Setting("OHJAAMO_RELOAD_SECONDS", "5",
            "How often the running bot looks for changed content files and reloads them "
            "(0: only when a coordinator sends /reload)."),
    Setting("OHJAAMO_UNANSWERED_DAYS", "30",
            "Days the scrubbed texts of questions the bot could not answer are kept for "
            "editors (shown in /privacy)."),
)

_BY_NAME = {s.name: s for s in SETTINGS}


def get(name: str, environ: dict[str, str] | None = None) -> str:
    """Return the value of setting `name` from the environment or its default."""
    env = os.environ if environ is None else environ
    value = env.get(name, "").strip()
    return value or _BY_NAME[name].default


def content_root(environ: dict[str, str] | None = None) -> Path:
    """Return the content folder."""
    return Path(get("OHJAAMO_CONTENT", environ))


def topics_spec(environ: dict[str, str] | None = None) -> Path | None:
    """Return the required-topics file, or None when it does not exist."""
    path = Path(get("OHJAAMO_TOPICS_SPEC", environ))
    return path if path.is_file() else None


def cache_dir(environ: dict[str, str] | None = None) -> Path:
    """Return the folder for the embedding cache."""
    return Path(get("OHJAAMO_CACHE", environ))


def encode_threads(environ: dict[str, str] | None = None) -> int:
    """Return how many threads may fill the vector cache (at least 1)."""
    return get_int("OHJAAMO_ENCODE_THREADS", environ, minimum=1)


def semantic_on(environ: dict[str, str] | None = None) -> bool:
    """Tell whether the semantic layer should be loaded."""
    value = get("OHJAAMO_SEMANTIC", environ).lower()
    if value not in ("on", "off"):
        raise SettingError(f"OHJAAMO_SEMANTIC must be 'on' or 'off' (got {value!r})")
    return value == "on"


class SettingError(ValueError):
    """A setting has a value the program cannot use; the message says which and how to fix."""


def get_int(name: str, environ: dict[str, str] | None = None, minimum: int = 0) -> int:
    """Return an integer setting, or raise SettingError naming the bad value."""
    value = get(name, environ)
    try:
        number = int(value)
    except ValueError:
        raise SettingError(f"{name} must be a whole number (got {value!r}); "
                           f"the default is {_BY_NAME[name].default}") from None
    if number < minimum:
        raise SettingError(f"{name} must be at least {minimum} (got {number})")
    return number


def load_dotenv(path: Path = Path(".env")) -> None:
    """Put `NAME=value` lines of `path` into the environment, without overriding it."""
    if not path.is_file():
        return
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        name, _, value = line.partition("=")
        os.environ.setdefault(name.strip(), value.strip().strip("'\""))
