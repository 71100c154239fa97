"""Who is looking at a record: the patient, a proxy (a RelatedPerson acting for them) or the clinic
shared screen. The gate (ltc_dashboard/gate/access.py) decides what each may see; this is only the name of
the viewer, split from the gate's module to keep it within the house's file size."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel


class ViewerError(ValueError):
    """A viewer was described in a way that names no known kind of viewer."""


class Viewer(BaseModel, frozen=True):
    """Who is looking: the patient, a proxy (a RelatedPerson), or the clinic shared screen."""

    kind: Literal["patient", "proxy", "clinic"]
    patient_id: str
    proxy_id: str | None = None  # the RelatedPerson id, for a proxy

    @classmethod
    def parse(cls, patient_id: str, text: str) -> "Viewer":
        """Read `patient`, `clinic` or `proxy:RelatedPerson/ID` (the CLI and URL form)."""
        text = (text or "").strip()
        if text in ("patient", "clinic"):
            return cls(kind=text, patient_id=patient_id)
        if text.startswith("proxy:RelatedPerson/") and len(text) > len("proxy:RelatedPerson/"):
            return cls(kind="proxy", patient_id=patient_id, proxy_id=text.split("/", 1)[1])
        raise ViewerError(
            f"Unknown viewer '{text:.60}'. Use patient, clinic or proxy:RelatedPerson/ID."
        )

    @property
    def key(self) -> str:
        """A stable text key (for caches and the access log): never shared between viewers."""
        return f"{self.patient_id}|{self.kind}|{self.proxy_id or ''}"

    def __str__(self) -> str:
        return f"proxy:RelatedPerson/{self.proxy_id}" if self.kind == "proxy" else self.kind
