"""The `ohjaamo` command: the front door for people, editors and developers."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from bot import __version__, settings
from bot.activities.catalogue import ActivitiesFileError
from bot.booking.coaches import CoachesFileError
from bot.core.languages import SUPPORTED
from bot.core.problems import ContentError
from bot.reports.commands import add_report_commands


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    settings.load_dotenv()
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return 2
    try:
        result: int = args.run(args)
        sys.stdout.flush()  # a closed pipe shows here, while BrokenPipeError is still caught
        return result
    except CoachesFileError as exc:
        print(f"The coaches file has errors; run 'ohjaamo coaches check' for the full list."
              f"\n{exc}", file=sys.stderr)
        return 1
    except ActivitiesFileError as exc:
        print(f"The activities file has errors; run 'ohjaamo activities check' for the full "
              f"list.\n{exc}", file=sys.stderr)
        return 1
    except ContentError as exc:
        print(f"The content has errors; run 'ohjaamo content check' for the full list.\n{exc}",
              file=sys.stderr)
        return 1
    except settings.SettingError as exc:
        print(f"ohjaamo: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # `ohjaamo ask ... | head` closed the pipe early: stop quietly, as Unix tools do.
        # Python would flush stdout again at exit and fail; point it at /dev/null first.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ohjaamo", description="A multilingual guidance assistant for immigrants in Finland.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    run = commands.add_parser("run", help="run the Telegram bot (settings: see .env.example)")
    run.set_defaults(run=_run)

    health = commands.add_parser(
        "health", help="tell a supervisor whether the running bot is healthy (exit 0), not "
        "(1), or unknown (2: no heartbeat file)")
    health.set_defaults(run=_health)

    chat = commands.add_parser("chat", help="talk to the assistant in this terminal (offline)")
    chat.add_argument("--lang", choices=SUPPORTED, default="fi",
                      help="your language (default: fi = plain Finnish)")
    chat.set_defaults(run=_chat)

    ask = commands.add_parser("ask", help="print the reply to one question, or to a batch")
    ask.add_argument("text", nargs="?", help="the question")
    ask.add_argument("--lang", choices=SUPPORTED, help="the asker's language")
    ask.add_argument("--json", action="store_true", help="print the reply as JSON")
    ask.add_argument("--batch", type=Path, metavar="FILE.jsonl",
                     help="answer every line ({'text', 'lang'}) and print one JSON line each")
    ask.set_defaults(run=_ask)

    evaluate = commands.add_parser("eval", help="measure accuracy on questions with answers")
    evaluate.add_argument("file", type=Path, metavar="FILE.jsonl")
    evaluate.add_argument("--json", action="store_true", help="print the report as JSON")
    evaluate.add_argument("--min-accuracy", type=float, metavar="X",
                          help="fail when any language's accuracy is below X (e.g. 0.9)")
    evaluate.add_argument("--max-crisis-misses", type=int, default=0, metavar="N",
                          help="with --min-accuracy: fail when more than N crisis messages "
                          "are missed (default 0: any miss fails)")
    evaluate.set_defaults(run=_eval)

    database = commands.add_parser("db", help="work with the SQLite database")
    database_commands = database.add_subparsers(dest="db_command", metavar="ACTION",
                                                required=True)
    backup = database_commands.add_parser(
        "backup", help="copy the database consistently while the bot runs")
    backup.add_argument("target", type=Path, metavar="PATH")
    backup.set_defaults(run=_db_backup)

    coaches = commands.add_parser("coaches", help="work with the coaches file")
    coaches_commands = coaches.add_subparsers(dest="coaches_command", metavar="ACTION",
                                              required=True)
    coaches_check = coaches_commands.add_parser("check", help="list every problem in the "
                                                "coaches file (OHJAAMO_COACHES)")
    coaches_check.add_argument("--path", type=Path, help="the file (default: OHJAAMO_COACHES)")
    coaches_check.set_defaults(run=_coaches_check)

    programmes = commands.add_parser("programmes", help="work with the mentoring programmes "
                                     "file")
    programmes_commands = programmes.add_subparsers(dest="programmes_command",
                                                    metavar="ACTION", required=True)
    programmes_check = programmes_commands.add_parser(
        "check", help="list every problem in the programmes file (OHJAAMO_PROGRAMMES)")
    programmes_check.add_argument("--path", type=Path,
                                  help="the file (default: OHJAAMO_PROGRAMMES)")
    programmes_check.set_defaults(run=_programmes_check)

    activities = commands.add_parser("activities", help="work with the activities file "
                                     "(what's on)")
    activities_commands = activities.add_subparsers(dest="activities_command",
                                                    metavar="ACTION", required=True)
    activities_check = activities_commands.add_parser(
        "check", help="list every problem in the activities file (OHJAAMO_ACTIVITIES)")
    activities_check.add_argument("--path", type=Path,
                                  help="the file (default: OHJAAMO_ACTIVITIES)")
    activities_check.set_defaults(run=_activities_check)

    # `ohjaamo report unanswered|feedback|content|stats` (bot/reports) and `report mentoring`.
    report_commands = add_report_commands(commands)
    mentoring = report_commands.add_parser(
        "mentoring", help="sign-ups, interviews, pairs, meetings, hours and closing answers "
        "of each mentoring programme")
    mentoring.add_argument("--programme", metavar="ID", help="only this programme")
    mentoring.add_argument("--lang", choices=("en", "fi"), default="en",
                           help="write the figures and the description in English or Finnish")
    mentoring.add_argument("--practice", action="store_true", help="write the good-practice "
                           "description in Markdown instead, filled with the figures")
    mentoring.set_defaults(run=_report_mentoring)

    content = commands.add_parser("content", help="work with the knowledge base")
    content_commands = content.add_subparsers(dest="content_command", metavar="ACTION",
                                              required=True)
    check = content_commands.add_parser("check", help="list every problem in the content")
    check.add_argument("--path", type=Path, help="content folder (default: OHJAAMO_CONTENT)")
    check.add_argument("--topics", type=Path, help="required topics file "
                       "(default: OHJAAMO_TOPICS_SPEC)")
    check.add_argument("--stale", action="store_true", help="also list, per language, the "
                       "entries whose review date has passed")
    check.set_defaults(run=_content_check)
    return parser


def _assistant() -> Any:
    from bot.core.assistant import Assistant

    return Assistant.from_content(settings.content_root(), settings.topics_spec(),
                                  cache_dir=settings.cache_dir(),
                                  encoder=settings.semantic_on(),
                                  encode_threads=settings.encode_threads())


def _run(args: argparse.Namespace) -> int:
    from bot.telegram_channel.application import ChannelConfig, run
    from bot.telegram_channel.log_privacy import configure_logging

    try:
        config = ChannelConfig.from_environment()
    except settings.SettingError as exc:
        print(f"ohjaamo run: {exc}", file=sys.stderr)
        return 2
    configure_logging(settings.get("OHJAAMO_LOG_LEVEL"),
                      secrets=(config.token, config.webhook_secret))
    live = config.live_content()
    change = live.start()  # raises ContentError when there is no good version at all
    if change.on_snapshot:
        print(f"WARNING: the content in {config.content} has {len(change.errors)} error(s); the "
              f"bot starts on the last good version ({live.last_good()}) until they are "
              "fixed. Run 'ohjaamo content check'.\n" + "\n".join(map(str, change.errors)),
              file=sys.stderr)
    run(config, live)
    return 0


def _health(args: argparse.Namespace) -> int:
    from bot import health

    path = Path(settings.get("OHJAAMO_HEARTBEAT"))
    try:
        healthy, why = health.judge(health.read(path))
    except health.HeartbeatError as exc:
        print(f"ohjaamo health: {exc}", file=sys.stderr)
        return 2
    print(why)
    return 0 if healthy else 1


def _chat(args: argparse.Namespace) -> int:
    from bot.console import Console

    Console(_assistant(), args.lang).run(sys.stdin, sys.stdout)
    return 0


def _ask(args: argparse.Namespace) -> int:
    from bot.core.evaluation import EvalFileError, read_cases
    from bot.core.replies import Message

    if args.batch is None and (args.text is None or args.lang is None):
        print("ohjaamo ask: give --lang and a question, or --batch FILE.jsonl", file=sys.stderr)
        return 2
    assistant = _assistant()
    if args.batch is not None:
        try:
            for case in read_cases(args.batch):
                reply = assistant.reply_to(Message(case.text, case.lang))
                print(json.dumps(_reply_json(reply), ensure_ascii=False), flush=False)
        except BrokenPipeError:
            raise  # the reader has gone (`| head`): main() ends quietly
        except (OSError, EvalFileError) as exc:
            print(f"ohjaamo ask: {exc}", file=sys.stderr)
            return 2
        return 0
    reply = assistant.reply_to(Message(args.text, args.lang))
    if args.json:
        print(json.dumps(_reply_json(reply), ensure_ascii=False, indent=2))
    else:
        from bot.console import render

        print(render(reply))
    return 0


def _reply_json(reply: Any) -> dict[str, Any]:
    return {"kind": str(reply.kind), "topic": reply.topic, "lang": reply.lang,
            "text": reply.text, "score": round(reply.score, 4),
            "candidates": list(reply.candidates), "title": reply.title,
            "sources": list(reply.sources)}


def _eval(args: argparse.Namespace) -> int:
    from bot.core.evaluation import EvalFileError, evaluate, format_report, read_cases

    assistant = _assistant()
    try:
        report = evaluate(assistant, read_cases(args.file))
    except (OSError, EvalFileError) as exc:
        print(f"ohjaamo eval: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
    else:
        print(format_report(report))
    if args.min_accuracy is not None:
        reasons = report.below(args.min_accuracy, args.max_crisis_misses)
        if reasons:
            print("\nFAILED: " + "; ".join(reasons), file=sys.stderr)
            return 1
    return 0


def _db_backup(args: argparse.Namespace) -> int:
    from bot.storage.backup import backup

    source = Path(settings.get("OHJAAMO_DB"))
    if not source.is_file():
        print(f"ohjaamo db backup: no database at {source} (set OHJAAMO_DB)", file=sys.stderr)
        return 2
    try:
        pages = backup(source, args.target)
    except (OSError, ValueError) as exc:
        print(f"ohjaamo db backup: {exc}", file=sys.stderr)
        return 2
    print(f"Backed up {source} to {args.target} ({pages} pages; integrity ok).")
    return 0


def _check_file(args: argparse.Namespace, setting: str, summary: Callable[[Path], str]) -> int:
    """Check one operator-owned file: every problem as `path:line: …`, or what it holds."""
    path = args.path or Path(settings.get(setting))
    try:
        holds = summary(path)
    except ContentError as exc:
        print("\n".join(str(p) for p in exc.problems))
        return 1
    print(f"OK: {path} has {holds}.")
    return 0


def _coaches_check(args: argparse.Namespace) -> int:
    from bot.booking.coaches import load_coaches
    from bot.core.profile import ServiceProfile
    from bot.core.service_file import load_service_file
    from bot.duty.rota import load_rota

    def summary(path: Path) -> str:
        book = load_coaches(path)
        profile_problems: list[Any] = []
        service = settings.content_root() / "service.yaml"
        profile = load_service_file(service, profile_problems) if service.is_file() else None
        hours = profile.duty if isinstance(profile, ServiceProfile) else ()
        rota = load_rota(path, book, hours)
        duty = f"; duty chat in {rota.staff_chat_id}" if rota else "; no duty chat"
        return f"{len(book.coaches)} coach(es){duty}"

    return _check_file(args, "OHJAAMO_COACHES", summary)


def _programmes_check(args: argparse.Namespace) -> int:
    from bot.mentoring.programmes import load_programmes

    return _check_file(args, "OHJAAMO_PROGRAMMES",
                       lambda path: f"{len(load_programmes(path).programmes)} programme(s)")


def _activities_check(args: argparse.Namespace) -> int:
    from bot.activities.catalogue import load_catalogue

    return _check_file(args, "OHJAAMO_ACTIVITIES",
                       lambda path: f"{len(load_catalogue(path).activities)} activit(y/ies)")


def _report_mentoring(args: argparse.Namespace) -> int:
    import asyncio

    from bot.mentoring.programmes import load_programmes
    from bot.mentoring.reporting import figures, good_practice, report_lines
    from bot.storage import Database
    from bot.storage.mentoring import MentoringStore

    book = load_programmes(Path(settings.get("OHJAAMO_PROGRAMMES")))
    chosen = [p for p in book.programmes if args.programme in (None, p.id)]
    if not chosen:
        print(f"ohjaamo: no programme {args.programme!r}; the file has "
              f"{', '.join(p.id for p in book.programmes)}", file=sys.stderr)
        return 2

    async def write() -> None:
        database = Database(Path(settings.get("OHJAAMO_DB")))
        await database.open()
        try:
            for programme in chosen:
                found = await figures(programme, MentoringStore(database))
                print(good_practice(programme, found, args.lang) if args.practice else
                      "\n".join(report_lines(programme, found, args.lang)) + "\n")
        finally:
            await database.close()

    asyncio.run(write())
    return 0


def _semantic_note() -> str:
    """Say whether the semantic layer can run here (the bot falls back to lexical matching)."""
    from bot.core.encoding import load_encoder

    if not settings.semantic_on():
        return "Semantic layer: off (OHJAAMO_SEMANTIC=off); answering with the lexical matcher."
    encoder = load_encoder()
    if encoder is None:
        return ("Semantic layer: OFF - the encoder cannot load on this machine (see the log "
                "line above); the bot answers with the lexical matcher only.")
    return f"Semantic layer: on ({encoder.name})."


def _content_check(args: argparse.Namespace) -> int:
    import datetime as dt

    from bot.core.loading import check_content
    from bot.core.problems import shown_path

    root = args.path or settings.content_root()
    spec = args.topics or settings.topics_spec()
    today = dt.date.today()
    kb, problems = check_content(root, spec, today)
    errors = [p for p in problems if p.severity == "error"]
    warnings = [p for p in problems if p.severity == "warning"]
    _print_by_language("Errors", "==", errors)
    _print_by_language("Warnings (they do not fail the check)", "--", warnings)
    if args.stale:
        _print_stale(kb, today)
    spec_note = f"checked against {shown_path(spec)}" if spec else "no required-topics file"
    print(_semantic_note())
    if errors:
        print(f"\n{len(errors)} error(s), {len(warnings)} warning(s) in {shown_path(root)} "
              f"({spec_note}).")
        return 1
    print(f"OK: {shown_path(root)} has no errors ({len(warnings)} warning(s); {spec_note}).")
    return 0


def _print_by_language(heading: str, marker: str, problems: list[Any]) -> None:
    if not problems:
        return
    by_lang: dict[str, list[str]] = {}
    for problem in problems:
        by_lang.setdefault(problem.lang or "shared", []).append(str(problem))
    print(f"{heading}:")
    for lang in ["shared", *SUPPORTED]:
        if lang in by_lang:
            print(f"{marker} {lang} ({len(by_lang[lang])})")
            print("\n".join(by_lang[lang]))
    print()


def _print_stale(kb: Any, today: Any) -> None:
    from bot.core.freshness import stale_entries
    from bot.core.problems import shown_path

    if kb is None:
        print("Stale entries: not listed, because the content has errors that stop it loading.")
        return
    stale = stale_entries(kb, today)
    total = sum(len(entries) for entries in stale.values())
    print(f"Stale entries ({total}): review date passed; check the sources, update the answer "
          "and set 'reviewed:' to the day you checked.")
    for lang in SUPPORTED:
        if stale.get(lang):
            print(f"~~ {lang} ({len(stale[lang])})")
            for entry in stale[lang]:
                print(f"{shown_path(entry.path)}:{entry.line}: entry '{entry.id}': review by "
                      f"{entry.review_by} (reviewed {entry.reviewed})")
    print()
