"""Where things are and what day it is: the checkout's data folders, "today", the login switch.

`LTC_TODAY=YYYY-MM-DD` freezes "today" (tests and demonstrations); otherwise it is today's date
in the UK. Which store is read (`LTC_DB`, `--db`, the per-user store or the demo store) is
ltc_dashboard/intake/stores.py's, since the demo store is made by an import.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from zoneinfo import ZoneInfo

from ltc_dashboard.record.dates import uk_today

ROOT = Path(__file__).resolve().parent.parent  # the checkout: data/ sits beside ltc_dashboard/
DEMO_DIR = ROOT / "data" / "demo"
UK = ZoneInfo("Europe/London")


class SettingsError(ValueError):
    """A setting (environment variable or option) has a value that cannot be used."""


def today() -> dt.date:
    """Today's date in the UK, or the frozen date in LTC_TODAY (the rule is record.dates.uk_today;
    a bad LTC_TODAY is said here as a SettingsError)."""
    try:
        return uk_today()  # the one rule (ltc_dashboard/record/dates.py)
    except ValueError:
        return parse_day(os.environ.get("LTC_TODAY"), "LTC_TODAY")


def login_configured() -> bool:
    """True when a sign-in is configured (LTC_LOGIN set): the local-mode choice of view in the URL
    is then off, and who is viewing comes from the sign-in alone."""
    return bool(os.environ.get("LTC_LOGIN"))


def parse_day(text: str, what: str = "date") -> dt.date:
    """A YYYY-MM-DD date, or a SettingsError that says what was wrong."""
    try:
        return dt.date.fromisoformat(text)
    except (TypeError, ValueError):
        raise SettingsError(f"{what} must be a date like 2026-03-05, not '{text:.40}'") from None
