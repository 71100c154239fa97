"""`ltc request`: prepare a request to the practice for more of the record (issue 21), keep it with
the person's own content, and write it as a printable PDF or as text.

    ltc request --patient ID --kind historic|sar|proxy [--carer NAME [--relationship WORDS]
                [--access appointments,prescriptions,record]] [--details TEXT] --format pdf|text --out FILE
                [--as VIEWER] [--db FILE]

Exit statuses as for the rest of `ltc`: 0 done; 2 nothing could be done (what was typed fails its
check, a viewer who may not make that request, an unknown patient, a file that cannot be written).
What was typed is checked first, then the file is opened for writing (an existing one is not
emptied yet), then the request is kept: a path that cannot be written keeps nothing, and a request
that is refused leaves an existing file as it was.
"""

from __future__ import annotations

import os
import sys

from ltc_dashboard import textsafe
from ltc_dashboard.cli import common as cli
from ltc_dashboard.record.record_requests import KINDS, KIND_WORDS, PROXY_ACCESS, RequestInvalid, check


def _said(text: str) -> str:
    """Words that may quote what was typed, safe for a terminal: one line, nothing invisible."""
    return " ".join(textsafe.plain(text).split())


def _open_out(path: str) -> tuple[int, bool]:
    """The output file opened for writing but not yet emptied (readable by its owner only: it holds
    health details), and whether it is new: so a request refused after this leaves an existing file
    as it was."""
    existed = os.path.lexists(path)
    try:
        return os.open(path, os.O_WRONLY | os.O_CREAT, 0o600), not existed
    except OSError as exc:
        raise cli.UsageError(f"cannot write {path}: {exc.strerror}; nothing was kept") from None


def _access(text: str | None) -> list[str]:
    return [part.strip() for part in (text or "").split(",") if part.strip()]


def cmd_request(args) -> int:
    if args.kind == "proxy" and not (args.carer or "").strip():
        raise cli.UsageError("a proxy-access request names the carer: add --carer 'Full Name'; nothing was kept")
    if args.kind != "proxy" and (args.carer or args.relationship or args.access):
        raise cli.UsageError("--carer, --relationship and --access belong only to --kind proxy; nothing was kept")
    service, viewer, today = cli.imported(args, "to keep the request with")
    fields = {"details": args.details}
    if args.kind == "proxy":
        fields.update(carer_name=args.carer, relationship=args.relationship, access=_access(args.access))
    try:  # checked before the file is touched; kept only once the file can be written
        check(viewer.patient_id, args.kind, today, service.author_of(viewer), **fields)
    except RequestInvalid as exc:
        for reason in exc.problems.values():
            print(f"ltc: {_said(reason)}", file=sys.stderr)
        print("ltc: nothing was kept", file=sys.stderr)
        return 2
    if args.kind not in service.request_kinds(viewer, today):
        from ltc_dashboard.service.record_requests import refusal  # at call time: it loads the PDF writer, which `ltc import` never needs

        raise cli.UsageError(_said(refusal(viewer, args.kind)))
    fd, new = _open_out(args.out)
    try:
        request = service.make_request(viewer, today, args.kind, **fields)
    except BaseException:
        os.close(fd)
        if new:
            os.unlink(args.out)
        raise
    document = service.request_document(viewer, today, request, args.format)
    with os.fdopen(fd, "wb") as out:
        out.truncate(0)
        out.write(document if isinstance(document, bytes) else document.encode("utf-8"))
    due = f"; answer due by {request.due.isoformat()}" if request.due else ""
    print(f"Kept {KIND_WORDS[request.kind].lower()} made {request.made.isoformat()}{due} (request {request.id}).")
    print(f"Wrote {args.out} ({args.format}) for the {viewer.kind} view.", file=sys.stderr)
    service.log_access(viewer, f"record request ({args.kind}) via ltc")
    return 0


def add_parsers(commands) -> None:
    """The `request` command, on `ltc`'s parser."""
    p_request = commands.add_parser("request", help="prepare and keep a request to the practice for more of the "
                                                    "record, as PDF or text")
    cli._viewer_options(p_request)
    p_request.add_argument("--kind", required=True, choices=KINDS,
                           help="historic: online access to the full record; sar: a subject access request "
                                "(answer due in one calendar month); proxy: proxy access for a carer")
    p_request.add_argument("--carer", metavar="NAME", help="proxy only: the carer's full name (required)")
    p_request.add_argument("--relationship", metavar="WORDS", help="proxy only: how the carer is related to the "
                                                                   "patient, e.g. daughter (else a line to fill in)")
    p_request.add_argument("--access", metavar="LIST", help="proxy only: what the carer should be able to do, "
                                                            "comma-separated: " + ", ".join(PROXY_ACCESS)
                                                            + " (else boxes to tick)")
    p_request.add_argument("--details", metavar="TEXT", help="anything to add in the person's own words")
    p_request.add_argument("--format", required=True, choices=("pdf", "text"))
    p_request.add_argument("--out", required=True, metavar="FILE")
    cli.db_option(p_request)
    p_request.set_defaults(func=cmd_request)
