"""`ltc order-repeat`: order a repeat prescription from the command line (issue 21).

With --server the order is sent to that FHIR server as a Task, with --token (better: LTC_TOKEN) or
else the connection the app keeps for this holder; without --server it is prepared as a message to
the practice and printed. Either way it is kept with the person's own content.

Exit statuses as for the rest of `ltc`: 0 sent or prepared; 1 not sent (the server refused it, the
token cannot write, the server could not be reached): the words say what to do; 2 nothing could be
done (an unknown patient or medicine, a medicine not offered, a viewer who may not order).
"""

from __future__ import annotations

import sys

from ltc_dashboard import textsafe
from ltc_dashboard.cli import common as cli


def _said(text: str) -> str:
    """Record words and refusals on one line, safe for a terminal."""
    return " ".join(textsafe.plain(text).split())


def cmd_order(args) -> int:
    from ltc_dashboard.intake import sync  # at call time, as the other commands load what they read: not on every `ltc` start
    from ltc_dashboard.service.repeats import OrderRefused

    service, viewer, today = cli.imported(args, "to order for")
    token = args.token or (sync.token_from_env() if args.server else None)
    try:
        if not args.server:
            _, message = service.prepare_order(viewer, today, [args.medication])
            print(message, end="")
            print("Prepared as a message to the practice (kept with your orders; not sent anywhere).", file=sys.stderr)
            return 0
        outcome = service.send_order(viewer, today, args.medication, args.server.strip(), token or None)
    except OrderRefused as exc:
        print(f"ltc: {_said(str(exc))}", file=sys.stderr)
        return 2
    if outcome.sent:
        print(_said(outcome.words) + (f" (Task/{outcome.server_id})" if outcome.server_id else ""))
        return 0
    print(f"ltc: not sent. {_said(outcome.words)}", file=sys.stderr)
    return 1


def add_parsers(commands) -> None:
    """The `order-repeat` command, on `ltc`'s parser."""
    p_order = commands.add_parser("order-repeat", help="order a repeat prescription: sent to a FHIR server, or "
                                                       "prepared as a message to the practice")
    cli._viewer_options(p_order)
    p_order.add_argument("--medication", required=True, metavar="ID",
                         help="the repeat's MedicationRequest id (the authorisation or any issue of it)")
    p_order.add_argument("--server", metavar="URL", help="the FHIR server to send it to (default: prepare a message)")
    p_order.add_argument("--token", metavar="TOKEN",
                         help="bearer token (better: set LTC_TOKEN); default: the connection the app keeps")
    cli.db_option(p_order)
    p_order.set_defaults(func=cmd_order)
