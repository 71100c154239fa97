"""Sign-ins remembered on the server so a reload (or a phone's pull-to-refresh) in the same browser
keeps the person signed in, as the same viewer, on the page they were on.

A reload starts a new Streamlit session with empty `st.session_state`. The browser keeps only a
random token (the `ltc_session` cookie, no expiry, SameSite=Strict); who it stands for lives here,
in this server process's memory, never on disk and never in the browser. A token is worth nothing
once it is forgotten (sign out, quick exit), left unused for `IDLE_LIMIT`, or the server restarts:
then the person sees a plain "You were signed out for your security" and signs in again.
Quick exit drops the token's cookie and sets `EXITED_COOKIE` (no token, nothing about the person) for
`EXITED_MAX_AGE`, so a reload in that browser shows the neutral page again (issue 18).

What is kept is exactly what the session held: the role, the viewer, (in shared-screen mode)
the patient's own viewer behind it, and the link already applied. So a carer comes back as the same RelatedPerson, and the
clinic shared screen comes back as the shared screen, never as the patient's own view.

A sign-in dropped for idleness is handed to `on_expire` (pages/state.py sets it to forget the
views the session opened in the server's `Service`, hazard H24): that happens when any later call
notices it, so a closed tab's views go at the next sign-in or reload on the server.

No streamlit here, so the rules are tested directly (tests/test_sessions.py).
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

COOKIE = "ltc_session"
EXITED_COOKIE = "ltc_exited"  # set to "1" by quick exit: no token, nothing about the person
EXITED_MAX_AGE = 12 * 60 * 60  # seconds the browser keeps that mark (a reload the same day stays neutral)
IDLE_LIMIT = 20 * 60  # seconds without a run before a remembered sign-in is forgotten
_TOKEN_BYTES = 32


@dataclass(frozen=True)
class Held:
    """What a session held when it was last remembered."""
    role: dict
    viewer: object  # gate.access.Viewer
    home: object | None  # the patient's own Viewer behind the shared screen, if on
    kept: frozenset = frozenset()  # every Viewer the session opened: forgotten when it ends (H24)
    applied: tuple | None = None  # the ?patient=&viewer= pair already acted on: a reload does not apply it again


class SignIns:
    """Token to `Held`, with the time each was last used; safe across the server's threads."""

    def __init__(self, clock: Callable[[], float] = time.monotonic, idle_limit: float = IDLE_LIMIT) -> None:
        self._clock = clock
        self._idle_limit = idle_limit
        self._held: dict[str, tuple[Held, float]] = {}
        self._lock = threading.Lock()
        self._expired: list[Held] = []  # dropped idle, not yet handed to `on_expire`
        self.on_expire: Callable[[Held], None] | None = None  # pages/state.py: forget its views

    def _hand_over_expired(self) -> None:
        """Give each sign-in dropped for idleness to `on_expire`, outside the lock (a closed tab's
        views in the server are forgotten when the next sign-in notices it expired)."""
        with self._lock:
            expired, self._expired = self._expired, []
        for held in expired:
            if self.on_expire is not None:
                self.on_expire(held)

    def start(self, held: Held) -> str:
        """Remember a new sign-in; returns its new token."""
        token = secrets.token_urlsafe(_TOKEN_BYTES)
        with self._lock:
            self._drop_stale()
            self._held[token] = (held, self._clock())
        self._hand_over_expired()
        return token

    def update(self, token: str | None, held: Held) -> bool:
        """Keep what a live token stands for up to date (a carer switched person, the shared
        screen went on or off); False when the token is unknown or stale (nothing is stored)."""
        with self._lock:
            live = self._live(token)
            if live:
                self._held[token] = (held, self._clock())
        self._hand_over_expired()
        return live

    def touch(self, token: str | None) -> bool:
        """Mark a token used now; False when it is unknown or stale (then it is forgotten)."""
        with self._lock:
            live = self._live(token)
            if live:
                held, _ = self._held[token]
                self._held[token] = (held, self._clock())
        self._hand_over_expired()
        return live

    def restore(self, token: str | None) -> Held | None:
        """What a live token stands for (and mark it used), or None."""
        with self._lock:
            held = None
            if self._live(token):
                held, _ = self._held[token]
                self._held[token] = (held, self._clock())
        self._hand_over_expired()
        return held

    def forget(self, token: str | None) -> None:
        """End a sign-in: the token restores nothing from now on."""
        with self._lock:
            self._held.pop(token or "", None)

    def __len__(self) -> int:
        with self._lock:
            self._drop_stale()
            count = len(self._held)
        self._hand_over_expired()
        return count

    def _live(self, token: str | None) -> bool:
        """Whether the token is held and fresh; a stale one is dropped. Caller holds the lock."""
        if not token or token not in self._held:
            return False
        if self._clock() - self._held[token][1] > self._idle_limit:
            self._expired.append(self._held.pop(token)[0])
            return False
        return True

    def _drop_stale(self) -> None:
        now = self._clock()
        for token in [t for t, (_, used) in self._held.items() if now - used > self._idle_limit]:
            self._expired.append(self._held.pop(token)[0])


SIGN_INS = SignIns()  # one per server process: module state outlives the script's reruns
