"""The overview lets a carer show a condition view whose diagnosis falls before their data period
(issue 16), and the view then shows only what the consent allows."""

from __future__ import annotations

from ingest import import_items
from store import Store
from test_app_support import go, no_errors, open_app, texts
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
        "Pat's record has memory scores. If Pat has dementia, you can show the dementia view."]
    assert not any(b.label == "Hide this view" for b in at.button)
    next(b for b in at.button if b.label == "Show the dementia view").click().run()
    no_errors(at)
    assert any(b.label == "Hide this view" for b in at.button)
    assert "You chose to show this view" in texts(at)
    at = go(at, "condition")
    no_errors(at)
    shown = texts(at)
    assert "1 June 2024" in shown and "1 June 2025" in shown
    assert "1 June 2022" not in shown
