"""Download buttons for the viewer's exports: the sheet as PDF, the record as FHIR, results as CSV.

    from pages.export_widget import export_buttons
    export_buttons(state.service(), state.viewer(), state.today())

Every file is made through `Service.export`, from what this viewer may see and nothing more, only
when its button is pressed (Streamlit runs the maker then), and each download is written to the
access log.
"""

from __future__ import annotations

import streamlit as st

from ltc_dashboard.exports import file_info

BUTTONS = (
    ("pdf", "Download the sheet as PDF (with charts)", ":material/picture_as_pdf:",
     "The questions, checks, measures with targets and charts, medicines and letters, ready to print."),
    ("fhir", "Download the record for another health app", ":material/data_object:",
     "Everything shown here, with your own questions and comments, as a FHIR (JSON) file: the format "
     "health systems exchange. The dashboard can import it again."),
    ("csv", "Download results as a spreadsheet (CSV)", ":material/table:",
     "One row per result: date, measure, value, unit and whether it was high or low."),
)


def _maker(service, viewer, today, fmt: str):
    def make() -> bytes:
        service.log_access(viewer, f"export ({fmt})")
        return service.export(viewer, today, fmt).data
    return make


def export_buttons(service, viewer, today) -> None:
    """Three download buttons, each making its file when pressed."""
    for fmt, label, icon, help_text in BUTTONS:
        name, mime = file_info(fmt, today)
        st.download_button(label, data=_maker(service, viewer, today, fmt), file_name=name, mime=mime,
                           icon=icon, help=help_text, key=f"export-{fmt}")
