"""What every `ltc` command module shares (issue 19: split from ltc_dashboard/cli/main.py so that ltc_dashboard/cli/main.py, which
wires the commands, and the command modules (`ltc_dashboard/cli/readings.py`, `ltc_dashboard/cli/appointments.py`,
`ltc_dashboard/cli/record_requests.py`, `ltc_dashboard/cli/repeats.py`) import this and not each other): the usage error, the --db,
--patient and --as options, opening the service and the viewer, and one safe line of output."""

from __future__ import annotations

import argparse

from ltc_dashboard import textsafe


class UsageError(ValueError):
    """The command line asks for something that cannot be done, in words the user can act on."""


def db_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", metavar="FILE", help="the store file (default: $LTC_DB, else your data folder)")


def open_service(db):
    from ltc_dashboard.service.core import open_service as open_it

    return open_it(db)


def parse_viewer(patient_id: str, text: str):
    """The Viewer the --as option names, or a UsageError that says how to name one."""
    from ltc_dashboard.gate.access import Viewer, ViewerError

    try:
        return Viewer.parse(patient_id, text)
    except ViewerError as exc:
        raise UsageError(str(exc)) from None


def _viewer_for(service, args, today):
    if args.patient not in {p.id for p in service.patients(today)}:
        raise UsageError(f"No patient with id '{args.patient:.64}' in the store. `ltc patients` lists them.")
    return parse_viewer(args.patient, args.as_viewer)


def _tsv(*fields) -> str:
    """One line of tab-separated fields, record text as plain text (textsafe): no control, bidi
    or zero-width character reaches the terminal, and no tab or line break splits a field."""
    return "\t".join(" ".join(textsafe.plain(field).split()) for field in fields)


def _viewer_options(parser: argparse.ArgumentParser) -> None:
    """--patient and --as, shared by every command that reads one person's record."""
    parser.add_argument("--patient", required=True, metavar="ID")
    parser.add_argument("--as", dest="as_viewer", default="patient", metavar="VIEWER",
                        help="patient (default), clinic, or proxy:RelatedPerson/ID")


def imported(args, what: str):
    """(service, viewer, today) for a command that keeps something with an imported record; a
    UsageError in the same words for each (`what`: "to keep readings with") on the demo store."""
    from ltc_dashboard import settings  # at call time, as open_service loads the service

    service = open_service(args.db)
    if service.is_demo:
        raise UsageError(f"nothing has been imported yet, so there is no record {what}: import the record first "
                         "(ltc import), or name the store with --db")
    today = settings.today()
    return service, _viewer_for(service, args, today), today
