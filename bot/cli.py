"""The ``wegweiser`` command."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from collections.abc import Sequence

from bot.answer import AnswerKind
from bot.catalog.loader import ContentError, load_catalog
from bot.catalog.status import format_status, translation_status
from bot.config import ConfigError, Settings
from bot.library import Library

log = logging.getLogger("wegweiser")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="wegweiser",
        description="Wegweiser: a multilingual guide to local services for migrants.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log more detail")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.add_parser("console", help="chat with the bot in this terminal")

    ask = sub.add_parser("ask", help="find the entry that answers a question")
    ask.add_argument("question", nargs="?", help="the question (omit with --jsonl)")
    ask.add_argument("--language", help="the language the question is asked in, if known")
    ask.add_argument(
        "--jsonl", action="store_true", help="read questions from standard input, one per line"
    )

    content = sub.add_parser("content", help="check the content files")
    content_sub = content.add_subparsers(dest="content_command", metavar="ACTION")
    content_sub.add_parser("check", help="validate content/ and locales/")
    status = content_sub.add_parser("status", help="which translations are missing or outdated")
    status.add_argument("--format", choices=("text", "json"), default="text")

    locales = sub.add_parser("locales", help="maintain the UI translation catalogs")
    locales_sub = locales.add_subparsers(dest="locales_command", metavar="ACTION")
    locales_sub.add_parser("update", help="extract UI strings and merge them into every catalog")

    unanswered = sub.add_parser("unanswered", help="list questions the bot could not answer")
    unanswered.add_argument("--limit", type=int, default=100)

    sub.add_parser("matrix", help="run the Matrix bot (settings: MATRIX_* variables)")
    sub.add_parser("run", help="run the bot on every configured platform in one process")

    sub.add_parser("telegram", help="run the Telegram bot (settings: TELEGRAM_* variables)")
    links = sub.add_parser("links", help="print links that open the bot on a topic, for flyers")
    links.add_argument("--platform", choices=("telegram", "matrix"), default="telegram")
    links.add_argument("--format", choices=("text", "csv"), default="text")
    links.add_argument("--qr", metavar="DIR", help="also write one QR code per link into DIR")
    return parser


def _ask_record(library: Library, question: str, language: str | None) -> dict[str, object]:
    answer = library.answerer.answer(question, language)
    best = answer.best
    alternatives = [m.slug for m in answer.matches if not best or m.slug != best.slug]
    return {
        "question": question,
        "language": answer.language,
        "entry": best.slug if best else None,
        "alternatives": alternatives[:3],
        "score": round(answer.score, 4),
    }


def cmd_ask(settings: Settings, args: argparse.Namespace) -> int:
    library = Library.load(settings.content_dir, settings.locales_dir)
    if args.jsonl:
        for line in sys.stdin:
            question = line.rstrip("\r\n")
            record = _ask_record(library, question, args.language)
            sys.stdout.write(json.dumps(record, ensure_ascii=False) + "\n")
        sys.stdout.flush()
        return 0
    if not args.question:
        print("wegweiser ask: give a question, or --jsonl to read questions", file=sys.stderr)
        return 2
    answer = library.answerer.answer(args.question, args.language)
    catalog = library.catalog
    if answer.best:
        entry = catalog.entries[answer.best.slug]
        text = catalog.text(entry, answer.language or args.language or catalog.source_language)
        print(f"{entry.slug} (score {answer.score:.2f})\n\n{text.title}\n\n{text.body}")
        return 0
    if answer.kind is AnswerKind.AMBIGUOUS:
        print("No single answer; close candidates: " + ", ".join(m.slug for m in answer.matches))
    elif answer.kind is AnswerKind.GREETING:
        print("A greeting: the bot shows its main menu.")
    else:
        print("No confident match.")
    return 1


def cmd_content_check(settings: Settings) -> int:
    from bot.locales import check

    try:
        catalog = load_catalog(settings.content_dir)
    except ContentError as exc:
        for problem in exc.problems:
            print(problem)
        print(f"{len(exc.problems)} problem(s) in {settings.content_dir}.")
        return 1
    root = settings.locales_dir.resolve().parent
    problems = check(settings.locales_dir, list(catalog.languages), root)
    for warning in catalog.warnings:
        print(f"warning: {warning}")
    for status in translation_status(catalog).values():
        for slug in status.outdated:
            path, new_hash = status.fixes[slug]
            print(f"warning: {path}: outdated, the German text changed (new hash {new_hash})")
    errors = [p for p in problems if not p.warning]
    for problem in problems:
        print(problem)
    from bot.answer.check import check_vocabulary  # search words: locales/<code>/search.yaml

    vocabulary_errors, vocabulary_warnings = check_vocabulary(settings.locales_dir, catalog)
    for message in vocabulary_errors:
        print(message)
    for message in vocabulary_warnings:
        print(f"warning: {message}")
    if errors or vocabulary_errors:
        print(f"{len(errors) + len(vocabulary_errors)} problem(s) in {settings.locales_dir}.")
        return 1
    print(
        f"OK: {len(catalog.entries)} entries, {len(catalog.services)} services, "
        f"{len(catalog.languages)} languages."
    )
    return 0


def cmd_content_status(settings: Settings, output_format: str) -> int:
    from bot.locales import extract_template

    catalog = load_catalog(settings.content_dir)
    ui_messages = {str(m.id) for m in extract_template() if m.id}
    report = translation_status(catalog, settings.locales_dir, ui_messages)
    if output_format == "json":
        print(json.dumps({code: s.as_json() for code, s in report.items()}, ensure_ascii=False))
    else:
        print(format_status(report))
    return 0


def cmd_locales_update(settings: Settings) -> int:
    from bot.locales import update

    catalog = load_catalog(settings.content_dir)
    for path in update(settings.locales_dir, list(catalog.languages)):
        print(f"updated {path}")
    return 0


async def cmd_console(settings: Settings) -> int:
    from bot.adapters.console import run_console
    from bot.app import App  # the database layer is not loaded for 'ask' and 'content'

    app = await App.open(settings)
    watcher = asyncio.create_task(app.library.watch(settings.reload_seconds or 10))
    try:
        await run_console(app.conversation)
    finally:
        watcher.cancel()
        await app.close()
    return 0


async def cmd_unanswered(settings: Settings, limit: int) -> int:
    from bot.app import App

    app = await App.open(settings)
    try:
        rows = await app.store.list_unanswered(limit)
    finally:
        await app.close()
    if not rows:
        print("No unanswered questions are stored.")
    for row in rows:
        print(f"{row.created_at:%Y-%m-%d %H:%M}  [{row.language or '?'}]  {row.question}")
    return 0


def run(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    settings = Settings.from_env()
    if args.command == "console":
        return asyncio.run(cmd_console(settings))
    if args.command == "ask":
        return cmd_ask(settings, args)
    if args.command == "content" and args.content_command == "check":
        return cmd_content_check(settings)
    if args.command == "content" and args.content_command == "status":
        return cmd_content_status(settings, args.format)
    if args.command == "locales" and args.locales_command == "update":
        return cmd_locales_update(settings)
    if args.command == "unanswered":
        return asyncio.run(cmd_unanswered(settings, args.limit))
    if args.command in ("matrix", "telegram", "run"):
        from bot.adapters.runner import run_platforms

        if log.getEffectiveLevel() > logging.INFO:  # a service says that it runs, and what it skips
            logging.getLogger("bot").setLevel(logging.INFO)
        names = None if args.command == "run" else [args.command]
        return asyncio.run(run_platforms(settings, names))
    if args.command == "links":
        from bot.links import links_command

        return links_command(settings, args.platform, args.format, args.qr)
    _parser().print_help()
    return 2


def main(argv: Sequence[str] | None = None) -> int:
    # Undecodable input must not end the program; replace it and carry on.
    for stream in (sys.stdin, sys.stdout):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="replace")
    try:
        return run(argv)
    except ConfigError as exc:
        print(f"wegweiser: configuration error: {exc}", file=sys.stderr)
    except ContentError as exc:
        print("wegweiser: the content cannot be loaded:", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
    except KeyboardInterrupt:
        return 130
    return 1
