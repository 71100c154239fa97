"""The overview lets a carer show a condition view whose diagnosis falls before their data period
(issue 16), and the view then shows only what the consent allows."""

from __future__ import annotations

from ltc_dashboard.intake.ingest import import_items
from ltc_dashboard.store import Store
from test_app_support import go, no_errors, open_app, shown_summary, texts
from test_chosen_views import PEOPLE, access_start, condition, result

CARER = "proxy:RelatedPerson/rp1"
MMSE = "447316007"


def test_a_carer_chooses_the_dementia_view_and_sees_scores_after_the_start_only(tmp_path, monkeypatch):
    """Dementia diagnosed in 2022, the carer's view starts in 2024: the overview suggests the view in
    carer words; choosing it shows the 2024 and 2025 memory scores and not the 2022 one."""
    path = tmp_path / "carer.db"
    store = Store(path)
    assert not import_items(store, [
        *PEOPLE, condition("dem", "26929004", "2022-03-01"),
        result("mmse-2022", MMSE, "2022-06-01", 27, "{score}"), result("mmse-2024", MMSE, "2024-06-01", 25, "{score}"),
        result("mmse-2025", MMSE, "2025-06-01", 23, "{score}"),
        access_start("2024-01-01", "RelatedPerson/rp1", "carer")]).rejected
    store.close()
    monkeypatch.setenv("LTC_DB", str(path))
    at = open_app("p1", CARER)
    no_errors(at)
    assert [i.value.replace("\\", "") for i in at.info] == [
        "Your view starts on 1 January 2024: entries from before then are not shown.  \n"
        "Some sensitive entries may be withheld from a carer's view.",
        "Pat's record has memory scores. If Pat has dementia, you can show the dementia view."]
    assert not any(b.label == "Hide the dementia view" for b in at.button)
    next(b for b in at.button if b.label == "Show the dementia view").click().run()
    no_errors(at)
    assert any(b.label == "Hide the dementia view" for b in at.button)
    assert "You chose to show this view" in texts(at)
    at = go(at, "condition")
    no_errors(at)
    shown = texts(at)
    assert "1 June 2024" in shown and "1 June 2025" in shown
    assert "1 June 2022" not in shown


def _carer_store(tmp_path, monkeypatch) -> None:
    """Dementia since 2022, memory scores in 2025 and 2026; the carer's Consent gives data from
    1 January 2026 and is in force until 31 March 2027 (hand-made for issue 16)."""
    consent = access_start("2026-01-01", "RelatedPerson/rp1", "carer")
    consent["provision"]["period"] = {"start": "2026-01-01", "end": "2027-03-31"}
    path = tmp_path / "carer.db"
    store = Store(path)
    assert not import_items(store, [
        *PEOPLE, condition("dem", "26929004", "2022-03-01"),
        result("mmse-2025", MMSE, "2025-06-01", 27, "{score}"), result("mmse-2026a", MMSE, "2026-03-01", 25, "{score}"),
        result("mmse-2026b", MMSE, "2026-09-01", 23, "{score}"), consent]).rejected
    store.close()
    monkeypatch.setenv("LTC_DB", str(path))


def test_the_carer_sees_the_boundary_and_the_permission_end(tmp_path, monkeypatch):
    """The carer's overview says when their view starts, when their permission ends and that
    sensitive entries may be withheld; the chosen dementia view says what it cannot see, shows the
    scores after the start and none before, and a check with none since is not "never"."""
    _carer_store(tmp_path, monkeypatch)
    at = open_app("p1", CARER)
    no_errors(at)
    scope = at.info[0].value.replace("\\", "")
    assert scope == ("Your view starts on 1 January 2026: entries from before then are not shown.  \n"
                     "Your permission ends on 31 March 2027.  \n"
                     "Some sensitive entries may be withheld from a carer's view.")
    next(b for b in at.button if b.label == "Show the dementia view").click().run()
    at = go(at, "condition")
    no_errors(at)
    shown = texts(at)
    assert "What you can see of Pat's record starts on 1 January 2026, so checks done before then do not show here." in \
        [i.value.replace("\\", "") for i in at.info]
    assert "1 March 2026" in shown and "1 September 2026" in shown and "1 June 2025" not in shown
    assert "Not in what you can see of Pat's record" in shown
    assert "No record found" not in shown
    assert "No dementia care plan review is in what you can see of Pat" in shown  # the page escapes ' and .
    assert any(q.text.startswith("No dementia care plan review is in what you can see of Pat's record.")
               for v in shown_summary(at).conditions for q in v.questions)


def test_the_patient_preview_of_the_carer_says_the_same(tmp_path, monkeypatch):
    """The patient's "What my carer can see" page gives the carer's view start, permission end and
    the withheld sentence, in the words the carer is shown."""
    _carer_store(tmp_path, monkeypatch)
    at = go(open_app("p1", "patient"), "carer_preview")
    no_errors(at)
    assert ("Their view starts on 1 January 2026: entries from before then are not shown.  \n"
            "Their permission ends on 31 March 2027.  \n"
            "Some sensitive entries may be withheld from a carer's view.") in [i.value.replace("\\", "") for i in at.info]
