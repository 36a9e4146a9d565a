"""What goes out on request: `announce` (to the channel and the list) and `digest` (printed, saved or sent)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from typer.core import TyperCommand

from bot.cli.common import DataDir, app, err, fail, open_runtime, opened, own_index, parse_now, where_sent, write_file
from bot.config import Settings

if TYPE_CHECKING:
    from typer._click import Context, HelpFormatter  # the click that Typer bundles and calls commands with


class AnnounceHelp(TyperCommand):
    """`announce --help` ends with the templates in PROMPTS_DIR and the fields each takes."""

    def format_epilog(self, ctx: Context, formatter: HelpFormatter) -> None:
        super().format_epilog(ctx, formatter)
        from bot.announcements.templates import described

        try:
            lines = [(name, fields) for name, _, fields in
                     (line.partition(": ") for line in described(Settings().prompts_dir))]
        except Exception as error:  # a bad setting or a broken template must not hide the help
            lines = [("(none listed)", str(error))]
        with formatter.section("Templates and their --var fields ([optional])"):
            formatter.write_dl(lines)


@app.command("announce", cls=AnnounceHelp)
def announce_command(
    template: Annotated[str, typer.Argument(help="a template in prompts/announcements/, e.g. general")],
    var: Annotated[list[str] | None, typer.Option("--var", metavar="KEY=VALUE",
                                                  help="a field of the template (repeat for each)")] = None,
    to: Annotated[str, typer.Option("--to", metavar="slack,email",
                                    help="destinations: slack, email, or slack,email")] = "slack",
    at: Annotated[str | None, typer.Option("--at", metavar="TIME",
                                           help="ISO-8601 time to send at; now if omitted")] = None,
    now_if_past: Annotated[bool, typer.Option("--now-if-past", help="if --at has passed, send now")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="show what would be sent, send nothing")] = False,
    corrects: Annotated[int | None, typer.Option("--corrects", metavar="ID",
                                                 help="id of the announcement this corrects")] = None,
    data_dir: DataDir = None,
) -> None:
    """Announce to the announcements channel and the list: rendered, recorded, sent once, indexed.

    Everything is checked for every destination before anything is stored or sent."""
    import getpass

    from bot.announcements.compose import AnnouncementError, prepare
    from bot.announcements.records import record
    from bot.outbox.keys import announcement_key
    from bot.storage.models import OutboxStatus

    runtime = open_runtime(data_dir)
    settings = runtime.settings
    send_at = parse_now(at, "--at")
    if send_at is not None and send_at <= datetime.now(UTC):
        if not now_if_past:
            raise fail(f"--at '{at}' has passed: give a later time, or add --now-if-past to send it now")
        err.print(f"--at '{at}' has passed: sending now (--now-if-past)", highlight=False)
        send_at = None
    variables = {}
    for item in var or []:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise fail(f"--var '{item}' is not KEY=VALUE")
        variables[key.strip()] = value
    try:
        prepared = prepare(settings, runtime.registry.editions, template, variables,
                           [t.strip() for t in to.split(",") if t.strip()], send_at)
    except AnnouncementError as error:
        raise fail(str(error)) from error
    prepared.corrects = corrects
    print(prepared.text)
    if dry_run:
        err.print(f"dry run: nothing sent (would go to {', '.join(map(str, prepared.destinations))} "
                  f"at {prepared.send_at:%Y-%m-%d %H:%M} UTC)", highlight=False)
        return
    announcement = record(runtime.db, runtime.outbox, prepared, getpass.getuser(), settings.prompts_dir,
                          settings.mail_from, editions=runtime.registry.editions)
    if prepared.send_at > datetime.now(UTC):
        err.print(f"scheduled announcement {announcement.id} for {prepared.send_at:%Y-%m-%d %H:%M} UTC; "
                  "the running bot sends it", highlight=False)
        return
    owner = own_index(settings)  # held until the command ends
    if owner is None:  # the running bot sends it, and indexes it once sent
        err.print(f"announcement {announcement.id} queued: the running bot sends it within "
                  f"{settings.reload_interval:g} s", highlight=False)
        return
    opened(runtime.open_store)  # a sent announcement is indexed: the index must be usable first
    rows = [row for row in runtime.outbox.of_key(announcement_key(announcement.id))
            if row.due_at <= datetime.now(UTC)]
    outcomes = [runtime.sender.send(row.id) or "taken" for row in rows]
    said = [f"{medium}: {where_sent(settings, medium) if outcome == OutboxStatus.SENT else outcome}"
            for medium, outcome in zip((row.destination.split(":")[0] for row in rows), outcomes, strict=True)]
    err.print(f"announcement {announcement.id}: {'; '.join(said)}", highlight=False)
    if OutboxStatus.FAILED in outcomes:
        raise typer.Exit(1)


@app.command("digest")
def digest_command(
    now: Annotated[str | None, typer.Option("--now", metavar="TIME",
                                            help="ISO-8601 time: the digest of the slot at it")] = None,
    out: Annotated[Path | None, typer.Option("--out", metavar="FILE", help="write the email to this .eml file")] = None,
    send: Annotated[bool, typer.Option("--send", help="deliver it through the outbox (once per slot)")] = False,
    data_dir: DataDir = None,
) -> None:
    """Build the mailing-list digest for the latest DIGEST_CRON slot; print, save or send it."""
    from bot.digest import build as digest
    from bot.deliveries import EMAIL, PermanentError
    from bot.deliveries.dkim_signing import DkimSigner
    from bot.deliveries.email import compose, wire_bytes
    from bot.storage.models import OutboxMessage, OutboxStatus

    runtime = open_runtime(data_dir)
    settings = runtime.settings
    moment = parse_now(now) or datetime.now(UTC)
    db, editions = runtime.db, runtime.registry.editions
    if (send or out) and not settings.mailing_list.strip():  # said before anything is built or stored
        raise fail("digest: MAILING_LIST is not set: nowhere to send")
    if send:
        queued = digest.queue(settings, db, runtime.outbox, editions, moment, **runtime.digest_helpers())
        name = f"digest {queued.slot:%Y-%m-%d %H:%M} UTC"
        if queued.row is None:
            err.print(f"{name}: nothing to say, not sent", highlight=False)
            return
        if queued.row.status == OutboxStatus.SENT:
            err.print(f"{name} was already sent", highlight=False)
            return
        if not queued.fresh:  # left pending or failed by an earlier try: this one is meant to send it
            err.print(f"{name}: retrying (last error: {queued.row.last_error or 'none'})", highlight=False)
            runtime.outbox.release(queued.row.id, queued.row.last_error or "retried")
        outcome = runtime.sender.send(queued.row.id)
        err.print(f"{name}: {outcome}", highlight=False)
        if outcome != OutboxStatus.SENT:
            raise typer.Exit(1)
        return
    slot, since = digest.slot_at(settings, moment)
    built = digest.build(settings, db, editions, slot, since, reviewed=digest.review_of(settings, db, slot),
                         **runtime.digest_helpers())
    if built.empty:
        err.print(f"digest {slot:%Y-%m-%d %H:%M} UTC: nothing to say", highlight=False)
        return
    body = digest.render(settings, built)
    if out is None:
        print(json.loads(body)["text"])
        return
    newest = editions.default
    try:
        mail = compose(OutboxMessage(key=built.key, destination=str(EMAIL), kind="digest", body=body),
                       settings, newest.contact if newest else None, newest.label if newest else None)
        raw = wire_bytes(mail, DkimSigner.from_settings(settings))
    except PermanentError as error:  # no MAILING_LIST, a bad address, an unreadable DKIM key: said in one line
        raise fail(f"digest: {error}") from error
    write_file(out, raw)
    err.print(f"digest written to {out}", highlight=False)
