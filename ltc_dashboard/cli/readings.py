"""`ltc reading add|list|import`: the person's home readings from the command line (issue 20).

Exit statuses as for the rest of `ltc`: 0 done; 1 a file imported in part (--accept-valid with
rejected rows) or nothing saved because some rows were rejected; 2 nothing could be done (a reading
that fails its check, a viewer who may not add, a file that is not readings, an unknown patient).
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

from ltc_dashboard import settings
from ltc_dashboard import textsafe
from ltc_dashboard.cli import common as cli
from ltc_dashboard.intake.reading_csv import CsvKinds, CsvUnusable, read
from ltc_dashboard.intake.reading_csv_dates import ORDER_WORDS, ORDERS
from ltc_dashboard.record.readings import GLUCOSE_CONTEXTS, KIND_WORDS, KINDS, ReadingInvalid


def _said(text: str) -> str:
    """Words that quote what was typed or read from a file, safe for a terminal: no control, bidi
    or zero-width character (an escape sequence in a file cannot move the cursor), one line."""
    return " ".join(textsafe.plain(text).split())


def _opened(args):
    return cli.imported(args, "to keep readings with")


def _refused(service, viewer, today) -> None:
    if not service.may_add_readings(viewer, today):
        why = " (a carer can when the consent on the record lets them add to it)" if viewer.kind == "proxy" else ""
        raise cli.UsageError(f"the {viewer.kind} view cannot add home readings{why}; nothing was saved")


def _now(today: dt.date) -> dt.datetime:
    now = dt.datetime.now(settings.UK)
    if now.date() != today:
        raise cli.UsageError("say when the reading was taken with --at (for example --at '2026-11-12 07:30')")
    return now


def cmd_add(args) -> int:
    service, viewer, today = _opened(args)
    _refused(service, viewer, today)
    now = None if args.at else _now(today)
    try:
        reading = service.add_reading(viewer, today, args.kind, args.value, args.at, context=args.context,
                                      pulse=args.pulse, now=now)
    except ReadingInvalid as exc:
        for reason in exc.problems.values():
            print(f"ltc: {_said(reason)}", file=sys.stderr)
        print("ltc: nothing was saved", file=sys.stderr)
        return 2
    print(f"Saved {KIND_WORDS[reading.kind]} {reading.value_text} taken {reading.taken_at.isoformat()} "
          f"(reading {reading.id}).")
    return 0


def cmd_list(args) -> int:
    service, viewer, today = _opened(args)
    for reading in service.readings(viewer, today):
        print(cli._tsv(reading.id, reading.taken_at.isoformat(), reading.kind, reading.value_text,
                       GLUCOSE_CONTEXTS.get(reading.context or "", ""), reading.author))
    service.log_access(viewer, "home readings via ltc")
    return 0


def _columns(pairs: list[str] | None) -> dict[str, str]:
    chosen = {}
    for pair in pairs or ():
        role, sep, name = pair.partition("=")
        if not sep or not role.strip() or not name.strip():
            raise cli.UsageError(f"--column takes ROLE=HEADER, like --column systolic='Reading 1'; not '{pair:.40}'")
        chosen[role.strip().casefold()] = name.strip()
    return chosen


def cmd_import(args) -> int:
    service, viewer, today = _opened(args)
    _refused(service, viewer, today)
    try:
        data = Path(args.file).read_bytes()
    except OSError as exc:
        raise cli.UsageError(f"cannot read {args.file}: {exc.strerror}") from None
    try:
        found = read(data, viewer.patient_id, today, service.author_of(viewer), args.kind, _columns(args.column),
                     args.dates)
    except CsvKinds as exc:
        raise cli.UsageError(_said(f"{args.file}: {str(exc).rstrip('.')} with --kind "
                                   f"{' or --kind '.join(exc.kinds)}. Nothing was saved.")) from None
    except CsvUnusable as exc:
        raise cli.UsageError(_said(f"{args.file}: {exc} Nothing was saved.")) from None
    new, kept = service.not_yet_kept(viewer, today, found.readings)
    print(f"{args.file}: {len(found.good)} {KIND_WORDS[found.kind]} reading(s) can be kept, "
          f"{len(found.rejected)} rejected, {kept} already kept.")
    print("  columns: " + _said(", ".join(f"{role} = '{name}'" for role, name in found.columns.items())))
    _said_dates(found)
    for line, earlier in found.repeated:
        print(f"  line {line} repeats line {earlier}: kept once")
    for line, reason in found.rejected:
        print(f"rejected: {args.file} (line {line}): {_said(reason)}", file=sys.stderr)
    if found.both_ways:
        print("ltc: say which way round the file writes dates with --dates day-first or --dates month-first",
              file=sys.stderr)
    if found.rejected and not args.accept_valid:
        print(f"ltc: {len(found.rejected)} row(s) rejected, so nothing was saved. Correct them, or run again "
              f"with --accept-valid to save the {len(found.good)} good one(s).", file=sys.stderr)
        return 1
    service.save_readings(viewer, today, new)
    print(f"Saved {len(new)} reading(s).")
    return 1 if found.rejected else 0


def _said_dates(found) -> None:
    """How the file's dates were read, when it writes them with slashes (either way round)."""
    order = found.dates
    if order is not None and order.order:
        print(f"  dates: read {ORDER_WORDS[order.order]} ({_said(order.why)})")
    elif order is not None and found.both_ways:
        print(f"  dates: not known which way round ({_said(order.why)})")


def add_parsers(commands) -> None:
    """The `reading` command and its subcommands, on `ltc`'s parser."""
    p_reading = commands.add_parser("reading", help="add, list or import the person's own home readings")
    sub = p_reading.add_subparsers(dest="reading_command", required=True)

    p_add = sub.add_parser("add", help="keep one home reading (blood pressure as 138/86)")
    cli._viewer_options(p_add)
    p_add.add_argument("--kind", required=True, choices=KINDS)
    p_add.add_argument("--value", required=True, metavar="V",
                       help="bp as 138/86; glucose in mmol/L; weight in kg, '12 st 4 lb' or '180 lb'")
    p_add.add_argument("--pulse", metavar="BPM", help="blood pressure only: the pulse, if measured")
    p_add.add_argument("--at", metavar="DATETIME", help="when it was taken, e.g. '2026-11-12 07:30' (UK time unless"
                                                        " an offset is given; default: now)")
    p_add.add_argument("--context", metavar="WHEN", help="glucose only: " + ", ".join(GLUCOSE_CONTEXTS))
    cli.db_option(p_add)
    p_add.set_defaults(func=cmd_add)

    p_list = sub.add_parser("list", help="list the home readings this viewer may see, oldest first")
    cli._viewer_options(p_list)
    cli.db_option(p_list)
    p_list.set_defaults(func=cmd_list)

    p_import = sub.add_parser("import", help="import home readings from a CSV file a device or app exported")
    p_import.add_argument("file", metavar="FILE")
    cli._viewer_options(p_import)
    p_import.add_argument("--kind", choices=KINDS, help="which readings to take when the file has several kinds")
    p_import.add_argument("--column", action="append", metavar="ROLE=HEADER",
                          help="which column holds what where the header does not say (repeatable); roles: "
                               "datetime, date, time, bp, systolic, diastolic, pulse, glucose, weight, context, unit")
    p_import.add_argument("--dates", choices=ORDERS,
                          help="how the file writes dates like 05/11/2026, when no row shows it: day-first "
                               "(5 November) or month-first (11 May)")
    p_import.add_argument("--accept-valid", action="store_true",
                          help="save the good rows even when some are rejected (otherwise nothing is saved)")
    cli.db_option(p_import)
    p_import.set_defaults(func=cmd_import)

