"""`ltc`: import records, list patients, print the pre-consultation summary; home readings in ltc_dashboard/cli/readings.py.

Every command that shows clinical data reads it through the access gate (`ltc_dashboard/gate/access.py`),
as the patient unless `--as` names another viewer.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from connectors.base import ConnectorError
from ltc_dashboard import exports
from ltc_dashboard import settings
from ltc_dashboard import textsafe
from ltc_dashboard.cli.common import (  # noqa: F401  (the commands' shared parts; `cli.UsageError` is read by callers)
    UsageError, _tsv, _viewer_for, _viewer_options, db_option as _db_option, open_service, parse_viewer,
)
from ltc_dashboard.intake import stores
from ltc_dashboard.intake.ingest import import_paths
from ltc_dashboard.record.tables import read_table
from ltc_dashboard.store import StoreError

# The view ids from their table (data/terminology/views.csv), read without loading the condition
# modules; tests/test_chosen_views.py checks they are conditions.REGISTRY's, in its order.
VIEW_IDS = tuple(row["id"] for row in read_table("views.csv", ("id",)))
# The commands that read records load the gate, the summary and the sheet when they run, so that
# `ltc import` does not spend a fifth of a second loading them.


def _print_counts(title: str, counts) -> None:
    print(title)
    if not counts:
        print("  (nothing)")
    for rtype, number in sorted(counts.items()):
        print(f"  {rtype:<24} {number:>7}")


def cmd_import(args) -> int:
    missing = [p for p in args.paths if not Path(p).exists()]
    if missing:
        for path in missing:
            print(f"{path}: no such file or folder", file=sys.stderr)
    paths = [p for p in args.paths if Path(p).exists()]
    store = stores.write_store(args.db)
    report = import_paths(store, paths)
    put = report.put
    print(f"Imported into {store.path}:")
    print(f"  {'type':<24} {'read':>7} {'new':>7} {'newer':>7} {'same':>7} {'older':>7}")
    for rtype, number in sorted(report.counts.items()):
        print(f"  {rtype:<24} {number:>7} {put.added[rtype]:>7} {put.updated[rtype]:>7}"
              f" {put.unchanged[rtype]:>7} {put.older[rtype]:>7}")
    if not report.counts:
        print("  (nothing)")
    print("  (newer: replaced what was stored; same: already here; older: not applied)")
    for notice in report.notices:
        print(f"note: {notice}", file=sys.stderr)
    for item in report.rejected:
        print(f"rejected: {item.source} ({item.position}): {item.reason}", file=sys.stderr)
    if report.rejected:
        print(f"{len(report.rejected)} item(s) rejected; everything else was imported.", file=sys.stderr)
    if missing:
        return 2 if not sum(report.counts.values()) else 1
    return report.exit_code


def cmd_patients(args) -> int:
    from conditions.problems import clinical_problems
    from ltc_dashboard.gate.access import Viewer

    service = open_service(args.db)
    if service.is_demo:
        print("(demo records: nothing has been imported yet)", file=sys.stderr)
    today = settings.today()
    failed = 0
    for choice in service.patients(today):
        born = choice.birth_date.isoformat() if choice.birth_date else "(no birth date)"
        try:  # one record that cannot be read never stops the list
            record = service.record(Viewer(kind="patient", patient_id=choice.id), today)
        except Exception:  # noqa: BLE001  said on the line, and counted below
            failed += 1
            print(f"{choice.id}\t{choice.name}\t{born}\t(this record could not be read)")
            continue
        conditions = clinical_problems(record)
        print(_tsv(choice.id, choice.name, born, "; ".join(conditions) or "(no active conditions)"))
    if failed:
        print(f"{failed} record(s) could not be read; the others are listed.", file=sys.stderr)
    return 1 if failed else 0


def cmd_export(args) -> int:
    service = open_service(args.db)
    today = settings.today()
    viewer = _viewer_for(service, args, today)
    made = service.export(viewer, today, args.format)
    try:  # readable by its owner only: it holds health records
        fd = os.open(args.out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(made.data)
    except OSError as exc:
        raise UsageError(f"Cannot write {args.out}: {exc.strerror}") from None
    service.log_access(viewer, f"export ({args.format}) via ltc")
    denied = service.open(viewer, today).visible.denied_reason
    if denied:  # the file holds nothing of the record: say why, in the gate's words
        print(f"ltc: {denied}", file=sys.stderr)
    print(f"Wrote {args.out} ({args.format}, {len(made.data):,} bytes) for the {viewer.kind} view.", file=sys.stderr)
    return 0


def cmd_comments(args) -> int:
    service = open_service(args.db)
    today = settings.today()
    viewer = _viewer_for(service, args, today)
    if args.format == "letter":
        print(service.rectification_request(viewer, today))
        return 0
    for item in service.flags(viewer, today):
        print(_tsv(item.id, item.status, item.kind, item.about, item.entry_date, item.entry_says, item.text))
    return 0


def cmd_summary(args) -> int:
    service = open_service(args.db)
    if service.is_demo:
        print("(demo records: nothing has been imported yet)", file=sys.stderr)
    today = settings.parse_day(args.today, "--today") if args.today else settings.today()
    if args.patient not in {p.id for p in service.patients(today)}:
        raise UsageError(f"No patient with id '{args.patient:.64}' in the store. `ltc patients` lists them.")
    viewer = parse_viewer(args.patient, args.as_viewer)
    summary = service.summary(viewer, today, tuple(args.views or ()))
    service.log_access(viewer, f"summary ({args.format}) via ltc")
    if args.format == "json":
        print(textsafe.json_escaped(summary.model_dump_json(indent=2)))
    else:
        from ltc_dashboard.summary.sheet import summary_markdown

        print(summary_markdown(summary))
    return 0


def cmd_sync(args) -> int:
    from ltc_dashboard.intake import sync  # the FHIR server connector is loaded only when syncing

    viewer = parse_viewer(args.patient, args.as_viewer)
    if viewer.kind == "clinic":
        raise UsageError("the shared clinic screen does not sync records: use --as patient or "
                         "--as proxy:RelatedPerson/ID")
    proxy_id = viewer.proxy_id if viewer.kind == "proxy" else None
    token, scope = args.token or sync.token_from_env(), None
    try:
        store = stores.write_store(args.db)
        if proxy_id and not sync.carer_may_sync(store, args.patient, proxy_id, settings.today()):
            print("ltc: this record no longer lets that carer see it (their consent or role has ended, or they "
                  "are not listed to the person), so it was not synced and the server was not contacted",
                  file=sys.stderr)
            return 2
        kept = None if token else sync.kept_tokens(store, args.server, args.patient, proxy_id)
        if kept:  # kept by the app for them
            token, scope = sync.connected_token(store, args.server, args.patient, proxy_id=proxy_id), kept.scope
        elif not token and sync.kept_by_someone_else(store, args.server, args.patient, proxy_id):
            print("ltc: the connection this app keeps to that server for that record was kept by someone other "
                  "than --as names (the person, or one carer), so it is not used; nothing was synced", file=sys.stderr)
            return 2
        report = sync.sync_patient(store, args.server, args.patient, token, full=args.full,
                                   holder=sync.holder(proxy_id), scope=scope)
    except ConnectorError as exc:
        print(f"ltc: sync failed and nothing in the store was changed: {exc}", file=sys.stderr)
        return 2
    kind = "changes since the last sync" if report.incremental else "full record"
    _print_counts(f"Synced {kind} from {report.server} ({report.seconds:.1f} s, "
                  f"{report.fetched.requests} requests):", report.counts)
    if report.deleted:
        _print_counts("Deleted on the server, removed here:", report.deleted)
    for note in [*report.fetched.notes, *report.imported.notices]:
        print(f"note: {note}", file=sys.stderr)
    for item in report.rejected:
        print(f"rejected: {item.source} ({item.position}): {item.reason}", file=sys.stderr)
    for line in report.incomplete:
        print(f"incomplete: {line}", file=sys.stderr)
    if report.incomplete:
        print("ltc: the sync is incomplete: what arrived was stored; run it again or ask the server's "
              "owner about what is missing", file=sys.stderr)
    return report.exit_code


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ltc", description="Long-term condition dashboard: records and summaries")
    commands = parser.add_subparsers(dest="command", required=True)

    p_import = commands.add_parser("import", help="import FHIR R4 files or folders into the store")
    p_import.add_argument("paths", nargs="+", metavar="PATH")
    _db_option(p_import)
    p_import.set_defaults(func=cmd_import)

    p_patients = commands.add_parser("patients", help="list the patients in the store")
    _db_option(p_patients)
    p_patients.set_defaults(func=cmd_patients)

    p_export = commands.add_parser("export", help="write what one viewer may see as PDF sheet, FHIR Bundle or results CSV")
    _viewer_options(p_export)
    p_export.add_argument("--format", required=True, choices=exports.FORMATS)
    p_export.add_argument("--out", required=True, metavar="FILE")
    _db_option(p_export)
    p_export.set_defaults(func=cmd_export)

    p_comments = commands.add_parser("comments", help="list one viewer's comments on entries, or print the correction request")
    _viewer_options(p_comments)
    p_comments.add_argument("--format", choices=("list", "letter"), default="list")
    _db_option(p_comments)
    p_comments.set_defaults(func=cmd_comments)

    p_summary = commands.add_parser("summary", help="print the pre-consultation summary for one viewer and day")
    _viewer_options(p_summary)
    p_summary.add_argument("--today", metavar="YYYY-MM-DD", help="the day to compute for (default: today)")
    p_summary.add_argument("--format", choices=("json", "md"), default="md")
    p_summary.add_argument("--view", dest="views", action="append", metavar="ID", choices=VIEW_IDS,
                           help="show this condition view by choice (repeatable): " + ", ".join(VIEW_IDS))
    _db_option(p_summary)
    p_summary.set_defaults(func=cmd_summary)

    p_sync = commands.add_parser("sync", help="fetch one patient's record from a FHIR R4 server")
    p_sync.add_argument("--server", required=True, metavar="URL", help="the FHIR server's base URL")
    p_sync.add_argument("--patient", required=True, metavar="ID")
    p_sync.add_argument("--token", metavar="TOKEN", help="bearer token (better: set LTC_TOKEN, which ps cannot show)")
    p_sync.add_argument("--full", action="store_true", help="fetch everything, not only what changed")
    p_sync.add_argument("--as", dest="as_viewer", default="patient", metavar="VIEWER",
                        help="whose kept SMART connection to use: patient (default) or proxy:RelatedPerson/ID "
                             "(a carer's)")
    _db_option(p_sync)
    p_sync.set_defaults(func=cmd_sync)

    from ltc_dashboard.cli.readings import add_parsers as add_reading_parsers  # `ltc reading ...` (issue 20)

    add_reading_parsers(commands)
    from ltc_dashboard.cli.appointments import add_parsers as add_appointment_parsers  # `ltc appointments` (issue 21)

    add_appointment_parsers(commands)

    from ltc_dashboard.cli.record_requests import add_parsers as add_request_parsers  # `ltc request ...` (issue 21)

    add_request_parsers(commands)

    from ltc_dashboard.cli.repeats import add_parsers as add_repeat_parsers  # `ltc order-repeat` (issue 21)

    add_repeat_parsers(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (UsageError, settings.SettingsError, StoreError, ConnectorError) as exc:
        print(f"ltc: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # output piped into `head` and the like: stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":  # pragma: no cover
    from ltc_dashboard.cli.main import main as run_as_cli  # the module, not __main__: its UsageError is the one the commands raise

    sys.exit(run_as_cli())
