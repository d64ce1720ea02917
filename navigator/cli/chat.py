"""CLI commands around the chat: ask a question, export feedback, purge stored conversations."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import click

from navigator.cli.support import handled
from navigator.config import Settings, get_settings

if TYPE_CHECKING:
    from navigator.storage.conversations import ConversationStore


@click.command()
@click.argument("message")
@click.option("--lang", "language", default=None, help="The language you write in (detected when omitted).")
@click.option("--json", "as_json", is_flag=True, help="Print the reply as the API's JSON.")
def ask(message: str, language: str | None, as_json: bool) -> None:
    """Ask the navigator MESSAGE and print its cited reply (nothing is stored)."""
    from navigator.answer.chat import ChatInput
    from navigator.api.schemas import ChatResponse
    from navigator.assembly import build_chat_service, build_searcher

    settings = get_settings()
    with handled():
        service = build_chat_service(settings, build_searcher(settings), None)
        turn = service.reply(ChatInput(message, language))
    reply = ChatResponse.from_turn(turn)
    if as_json:
        click.echo(reply.model_dump_json(indent=2))
        return
    click.echo(click.style(f"[{reply.status}, {reply.language}]", bold=True))
    click.echo(reply.answer)
    for c in reply.citations:
        click.echo(f"\n[{c.n}] {c.title} > {c.section}" + (f" ({c.url})" if c.url else ""))
    for g in reply.glossary:
        click.echo(f"\n{g.term}: {g.explanation}")
    click.echo("\n" + reply.safety_line.text)


CSV_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")  # spreadsheets would run these as formulas


def open_conversation_store(settings: Settings) -> ConversationStore:
    """The conversation store named by ``settings``, for commands that read or delete but never add text."""
    from navigator.storage.conversations import ConversationStore

    # Nothing these commands write contains text, so there is nothing to redact.
    return ConversationStore(settings.database_path, retention_days=settings.retention_days, redact=lambda t: t)


def format_feedback_csv(rows: list[dict[str, object]]) -> str:
    """Feedback rows as CSV with a header; citations as a JSON string; user text made safe for spreadsheets."""
    import csv
    import io

    from navigator.storage.conversations import FEEDBACK_EXPORT_FIELDS

    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(FEEDBACK_EXPORT_FIELDS)
    for row in rows:
        cells = []
        for key in FEEDBACK_EXPORT_FIELDS:
            value = row[key]
            if key == "citations":
                value = json.dumps(value, ensure_ascii=False)
            elif isinstance(value, bool):
                value = "true" if value else "false"
            elif isinstance(value, str) and value.startswith(CSV_FORMULA_STARTS):
                value = "'" + value
            cells.append("" if value is None else value)
        writer.writerow(cells)
    return buffer.getvalue()


@click.group()
def feedback() -> None:
    """Export what families said about the replies."""


@feedback.command("export")
@click.option(
    "--format", "fmt", type=click.Choice(["json", "csv"]), default="json", show_default=True, help="Output format."
)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Write to this file instead of stdout.")
def feedback_export(fmt: str, out: Path | None) -> None:
    """Print every feedback row with the question and reply it is about."""
    settings = get_settings()
    with handled():
        store = open_conversation_store(settings)
        try:
            rows = store.export_feedback()
        finally:
            store.close()
    text = format_feedback_csv(rows) if fmt == "csv" else json.dumps(rows, ensure_ascii=False, indent=2) + "\n"
    if out is None:
        click.echo(text, nl=False)
        return
    from navigator.storage.files import atomic_write

    with atomic_write(out) as handle:
        handle.write(text)
    click.echo(f"Wrote {len(rows)} feedback rows to {out}", err=True)


@click.group()
def conversations() -> None:
    """Manage stored conversation history."""


@conversations.command("purge")
@click.option("--older-than-days", type=click.IntRange(min=0), help="Delete conversations idle for this many days.")
@click.option("--id", "conversation_id", help="Delete this one conversation.")
def conversations_purge(older_than_days: int | None, conversation_id: str | None) -> None:
    """Delete conversations with their replies and feedback (give --older-than-days or --id)."""
    if (older_than_days is None) == (conversation_id is None):
        raise click.UsageError("Give exactly one of --older-than-days and --id.")
    settings = get_settings()
    with handled():
        store = open_conversation_store(settings)
        try:
            deleted = store.purge(older_than_days=older_than_days, conversation_id=conversation_id)
        finally:
            store.close()
    click.echo(f"Deleted {deleted} conversation{'' if deleted == 1 else 's'}.")


@feedback.command("drafts")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Write the drafts to this JSONL file.")
def feedback_drafts_command(out: Path | None) -> None:
    """Turn "not useful" feedback into draft evaluation items for staff to review and complete."""
    from evals.datasets import feedback_drafts

    settings = get_settings()
    with handled():
        store = open_conversation_store(settings)
        try:
            drafts = feedback_drafts(store.export_feedback())
        finally:
            store.close()
    text = "".join(json.dumps(d, ensure_ascii=False) + "\n" for d in drafts)
    if out is None:
        click.echo(text, nl=False)
    else:
        from navigator.storage.files import atomic_write

        with atomic_write(out) as handle:
            handle.write(text)
    click.echo(f"{len(drafts)} draft items (from feedback marked not useful)", err=True)
