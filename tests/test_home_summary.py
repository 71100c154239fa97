"""The home blood pressure average and the home blood sugar panel in the summary, the sheet, the
PDF and the shared screen (issue 20): `home_average` in the JSON (null with a sentence when there
is no usable week), never a change to series, checks, "last done" or counts; the comparison only
where the person's target is NG136's. Inputs: the demo records (data/demo; dm-patient has type 2
diabetes and a personal blood pressure Goal) and readings written here by hand."""

from __future__ import annotations

import datetime as dt
import json

from conditions.base import ConditionView, MeasureView
from conditions.home import with_home_average
from ltc_dashboard.record.models import PatientInfo
from ltc_dashboard.summary.sheet import summary_markdown
from test_exports_support import (  # noqa: F401  (fixtures)
    export_store_template, service, today, viewer,
)
from test_leaks import pdf_text

DM = "dm-patient"
LINE = "Home blood pressure: average 138/86 mmHg from 24 readings, 12 to 18 November 2026"


def add_week(service, who, first: int = 12, days: int = 7, value: str = "138/86") -> None:
    """Hand-written: 12 to 18 November, two readings a minute apart morning and evening."""
    for day in range(first, first + days):
        for time in ("07:00", "07:01", "19:00", "19:01"):
            service.add_reading(who, today(), "bp", value, f"2026-11-{day} {time}")


def bp_json(summary) -> dict:
    data = json.loads(summary.model_dump_json())
    return next(m for v in data["conditions"] for m in v["measures"] if m["id"] == "bp_systolic")


def gp_parts(summary) -> list:
    """Everything of each view but what home readings add, as JSON."""
    out = []
    for view in summary.conditions:
        data = view.model_dump(mode="json")
        data["panels"] = [p for p in data["panels"] if p["id"] != "home_glucose"]
        for m in data["measures"]:
            for key in ("home_series", "home_average", "home_average_note"):
                m.pop(key)
        out.append(data)
    return out


def test_a_usable_week_gives_home_average_with_the_contract_keys(service):
    """7 days of readings: `home_average` with from, to, count, systolic, diastolic, target, source;
    dm-patient's personal Goal means no home target is compared, and the note says why."""
    add_week(service, viewer(DM))
    found = bp_json(service.summary(viewer(DM), today()))["home_average"]
    assert {k: found[k] for k in ("from", "to", "count", "systolic", "diastolic")} == {
        "from": "2026-11-12", "to": "2026-11-18", "count": 24, "systolic": 138, "diastolic": 86}
    assert found["target"] is None and found["source"] is None
    assert "your personal target" in found["target_note"]


def test_too_few_days_give_null_and_a_plain_sentence_on_the_sheet(service):
    """3 days: `home_average` null, and the sheet says why instead of an average."""
    add_week(service, viewer(DM), first=16, days=3)
    summary = service.summary(viewer(DM), today())
    assert bp_json(summary)["home_average"] is None
    sheet = summary_markdown(summary)
    assert "Home blood pressure: 12 readings on 3 days (16 to 18 November 2026). No average is shown" in sheet
    assert "average" not in sheet.split("## Home readings")[1].split("##")[0].split("No average")[0]


def test_home_readings_never_change_series_checks_last_done_or_counts(service):
    """A usable week of high readings and blood sugars change no series, check, last done, due
    count or question: everything but what home readings add is the same JSON."""
    me = viewer(DM)
    before = service.summary(me, today())
    add_week(service, me, value="171/99")
    service.add_reading(me, today(), "glucose", "13.1", "2026-11-20 07:00", context="before a meal")
    after = service.summary(me, today())
    assert bp_json(after)["home_average"]["systolic"] == 171
    assert gp_parts(after) == gp_parts(before)
    due = [(c.id, c.status, c.last_done) for v in after.conditions for c in v.checks]
    assert due == [(c.id, c.status, c.last_done) for v in before.conditions for c in v.checks]
    assert [q.text for q in after.questions] == [q.text for q in before.questions]


def test_the_sheet_and_the_pdf_say_the_average_in_words(service):
    """The Markdown sheet has a Home readings section with the line; the PDF carries the same words."""
    add_week(service, viewer(DM))
    summary = service.summary(viewer(DM), today())
    sheet = summary_markdown(summary)
    assert "## Home readings" in sheet and LINE in sheet
    pdf = " ".join(pdf_text(service.export(viewer(DM), today(), "pdf").data).split())
    assert LINE in pdf


def test_the_shared_screen_shows_the_average_unless_hidden(service):
    """The clinic sheet has the home line until the person hides home readings in Settings."""
    add_week(service, viewer(DM))
    clinic = viewer(DM, "clinic")
    assert LINE in summary_markdown(service.summary(clinic, today()))
    service.set_preference(viewer(DM), "shared_screen_readings", "hide")
    hidden = service.summary(clinic, today())
    assert "Home blood pressure" not in summary_markdown(hidden) and bp_json(hidden)["home_average"] is None


def _bp_view(basis: str | None, personal: bool = False) -> ConditionView:
    """A hand-made view with one blood pressure measure whose target comes from `basis`."""
    measure = MeasureView(id="bp_systolic", name="Systolic", plain_name="top number", unit="mm[Hg]",
                          display_unit="mmHg", target="below 140", target_basis=basis,
                          target_source="NICE guideline NG203" if basis == "[NG203]" else "NICE guideline NG136",
                          target_personal=personal)
    return ConditionView(id="x", title="X", measures=[measure])


def test_the_home_target_is_compared_only_where_the_target_is_ng136():
    """An NG136 clinic target: the home target is compared; an NG203 (kidney) target: not, and
    the note names that source, so a looser home number never reads as reassuring."""
    from test_home_average import ADULT, week

    readings = week(dt.date(2026, 11, 12), 7)
    general = with_home_average(_bp_view("[NG136] (wording unverified)"), readings, ADULT).measures[0]
    assert general.home_average.target == "below 135/85 mmHg"
    kidney = with_home_average(_bp_view("[NG203]"), readings, ADULT).measures[0]
    assert kidney.home_average.target is None and "NICE guideline NG203" in kidney.home_average.target_note
    no_birth = with_home_average(_bp_view("[NG136 1.4.21]"), readings, PatientInfo(id="p")).measures[0]
    assert no_birth.home_average.target is None and "no date of birth" in no_birth.home_average.target_note
    shown_none = _bp_view(None).model_copy(update={"measures": [_bp_view(None).measures[0].model_copy(
        update={"target": None})]})  # results only, or end of life: the view shows no target
    bare = with_home_average(shown_none, readings, ADULT).measures[0]
    assert bare.home_average.target is None and "no blood pressure target is shown here" in bare.home_average.target_note


def test_someone_who_has_died_keeps_the_average_without_a_target():
    """The closed view of someone who has died (§11.10) keeps the average and drops its target."""
    from ltc_dashboard.summary.core import closed_view
    from test_home_average import ADULT, week

    view = with_home_average(_bp_view("[NG136] (wording unverified)"), week(dt.date(2026, 11, 12), 7), ADULT)
    closed = closed_view(view).measures[0].home_average
    assert (closed.systolic, closed.count) == (137, 24)
    assert closed.target is None and closed.below_target is None and closed.source is None
