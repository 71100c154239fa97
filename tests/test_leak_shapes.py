"""The leak property over real shapes (issue 13): records over every resource type the store
keeps, every R4 reference form, every label placement, versions in any order and time zone,
entered-in-error in every status element, prognosis and CPR codes wherever R4 puts codes, and
carer Consents with every provision element, nested at any depth.

Each generated entry carries a unique marker (HIDQX7nnnnZ) in every text field. The oracle in
tests/leak_oracle.py, written from the issue and R4 without calling the gate, decides which
markers each viewer (patient, clinic screen, every carer, an unknown carer) must never see; no
such marker may reach that viewer's summary (JSON and Markdown), `ltc summary`, any export (FHIR
Bundle with base64 decoded, CSV, PDF as pdftotext reads it) or letter search for it. Two control
entries must show, so an output that went empty would fail.

One test per shape family (tests/leak_families.py); a family main still leaks is a strict xfail
naming its issue-13 item, so its fix turns it into an XPASS the lead must act on. The mixed
property then draws several families that hold into one record.
"""

from __future__ import annotations

import base64
import contextlib
import io
import json
import os
import re
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from leak_families import BY_NAME, FAMILIES, Family
from leak_oracle import MARKER, TODAY, must_hide, viewers_of
from leak_shapes import SHOWN_LETTER, SHOWN_RESULT, START, Marks, base_record, write_files

VARIANTS = 3  # drawn variants per family, beside its explicit example
# Stores in memory where the machine has it: each case writes a fresh store, and the store's
# fsyncs (synchronous=FULL) on disk took twice the test's CPU time.
MEMORY = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None


def build_case(families: list[tuple[Family, dict]], start_anyway: bool = False) -> tuple[list, object]:
    """The files of one record holding the given families' shapes, and its access start."""
    marks = Marks()
    start = START if start_anyway or any(f.start for f, _ in families) else None
    files = [base_record(start)]
    for family, params in families:
        files += family.build(marks, params)
    return files, start


def viewer_outputs(service, viewer, db: Path, hidden: set[str], thorough: bool) -> dict[str, str]:
    """Every output one viewer reaches, as text (exports decoded)."""
    from ltc_dashboard.exports import FORMATS
    from ltc_dashboard.summary.sheet import summary_markdown

    summary = service.summary(viewer, TODAY)
    found = {"summary": summary.model_dump_json(), "sheet": summary_markdown(summary),
             "record": service.record(viewer, TODAY).model_dump_json()}
    for fmt in FORMATS:
        if fmt == "pdf" and not thorough:
            continue
        data = service.export(viewer, TODAY, fmt).data
        found[fmt] = pdf_text(data) if fmt == "pdf" else decoded(data.decode("utf-8-sig"))
    for mark in sorted(hidden):
        letters = service.search_letters(viewer, TODAY, mark)
        found[f"search {mark}"] = repr(letters) + (
            f" {mark} FOUND" if letters else "")
    if thorough:
        found["ltc summary"] = cli_summary(db, str(viewer))
    return found


def decoded(text: str) -> str:
    """An export's text with every base64 `data` value decoded beside it."""
    extra = [base64.b64decode(v).decode("utf-8", "replace") for v in re.findall(r'"data":\s*"([A-Za-z0-9+/=]+)"', text)]
    return "\n".join([text, *extra])


def pdf_text(data: bytes) -> str:
    """The PDF's text as pypdf extracts it, and again without spaces, line breaks or hyphens (a
    marker wrapped over two lines still counts)."""
    from pypdf import PdfReader

    text = "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages)
    return text + "\n" + re.sub(r"[\s\-]+", "", text)


def cli_summary(db: Path, viewer: str) -> str:
    """`ltc summary` for this viewer in both formats, run in-process."""
    from ltc_dashboard.cli import main as cli

    out = io.StringIO()
    for fmt in ("json", "md"):
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
            cli.main(["summary", "--patient", "p1", "--as", viewer, "--format", fmt, "--db", str(db),
                      "--today", TODAY.isoformat()])
    return out.getvalue()


def check(files: list, start, thorough: bool = False) -> None:
    """Import the files in order; for every viewer, no must-hide marker in any output, and the
    controls shown to the patient, the clinic screen and the fully permitted carer."""
    from ltc_dashboard.gate.access import Viewer
    from ltc_dashboard.service.core import Service
    from ltc_dashboard.store import Store
    from ltc_dashboard.intake.ingest import import_paths

    folder = Path(tempfile.mkdtemp(prefix="leak-shapes-", dir=MEMORY))
    try:
        db = folder / "shapes.db"
        store = Store(db)
        import_paths(store, write_files(folder, files))
        service = Service(store)
        every = {m for f in files for m in MARKER.findall(json.dumps(f))}
        leaks = {}
        for name in [*viewers_of(files), "proxy:RelatedPerson/unknown"]:
            hidden = must_hide(files, name, start) if name != "proxy:RelatedPerson/unknown" else every
            texts = viewer_outputs(service, Viewer.parse("p1", name), db, hidden, thorough)
            for where, text in texts.items():
                upper = text.upper()
                shown = sorted(m for m in hidden if m in upper)
                if shown:
                    leaks[f"{name} / {where}"] = shown
            if name in ("patient", "clinic", "proxy:RelatedPerson/rp1"):
                assert SHOWN_RESULT in texts["fhir"] and SHOWN_LETTER in texts["summary"], f"{name}: controls not shown"
                assert service.search_letters(Viewer.parse("p1", name), TODAY, SHOWN_LETTER), "letter search found nothing"
        store.close()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    assert not leaks, f"hidden markers shown: {leaks}"


def _param(family: Family):
    marks = [pytest.mark.xfail(strict=True, reason=family.leak)] if family.leak else []
    return pytest.param(family, marks=marks, id=family.name)


@pytest.mark.parametrize("family", [_param(f) for f in FAMILIES])
def test_no_marker_of_a_hidden_entry_reaches_any_output(family):
    """For this shape family, its explicit example (with PDF and `ltc summary`) and a few drawn
    variants leak no must-hide marker to any viewer's summary, sheet, export or letter search."""
    check(*build_case([(family, family.explicit)]), thorough=True)

    @settings(max_examples=VARIANTS, derandomize=True, database=None, deadline=None,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    @given(params=family.draw(), start=st.booleans())
    def variants(params, start):
        check(*build_case([(family, params)], start_anyway=start))

    variants()


HOLDING = [f for f in FAMILIES if not f.leak]
mixed_case = st.lists(st.sampled_from(HOLDING).flatmap(lambda f: f.draw().map(lambda p: (f, p))),
                      min_size=2, max_size=6, unique_by=lambda pair: pair[0].name)


@settings(max_examples=25, derandomize=True, database=None, deadline=None,
          phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
@given(families=mixed_case, start=st.booleans())
def test_mixed_shapes_that_hold_alone_hold_together(families, start):
    """Several holding families in one record (shared carers, controls and access start) leak
    nothing either: one shape's entries do not unlock another's."""
    check(*build_case(families, start_anyway=start))


def test_the_shapes_cover_every_type_the_app_reads():
    """The generated types include every type the app fetches, validates, dates or maps, and
    every shape family names the issue-13 item it pins."""
    from connectors.fhir_server import APP_TYPES
    from connectors.validate_subject import _SUBJECT_KEYS
    from ltc_dashboard.record.dates import _CLINICAL_DATE_FIELDS
    from leak_shapes import TYPES

    app_types = set(APP_TYPES) | set(_SUBJECT_KEYS) | set(_CLINICAL_DATE_FIELDS)
    assert app_types - {"Patient", "RelatedPerson", "Consent"} <= set(TYPES)
    assert {"MedicationDispense", "MedicationAdministration", "FamilyMemberHistory", "RiskAssessment",
            "Composition"} <= set(TYPES)
    assert all(1 <= f.item <= 11 for f in FAMILIES) and "other-carers-record" in BY_NAME
