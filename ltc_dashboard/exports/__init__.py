"""Exports and record-accuracy feedback: what a person takes away from the dashboard.

* `pdf_sheet` (+ `pdf_charts`): the pre-consultation sheet as PDF with trend charts (reportlab);
* `fhir_bundle`: everything the viewer may see, plus their own content, as a FHIR R4 Bundle that
  `ltc import` restores without loss (`own_content` is the FHIR form, `restore` writes it back);
* `csv_results`: the viewer's results as CSV;
* `feedback`: who may flag an entry, the rectification request letter and the `Communication`.

Everything here is built from a `VisibleRecord` (or the `Summary` made from one) and the own rows
the viewer may see, so an export never holds what its viewer cannot see. `service.Service` is the
only caller; no module here imports streamlit or reads clinical resources from the store.
"""

from __future__ import annotations

from dataclasses import dataclass

FORMATS = ("pdf", "fhir", "csv")
_FILES = {  # format -> (file name with {day}, media type)
    "pdf": ("appointment-sheet-{day}.pdf", "application/pdf"),
    "fhir": ("health-record-{day}.json", "application/fhir+json"),
    "csv": ("results-{day}.csv", "text/csv"),
}


@dataclass(frozen=True)
class Export:
    """One file to hand over: its bytes, a suggested file name and its media type."""

    data: bytes
    file_name: str
    mime: str


def file_info(fmt: str, day) -> tuple[str, str]:
    """(suggested file name, media type) of an export made on `day`."""
    if fmt not in _FILES:
        raise ValueError(f"Unknown export format '{fmt:.20}'. Use one of: {', '.join(FORMATS)}.")
    name, mime = _FILES[fmt]
    return name.format(day=day.isoformat()), mime


def build(fmt: str, *, summary, visible, record, own, comment_resource) -> Export:
    """The export in one of FORMATS for a viewer's summary, visible record and own content."""
    name, mime = file_info(fmt, visible.today)
    if fmt == "pdf":
        from ltc_dashboard.exports.pdf_sheet import pdf_sheet

        data = pdf_sheet(summary)
    elif fmt == "fhir":
        from ltc_dashboard.exports.fhir_bundle import bundle_bytes, fhir_bundle

        data = bundle_bytes(fhir_bundle(visible, own, comment_resource))
    else:
        from ltc_dashboard.exports.csv_results import results_csv

        data = results_csv(record).encode("utf-8-sig")  # with a BOM, spreadsheets read "µmol/L" right
    return Export(data, name, mime)
