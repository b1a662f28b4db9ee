"""The `ohjaamo` command: the front door for people, editors and developers."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bot import __version__, settings
from bot.core.languages import SUPPORTED
from bot.core.problems import ContentError


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
        return result
    except ContentError as exc:
        print(f"The content has errors; run 'ohjaamo content check' for the full list.\n{exc}",
              file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


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

    content = commands.add_parser("content", help="work with the knowledge base")
    content_commands = content.add_subparsers(dest="content_command", metavar="ACTION",
                                              required=True)
    check = content_commands.add_parser("check", help="list every problem in the content")
    check.add_argument("--path", type=Path, help="content folder (default: OHJAAMO_CONTENT)")
    check.add_argument("--topics", type=Path, help="required topics file "
                       "(default: OHJAAMO_TOPICS_SPEC)")
    check.set_defaults(run=_content_check)
    return parser


def _assistant() -> Any:
    from bot.core.assistant import Assistant

    return Assistant.from_content(settings.content_root(), settings.topics_spec())


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
    run(config, _assistant())
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
        data = {"languages": {k: v.as_dict() for k, v in sorted(report.languages.items())},
                "overall": report.overall.as_dict(), "misses": report.misses}
        print(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        print(format_report(report))
    if args.min_accuracy is not None:
        reasons = report.below(args.min_accuracy)
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


def _coaches_check(args: argparse.Namespace) -> int:
    from bot.booking.coaches import load_coaches

    path = args.path or Path(settings.get("OHJAAMO_COACHES"))
    try:
        book = load_coaches(path)
    except ContentError as exc:
        print("\n".join(str(p) for p in exc.problems))
        return 1
    print(f"OK: {path} has {len(book.coaches)} coach(es).")
    return 0


def _content_check(args: argparse.Namespace) -> int:
    from bot.core.loading import check_content
    from bot.core.problems import shown_path

    root = args.path or settings.content_root()
    spec = args.topics or settings.topics_spec()
    _, problems = check_content(root, spec)
    errors = [p for p in problems if p.severity == "error"]
    warnings = [p for p in problems if p.severity == "warning"]
    by_lang: dict[str, list[str]] = {}
    for problem in problems:
        by_lang.setdefault(problem.lang or "shared", []).append(str(problem))
    for lang in ["shared", *SUPPORTED]:
        if lang in by_lang:
            print(f"== {lang} ({len(by_lang[lang])})")
            print("\n".join(by_lang[lang]))
    spec_note = f"checked against {shown_path(spec)}" if spec else "no required-topics file"
    if errors:
        print(f"\n{len(errors)} error(s), {len(warnings)} warning(s) in {shown_path(root)} "
              f"({spec_note}).")
        return 1
    print(f"OK: {shown_path(root)} has no errors ({len(warnings)} warning(s); {spec_note}).")
    return 0
