"""Every page as the patient sees it: conditions, results, medicines, letters, care plan."""

from __future__ import annotations

import datetime as dt

import pytest

from test_app_support import (  # noqa: F401  (fixtures)
    ACCESS_START_BANNER, BIPOLAR, DEMENTIA, DIABETES, END_OF_LIFE, NOPAT_LETTER, PATIENT_PAGES,
    RHEUMATOID, demo_db, demo_db_template, go, headings, no_errors, open_app, texts, visit_all,
)

ALL_PATIENTS = [DIABETES, END_OF_LIFE, DEMENTIA, "dem2-patient", RHEUMATOID, BIPOLAR]


@pytest.mark.parametrize("patient", ALL_PATIENTS)
def test_every_page_draws_for_every_demo_patient(demo_db, patient):
    """Each demo patient can open every page without an error, and no one sees the NOPAT letter."""
    at = open_app(patient, "patient")
    no_errors(at)
    seen = visit_all(at, PATIENT_PAGES)
    assert NOPAT_LETTER not in seen


def test_condition_page_has_chart_target_source_sentence_and_table(demo_db):
    """A trend chart comes with its target and source in words, a one-sentence summary of the
    period it shows (the last 5 years until the person chooses all) and a table."""
    at = go(open_app(DIABETES, "patient"), "condition")
    no_errors(at)
    assert headings(at) == ["Diabetes"]
    assert at.get("plotly_chart")
    lines = [m.value for m in at.markdown]
    assert any(l.startswith("Target: 53 mmol/mol or below \\(source: your personal target") for l in lines)
    assert any("10 results from 17 January 2022 to 12 October 2026; latest 61 mmol/mol, above your personal "
               "target of 53 mmol/mol" in l for l in lines)
    assert "Table of blood sugar (HbA1c) results" in [e.label for e in at.expander]
    checks = next(t.value for t in at.table if "Check" in t.value.columns)
    eye = checks[checks["Check"] == "Eye screening"].iloc[0]
    assert eye["Status"] == "⚠️ Overdue" and eye["Last done"] == "10 September 2024"


def test_adding_a_suggested_question_keeps_it_in_my_list(demo_db):
    """"Add to my questions" saves the suggestion, which then shows in My questions as kept."""
    at = go(open_app(DIABETES, "patient"), "condition")
    first = at.markdown[[m.value.startswith("Your urine protein test") for m in at.markdown].index(True)].value
    at.button(key="add-diabetes-0").click().run()
    no_errors(at)
    go(at, "questions")
    kept = [c.value for c in at.caption if "suggested, kept by you" in c.value.lower()]
    assert kept
    assert any(first.replace("\\", "") in m.value.replace("\\", "") for m in at.markdown if m.value.startswith("**1.**"))


def test_overview_lists_what_needs_attention(demo_db):
    """Overdue checks and latest results above target show on the overview, with their sources."""
    at = open_app(DIABETES, "patient")
    due = next(t.value for t in at.table if "Check" in t.value.columns)
    assert set(due["Check"]) >= {"Eye screening", "Urine protein test (ACR)"}
    assert all(s.startswith("⚠️") or s.startswith("⏳") or s.startswith("❔") for s in due["Status"])
    off = " ".join(m.value for m in at.markdown)
    assert "latest 61 mmol/mol on 12 October 2026, above your target of 53 mmol/mol" in off.replace("\\", "")


def test_access_start_banner_shows_for_the_bipolar_patient_only(demo_db):
    """The record-start banner explains older results are missing, not normal, and how to ask."""
    at = open_app(BIPOLAR, "patient")
    banner = " ".join(i.value for i in at.info)
    assert ACCESS_START_BANNER in banner
    assert "that does not mean they were normal" in banner and "ask the GP practice" in banner
    other = open_app(DIABETES, "patient")
    assert "online record starts" not in " ".join(i.value for i in other.info)


def test_results_search_filters_the_measures_table(demo_db):
    """Typing a word narrows the measures; each one charts with a sentence and a table."""
    at = go(open_app(DIABETES, "patient"), "results")
    at.text_input(key="results_search").input("kidney").run()
    options = at.selectbox(key="results_measure").options
    assert options and all("kidney" in o.lower() for o in options)
    assert at.get("plotly_chart")
    at.text_input(key="results_search").input("zzzz").run()
    assert any("No result matches" in m.value for m in at.markdown)


def test_medicines_are_grouped_by_condition_with_last_issued(demo_db):
    """Current repeats show under the condition they belong to, with the date last issued."""
    at = go(open_app(DIABETES, "patient"), "medications")
    assert "Diabetes" in [h.value for h in at.header]
    current = at.table[0].value
    metformin = current[current["Medicine"].str.startswith("Metformin")].iloc[0]
    assert metformin["Last issued"] == "19 November 2026" and metformin["Repeat"] == "Yes"


def test_letter_search_uses_full_text(demo_db):
    """Searching the letters finds words inside them, not only in titles."""
    at = go(open_app(DIABETES, "patient"), "letters")
    at.text_input(key="letters_search").input("retinal").run()
    no_errors(at)
    listed = at.table[0].value
    assert list(listed["Letter"]) == ["Diabetic eye screening result"]


def test_html_letter_is_shown_sanitised_with_a_glossary(demo_db):
    """An HTML letter is drawn only from its sanitised HTML, headings below the page's own, with
    its abbreviations explained."""
    at = go(open_app(END_OF_LIFE, "patient"), "letters")
    body = next(h.value for h in at.html if "palliative care visit" in h.value)  # the app's own scripts come first
    assert "<h3>Community palliative care visit</h3>" in body
    assert "<script" not in body and "<h1" not in body
    glossary = at.table[-1].value
    assert "ReSPECT" in set(glossary["Abbreviation"])


def test_letters_new_since_the_last_appointment_are_marked(demo_db):
    """After saving the last appointment date, later letters show as new on the overview."""
    at = open_app(DIABETES, "patient")
    at.date_input(key="last_visit_input").set_value(dt.date(2026, 10, 1)).run()
    at.button(key="save_last_visit").click().run()
    no_errors(at)
    assert "Letters new since the last appointment (1 October 2026)" in [s.value for s in at.subheader]
    assert any("Community diabetes specialist nurse clinic letter" in m.value for m in at.markdown)


def test_care_plan_goals_take_progress_notes_and_own_goals(demo_db):
    """Goals from the record take dated progress notes; the person can add a goal of their own."""
    at = go(open_app(DIABETES, "patient"), "care_plan")
    assert "HbA1c target agreed at annual review" in [s.value for s in at.subheader]
    assert any("Target: 140 mmHg or below" in m.value for m in at.markdown)
    at.text_input(key="progress-text-dm-goal-hba1c").input("Cut down on sugary drinks")
    next(b for b in at.button if b.label.startswith("Save progress note: HbA1c target")).click().run()
    assert any("25 November 2026: Cut down on sugary drinks" in m.value for m in at.markdown)
    at.text_input(key="own-goal-text").input("Walk to the park twice a week")
    at.button[[b.label for b in at.button].index("Add goal")].click().run()
    no_errors(at)
    assert "Walk to the park twice a week" in [s.value for s in at.subheader]


def test_dementia_bands_are_for_reference_not_targets(demo_db):
    """Memory-test stages are shown for reference, never as a target met or missed."""
    at = go(open_app(DEMENTIA, "patient"), "condition")
    shown = texts(at)
    assert "For reference: MMSE" in shown
    assert "within the target (MMSE" not in shown


def test_settings_turn_on_planning_ahead_prompts_and_sensitive_entries(demo_db):
    """The end-of-life view's choices are made on the settings page and change what it shows."""
    at = go(open_app(END_OF_LIFE, "patient"), "condition")
    assert "Not for attempted cardiopulmonary resuscitation" not in texts(at)
    assert not [b for b in at.button if b.label.startswith("Add to my questions")]
    go(at, "preferences")
    at.toggle(key="pref_prompts").set_value(True).run()
    at.toggle(key="pref_sensitive").set_value(True).run()
    no_errors(at)
    go(at, "condition")
    assert "Not for attempted cardiopulmonary resuscitation" in texts(at)
    assert [b for b in at.button if b.label.startswith("Add to my questions")]


def test_settings_are_the_patients_alone(demo_db):
    """A carer is not offered the settings page."""
    at = open_app(DEMENTIA, "proxy:RelatedPerson/dem-rp-daughter")
    with pytest.raises(ValueError):
        at.switch_page("pages/preferences.py")


def test_a_letter_can_be_flagged_and_shows_on_check_my_record(demo_db):
    """Under the open letter the patient can say it looks wrong; the comment is then listed on
    "Check my record", which the shared screen does not offer."""
    at = go(open_app(DIABETES, "patient"), "letters")
    at.text_area(key="flag-DocumentReference-dm-doc-dsn-2026-11-02-text").input("The dose is not what we agreed")
    at.button[[b.label for b in at.button].index("Save")].click().run()
    no_errors(at)
    go(at, "feedback")
    assert "The dose is not what we agreed" in texts(at)
    clinic = open_app(DIABETES, "clinic")
    with pytest.raises(ValueError):
        clinic.switch_page("pages/feedback.py")
