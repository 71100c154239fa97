"""`ltc appointments`: the person's appointments as a calendar file or a list (issue 21).

    ltc appointments --patient ID --format ics --out FILE   (every upcoming appointment going ahead)
    ltc appointments --patient ID [--as VIEWER]             (a list, upcoming first)

Read through the service and the access gate like `ltc summary`: a carer's file holds only what
their consent lets them see, and a view the gate refuses whole (a consent that has ended) gets
the gate's reason and no file. The calendar is written to a temporary file beside FILE and renamed
over it only when complete, so a refusal or a failure never leaves FILE empty or half written.
Exit 0 done; 2 nothing could be done (an unknown patient, a refused view, a file that cannot be
written).
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import tempfile
from pathlib import Path

from ltc_dashboard import settings
from ltc_dashboard import textsafe
from ltc_dashboard.cli import common as cli


def cmd_appointments(args) -> int:
    from ltc_dashboard.record.appointments import status_words, when_words  # at call time: the models, not on every `ltc` start

    service = cli.open_service(args.db)
    today = settings.today()
    viewer = cli._viewer_for(service, args, today)
    if args.format == "ics" and not args.out:
        raise cli.UsageError("say where to write the calendar file with --out FILE")
    denied = service.open(viewer, today).visible.denied_reason
    if denied:  # nothing of the record for this view: say why, in the gate's words; no file touched
        print(f"ltc: {denied}", file=sys.stderr)
        return 2
    if args.format == "ics":
        data, _ = service.calendar_file(viewer, today, stamp=dt.datetime.now(dt.timezone.utc))
        _replace(Path(args.out), data)
        return 0
    for line in service.summary(viewer, today).appointments:
        parts = [when_words(line), status_words(line.status), line.description or "appointment"]
        parts += [f"with {line.with_}"] if line.with_ else []
        parts += [f"at {line.where}"] if line.where else []
        print(" ".join(textsafe.plain(" - ".join(parts)).split()))
    return 0


def _replace(out: Path, data: bytes) -> None:
    """Write `data` to a temporary file beside `out` (owner-only: health records), then rename it
    over `out`: the old file stays whole until the new one is."""
    try:
        fd, temp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent or ".")
    except OSError as exc:
        raise cli.UsageError(f"cannot write {out}: {exc.strerror}") from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(temp, out)
    except OSError as exc:
        Path(temp).unlink(missing_ok=True)
        raise cli.UsageError(f"cannot write {out}: {exc.strerror}") from None


def add_parsers(commands) -> None:
    """The `appointments` command, on `ltc`'s parser."""
    p_appts = commands.add_parser("appointments", help="list appointments, or write them as a calendar (.ics) file")
    cli._viewer_options(p_appts)
    p_appts.add_argument("--format", choices=("list", "ics"), default="list")
    p_appts.add_argument("--out", metavar="FILE", help="with --format ics: the file to write")
    cli.db_option(p_appts)
    p_appts.set_defaults(func=cmd_appointments)
