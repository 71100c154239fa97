"""The pre-consultation sheet on the page, ready to print from the browser (issue 18).

    from pages.print_sheet import sheet_preview
    sheet_preview(summary_markdown(summary))

The sheet shows as formatted text (headings, lists, tables), never as raw Markdown; a "Print the
sheet" button opens the browser's own print dialogue (no network, nothing sent anywhere); and a
print style makes printing this page print the sheet alone: no menu, sidebar, buttons or the rest
of the page.
"""

from __future__ import annotations

import re

import streamlit as st

SHEET_KEY = "question-sheet"  # Streamlit gives the keyed container the class st-key-question-sheet

# When printing: hide the app's frame and every part of the page that neither is nor holds the
# sheet (`:has`, in every current browser), and let the page run on over as many sheets of paper
# as it needs (Streamlit's scrolling containers would cut it at one screen).
PRINT_CSS = f"""
<style>
  @media print {{
    [data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], [data-testid="stHeader"],
    [data-testid="stToolbar"], [data-testid="stDecoration"], [data-testid="stBottom"] {{ display: none !important; }}
    .stMain .stVerticalBlock:has(.st-key-{SHEET_KEY}) > :not(:has(.st-key-{SHEET_KEY})):not(.st-key-{SHEET_KEY}) {{
      display: none !important;
    }}
    html, body, .stApp, [data-testid="stAppViewContainer"], [data-testid="stMain"], .stMain {{
      overflow: visible !important; height: auto !important; position: static !important;
    }}
    .st-key-{SHEET_KEY} {{ border: none !important; padding: 0 !important; }}
    .st-key-{SHEET_KEY} table {{ page-break-inside: auto; }}
    .st-key-{SHEET_KEY} tr {{ page-break-inside: avoid; }}
  }}
</style>
"""

# A real button in the page (not a Streamlit button: that would need a round trip to the server
# and could not open the print dialogue). st.html drops inline handlers such as onclick, so a
# script of its own adds the click handler (unsafe_allow_javascript: our own fixed text, nothing
# from the record). It carries the look of Streamlit's secondary buttons.
PRINT_BUTTON = """
<button type="button" class="ltc-print" id="ltc-print">🖨️ Print the sheet</button>
<script>document.getElementById("ltc-print").addEventListener("click", () => window.print());</script>
<style>
  .ltc-print { font: inherit; padding: 0.25rem 0.75rem; min-height: 2.5rem; border-radius: 0.5rem;
               border: 1px solid #4C6272; background: #ffffff; color: #212B32; cursor: pointer; }
  .ltc-print:hover { border-color: #005EB8; color: #005EB8; }
  .ltc-print:focus-visible { outline: 3px solid #FFEB3B; outline-offset: 0; box-shadow: 0 0 0 5px #212B32; }
</style>
"""

_HEADING = re.compile(r"^(#{1,4}) ", re.MULTILINE)


def preview_markdown(sheet: str) -> str:
    """The sheet's Markdown for showing inside the page: its headings two levels down, so the page
    keeps its one h1 and the sheet's sections sit under the page's own "Take it with you"."""
    return _HEADING.sub(lambda m: "#" * min(len(m.group(1)) + 2, 6) + " ", sheet)


def sheet_preview(sheet: str) -> None:
    """The print button, the print style, and the sheet as formatted text in its own container."""
    st.html(PRINT_CSS)
    st.html(PRINT_BUTTON, unsafe_allow_javascript=True)
    st.caption("Printing prints the sheet only, not the menu or the rest of this page.")
    with st.container(border=True, key=SHEET_KEY):
        st.markdown(preview_markdown(sheet))
