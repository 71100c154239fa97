"""Leak tests for home readings (issue 20): the readings of a patient a viewer may not see never
reach that viewer's summary JSON (home series, home average, blood sugar panel), sheet, PDF or
FHIR and CSV exports; and a carer whose consent does not allow adding cannot add, import, change
or remove a reading. Inputs: the demo store (data/demo: six records, carers and an attorney) and
readings with marker values written here by hand (173/97 mmHg and 17.3 mmol/L appear in no demo
record)."""

from __future__ import annotations

import datetime as dt

import pytest

from ltc_dashboard.gate.access import Viewer
from ltc_dashboard.record.readings import check
from ltc_dashboard.service.core import Service
from ltc_dashboard.service.readings import ReadingRefused
from ltc_dashboard.summary.sheet import summary_markdown
from test_leaks import demo_viewers, pdf_text

TODAY = dt.date(2026, 11, 25)
OWNER = "dm-patient"
MARKERS = ("173/97", "17.3", "Home blood pressure", "home_glucose", "Home blood sugar", "home/")


@pytest.fixture(scope="module")
def marked(tmp_path_factory):
    """The demo store with a usable home week and blood sugars for dm-patient only."""
    from ltc_dashboard.intake import stores

    store = stores.demo_store(tmp_path_factory.mktemp("leaks-home"))
    service = Service(store)
    me = Viewer(kind="patient", patient_id=OWNER)
    for day in range(12, 19):
        for time in ("07:00", "19:00"):
            service.add_reading(me, TODAY, "bp", "173/97", f"2026-11-{day} {time}")
    service.add_reading(me, TODAY, "glucose", "17.3", "2026-11-20 07:30", context="before a meal")
    yield service
    store.close()


def outputs(service: Service, viewer: Viewer, pdf: bool = False) -> str:
    summary = service.summary(viewer, TODAY)
    texts = [summary.model_dump_json(), summary_markdown(summary)]
    texts += [service.export(viewer, TODAY, fmt).data.decode("utf-8-sig") for fmt in ("fhir", "csv")]
    if pdf:
        texts.append(pdf_text(service.export(viewer, TODAY, "pdf").data))
    return "\n".join(texts)


def test_the_owner_and_the_shared_screen_do_see_them(marked):
    """The control: the person and their shared screen see the average, the panel and the values."""
    for kind in ("patient", "clinic"):
        text = outputs(marked, Viewer(kind=kind, patient_id=OWNER))
        assert all(m in text for m in MARKERS), kind


def test_no_other_viewer_sees_another_patients_home_readings(marked):
    """Every demo viewer of another record, and every carer (none entered these), gets none of
    the readings, the average, the panel or a home point id, in any output."""
    others = [v for v in demo_viewers(marked) if v.patient_id != OWNER or v.kind == "proxy"]
    assert len(others) >= 10
    for viewer in others:
        text = outputs(marked, viewer)
        assert not [m for m in MARKERS if m in text], viewer


@pytest.mark.parametrize("who", ["RelatedPerson/nobody", "RelatedPerson/dem-rp-son", "RelatedPerson/mh-rp-1"])
def test_a_stranger_carer_of_this_patient_sees_nothing_even_in_the_pdf(marked, who):
    """A RelatedPerson who is no carer of dm-patient (or whose consent is for someone else, or
    ended) gets no home reading in the summary, the sheet, the exports or the PDF."""
    text = outputs(marked, Viewer(kind="proxy", patient_id=OWNER, proxy_id=who), pdf=True)
    assert not [m for m in MARKERS if m in text]
    assert marked.readings(Viewer(kind="proxy", patient_id=OWNER, proxy_id=who), TODAY) == []


def test_a_carer_without_the_add_action_cannot_add_import_change_or_remove(tmp_path):
    """The daughter without consent-action `correct`: adding, saving an accepted file's readings,
    changing and deleting are all refused, and nothing is saved or changed."""
    from ltc_dashboard.intake import stores

    from test_feedback import DAUGHTER

    store = stores.demo_store(tmp_path)
    service = Service(store)
    carer = Viewer.parse("dem-patient", DAUGHTER)
    patient = Viewer(kind="patient", patient_id="dem-patient")
    kept = service.add_reading(patient, TODAY, "weight", "61.3", "2026-11-19 08:00")
    assert service.may_add_readings(carer, TODAY) is False
    checked = check("dem-patient", "weight", "60", "2026-11-20 08:00", TODAY, service.author_of(carer))
    for attempt in (lambda: service.add_reading(carer, TODAY, "weight", "60", "2026-11-20 08:00"),
                    lambda: service.save_readings(carer, TODAY, [checked]),
                    lambda: service.update_reading(carer, TODAY, kept.id, "weight", "50", "2026-11-19 08:00"),
                    lambda: service.delete_reading(carer, TODAY, kept.id)):
        with pytest.raises(ReadingRefused):
            attempt()
    assert [(r.id, r.value) for r in service.readings(patient, TODAY)] == [(kept.id, 61.3)]
    store.close()
