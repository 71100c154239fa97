"""`ltc appointments`: the person's appointments as a calendar file or a list (issue 21).

    ltc appointments --patient ID --format ics --out FILE   (every upcoming appointment going ahead)
    ltc appointments --patient ID [--as VIEWER]             (a list, upcoming first)

Read through the service and the access gate like `ltc summary`: a carer's file holds only what
their consent lets them see. Exit 0 done; 2 nothing could be done (an unknown patient, a file
that cannot be written).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import cli_common as cli
import settings
import textsafe
from record.appointments import status_words, when_words


def cmd_appointments(args) -> int:
    service = cli.open_service(args.db)
    today = settings.today()
    viewer = cli._viewer_for(service, args, today)
    if args.format == "ics":
        if not args.out:
            raise cli.UsageError("say where to write the calendar file with --out FILE")
        data, _ = service.calendar_file(viewer, today, stamp=dt.datetime.now(dt.timezone.utc))
        try:
            Path(args.out).write_bytes(data)
        except OSError as exc:
            raise cli.UsageError(f"cannot write {args.out}: {exc.strerror}") from None
        return 0
    for line in service.summary(viewer, today).appointments:
        parts = [when_words(line), status_words(line.status), line.description or "appointment"]
        parts += [f"with {line.with_}"] if line.with_ else []
        parts += [f"at {line.where}"] if line.where else []
        print(" ".join(textsafe.plain(" - ".join(parts)).split()))
    return 0


def add_parsers(commands) -> None:
    """The `appointments` command, on `ltc`'s parser."""
    p_appts = commands.add_parser("appointments", help="list appointments, or write them as a calendar (.ics) file")
    cli._viewer_options(p_appts)
    p_appts.add_argument("--format", choices=("list", "ics"), default="list")
    p_appts.add_argument("--out", metavar="FILE", help="with --format ics: the file to write")
    cli.db_option(p_appts)
    p_appts.set_defaults(func=cmd_appointments)
