"""Shared builders for the gate-shape tests of issue 13 items 3, 5, 6 and 7 (no tests of its own).

Every record here is hand-made for issue 13 in shapes FHIR R4 allows (hl7.org/fhir/R4, each
type's own page), imported through the real importer (`ingest.import_items`, which runs the
validator) into a fresh store, and opened through `service.Service` for the patient, a carer with
a Consent and the clinic shared screen. Each entry carries a unique marker in its narrative and
identifier, so a marker in any output (summary JSON, the Markdown sheet, the FHIR and CSV exports,
the PDF sheet when asked) means the entry reached it.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

from ltc_dashboard.gate.access import Viewer
from ltc_dashboard.intake.ingest import import_items
from ltc_dashboard.service.core import Service
from ltc_dashboard.store import Store
from ltc_dashboard.summary.sheet import summary_markdown
from test_leaks import pdf_text  # noqa: F401  (one reading of a PDF sheet for every leak test)

TODAY = dt.date(2026, 11, 25)
ACT = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
CONF = "http://terminology.hl7.org/CodeSystem/v3-Confidentiality"
SCT = "http://snomed.info/sct"
NOPAT = {"system": ACT, "code": "NOPAT"}
PATIENT_REF = {"reference": "Patient/p1"}

VIEWERS = {
    "patient": Viewer.parse("p1", "patient"),
    "proxy": Viewer.parse("p1", "proxy:RelatedPerson/rp1"),
    "clinic": Viewer.parse("p1", "clinic"),
}


def patient() -> dict:
    return {"resourceType": "Patient", "id": "p1", "name": [{"text": "Pat Shapes"}], "birthDate": "1950-01-01"}


def carer(data_start: str | None = None) -> list[dict]:
    """A RelatedPerson and the Consent that lets them see the record (from `data_start` if given)."""
    provision: dict = {"type": "permit", "period": {"start": "2020-01-01"},
                       "actor": [{"reference": {"reference": "RelatedPerson/rp1"}}]}
    if data_start:
        provision["dataPeriod"] = {"start": data_start}
    return [{"resourceType": "RelatedPerson", "id": "rp1", "active": True, "patient": PATIENT_REF,
             "name": [{"text": "Cara Carer"}]},
            _privacy_consent("carer-consent", provision)]


def access_start(start: str) -> dict:
    """The patient's own online-access Consent: the record starts on `start`."""
    return _privacy_consent("start-consent", {"type": "permit", "actor": [{"reference": PATIENT_REF}],
                                              "dataPeriod": {"start": start}})


def _privacy_consent(cid: str, provision: dict) -> dict:
    return {"resourceType": "Consent", "id": cid, "status": "active", "dateTime": "2020-01-01",
            "scope": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/consentscope",
                                  "code": "patient-privacy"}]},
            "category": [{"coding": [{"system": ACT, "code": "INFA"}]}],
            "patient": PATIENT_REF, "provision": provision}


def marked(rtype: str, rid: str, marker: str, patient_key: str = "subject", **fields) -> dict:
    """A resource of `rtype` for Pat, its marker in its narrative and identifier."""
    return {"resourceType": rtype, "id": rid,
            "text": {"status": "generated", "div": f'<div xmlns="http://www.w3.org/1999/xhtml">{marker}</div>'},
            "identifier": [{"system": "urn:ltc:test", "value": marker}], patient_key: PATIENT_REF, **fields}


def observation(rid: str, marker: str, date: str = "2025-06-01", **fields) -> dict:
    """A result whose name (code text) and value carry the marker."""
    return marked("Observation", rid, marker, status="final", code={"text": f"Test {marker}"},
                  valueString=f"Value {marker}", effectiveDateTime=date, **fields)


def service_with(folder: Path, resources: list[dict], reveal: bool = False) -> Service:
    """A Service over a new store holding `resources`, imported through the real importer."""
    store = Store(folder / f"shapes-{len(list(folder.glob('*.db')))}.db")
    report = import_items(store, resources)
    assert not report.rejected, [r.reason for r in report.rejected]
    if reveal:
        store.set_preference("p1", "eol_show_prognosis", "yes")
    return Service(store)


def outputs(service: Service, viewer: Viewer, pdf: bool = False) -> dict[str, str]:
    """Every output one viewer reaches without the UI, as text."""
    summary = service.summary(viewer, TODAY)
    found = {"summary": summary.model_dump_json(), "sheet": summary_markdown(summary),
             "fhir": service.export(viewer, TODAY, "fhir").data.decode("utf-8"),
             "csv": service.export(viewer, TODAY, "csv").data.decode("utf-8-sig")}
    if pdf:
        found["pdf"] = pdf_text(service.export(viewer, TODAY, "pdf").data)
    return found


HAS_PDFTOTEXT = shutil.which("pdftotext") is not None


def shown(service: Service, viewer: Viewer) -> set[str]:
    """`Type/id` of everything the viewer's gate passed, shared resources included."""
    return set(service.open(viewer, TODAY).visible.key_set)


def leaks(service: Service, markers: list[str], viewers=tuple(VIEWERS.values()), pdf: bool = False) -> list:
    """(viewer, output, marker) for every marker found in any output of any of the viewers."""
    found = []
    for viewer in viewers:
        for name, text in outputs(service, viewer, pdf).items():
            found += [(str(viewer), name, m) for m in markers if m in text]
    return found
