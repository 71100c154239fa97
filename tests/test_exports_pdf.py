"""The PDF sheet (reportlab) renders, reads back with the sheet's words and UK dates, and has
charts; the results CSV has one plain row per result."""

from __future__ import annotations

import csv
import io
import subprocess

from test_exports_support import export_store_template, pdf_text, service, today, viewer  # noqa: F401  (fixtures)


def test_pdf_sheet_renders_to_png_and_holds_the_hba1c_latest_value_and_target(service, tmp_path):
    """The diabetes patient's sheet renders page images and its text has HbA1c's latest value and target with source."""
    data = service.export(viewer("dm-patient"), today(), "pdf").data
    assert data.startswith(b"%PDF-")
    (tmp_path / "sheet.pdf").write_bytes(data)
    subprocess.run(["pdftoppm", "-r", "40", "-png", str(tmp_path / "sheet.pdf"), str(tmp_path / "page")], check=True)
    pages = sorted(tmp_path.glob("page-*.png"))
    assert pages and all(p.stat().st_size > 2000 for p in pages)
    text = " ".join(pdf_text(data, tmp_path).split())
    assert "Appointment preparation: Rajesh Example" in text and "Prepared on 25 November 2026." in text
    # The cell wraps: "(above the target)", the one verdict (issue 18), falls on the next line.
    assert "Blood sugar (HbA1c) 61 mmol/mol 12 October 2026 53 mmol/mol or below (your (above the target)" in text
    assert "HbA1c target agreed at annual review" in text  # the target's source
    assert "Chart of blood sugar (HbA1c): 21 results from 10 May 2016 to 12 October 2026" in text
    for section in ("Questions to ask", "Diabetes", "Current medicines", "Recent letters"):
        assert section in text


def test_pdf_sheet_shows_micro_signs_and_is_the_same_every_time(service, tmp_path):
    """Units like µmol/L survive into the PDF text, and two renders of one sheet are byte-identical."""
    who = viewer("ra-patient")
    data = service.export(who, today(), "pdf").data
    assert "µmol/L" in pdf_text(data, tmp_path)
    assert service.export(who, today(), "pdf").data == data


def test_sheet_font_draws_micro_and_less_or_equal_signs():
    """The registered font has glyphs for "µ" and "≤", so they are not replaced by ASCII."""
    from ltc_dashboard.exports.pdf_sheet import font_text, register_fonts

    register_fonts()
    assert font_text("≤ 48 µmol/L") == "≤ 48 µmol/L"
    assert font_text("\u4e2d") == "?"


def test_pdf_for_a_carer_without_permission_says_so(service, tmp_path):
    """The son, whose consent has ended, gets a sheet with the gate's notice and no clinical entries."""
    data = service.export(viewer("dem-patient", "proxy:RelatedPerson/dem-rp-son"), today(), "pdf").data
    text = " ".join(pdf_text(data, tmp_path).split())
    assert "no current permission" in text and "donepezil" not in text.lower()


def test_results_csv_has_one_row_per_result_with_uk_units(service):
    """The CSV lists date, measure id and plain name, value, UK unit and flag; entered-in-error results are absent."""
    text = service.export(viewer("dm-patient"), today(), "csv").data.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert list(rows[0]) == ["date", "measure_id", "measure", "value", "unit", "flag"]
    assert {"date": "2026-10-12", "measure_id": "hba1c", "measure": "blood sugar (HbA1c)", "value": "61",
            "unit": "mmol/mol", "flag": "high"} in rows
    assert not any(r["measure_id"] == "hba1c" and r["value"] == "420" for r in rows)
    assert [r["date"] for r in rows] == sorted(r["date"] for r in rows)


def test_csv_cells_that_look_like_formulas_are_defused():
    """A result's words starting with "=" are written so a spreadsheet shows them, not runs them."""
    from ltc_dashboard.exports.csv_results import results_csv
    from ltc_dashboard.record.models import LabResult, PatientRecord

    record = PatientRecord(results=[LabResult(id="x", name="=HYPERLINK(\"http://x\")", value_text="-1+2")])
    row = list(csv.DictReader(io.StringIO(results_csv(record))))[0]
    assert row["measure"].startswith("'=") and row["value"] == "'-1+2"
