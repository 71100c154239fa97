"""Import a file: add FHIR R4 entries from a file (a Bundle or single resource as .json or .xml, NDJSON,
any gzipped) with a progress bar, then the counts per kind of entry and each item that could not
be imported, with where it was and why.

Nothing already stored is lost and nothing the person wrote is changed: an import only adds entries
or replaces them with newer versions, and never removes a label that hides an entry
(service.Service.import_upload). An upload adds only to the signed-in person's own record: every
entry about someone else, or about who may see the record, is listed as not imported; a file about
someone else entirely asks "This file is about NAME, born DATE. Is this you?" first, and nothing is
imported or switched unless they say yes. On the demo records the import goes to the person's own
store, and the app shows that store from then on.
"""

from __future__ import annotations

import streamlit as st

from ltc_dashboard.gate.access import Viewer
from ltc_dashboard.service import connect as door
from pages import state, ui
from pages.text import code_span, day, escape_markdown, md_line

state.guard()

RESULT = "import_result"  # what the last import did, shown after the rerun that follows it
UPLOADS = "import_count"  # imports so far: each gets a fresh uploader, so a file is not imported twice
ASK = "import_ask"  # the other person the chosen file is about, while the question is open
KIND_WORDS = {  # FHIR resource types in plain words; anything else shows its own name
    "Patient": "Personal details", "Condition": "Conditions and diagnoses", "Observation": "Results and measurements",
    "MedicationRequest": "Medicines prescribed", "MedicationStatement": "Medicines taken", "Medication": "Medicines",
    "AllergyIntolerance": "Allergies", "Immunization": "Vaccinations", "DocumentReference": "Letters",
    "Binary": "Letter contents", "CarePlan": "Care plans", "Goal": "Goals", "Flag": "Alerts",
    "Appointment": "Appointments", "Consent": "Sharing permissions", "RelatedPerson": "Carers and relatives",
    "Procedure": "Procedures", "Encounter": "Consultations", "DiagnosticReport": "Test reports",
    "Organization": "Practices and services", "Practitioner": "Clinicians",
}


def kind_words(kind: str) -> str:
    """A kind of entry in plain words, with its FHIR name: "Results and measurements (Observation)"."""
    return f"{KIND_WORDS[kind]} ({kind})" if kind in KIND_WORDS else kind


def show_result(result: dict) -> None:
    """What the last import did: counts per kind, then each rejected item."""
    total = sum(row["In the file"] for row in result["kinds"])
    name = code_span(result["name"])
    if total:
        st.success(f"Imported {total:,} {'item' if total == 1 else 'items'} from {name}.", icon="✅")
    else:
        st.warning(f"Nothing could be imported from {name}.")
    if result["switched"]:
        st.info("The app was showing demo records, so this file went into your own store, and the app now "
                "shows your records instead of the demo.", icon="ℹ️")
    elif result["aside"]:
        st.info("These entries went into your own store, which the app shows instead of the demo once it "
                "holds someone's personal details (a Patient entry).", icon="ℹ️")
    ui.table(result["kinds"], "Nothing in the file could be imported.")
    for note in result.get("notes") or []:
        st.info(escape_markdown(note), icon="ℹ️")
    rejected = result["rejected"]
    if rejected:
        st.subheader(f"{len(rejected):,} {'item' if len(rejected) == 1 else 'items'} could not be imported", anchor=False)
        st.write("Everything else was imported. Each of these was left out, for the reason given:")
        ui.table([{"File": f, "Where": where, "Why": why} for f, where, why in rejected], "")
    kept = result.get("kept") or []
    if kept:
        st.subheader("Labels kept", anchor=False)
        st.write(f"{len(kept):,} {'entry' if len(kept) == 1 else 'entries'} in the file had a newer version "
                 "without a label that the copy already here has. The practice uses labels like these to keep "
                 "some entries hidden, so the new version was saved with the label kept, and nothing that was "
                 "hidden before is shown now. Only the practice can remove a label:")
        ui.table([{"Kind of entry": kind_words(kind), "Entry": rid} for kind, rid in kept], "")


def expected_items(name: str, data: bytes) -> int | None:
    """About how many items the file holds, for the progress bar: NDJSON lines, else Bundle entries.
    None for gzip: counting would mean unpacking it twice."""
    if name.lower().endswith(".gz"):
        return None
    if name.lower().endswith(".ndjson"):
        return max(data.count(b"\n"), 1)
    return max(data.count(b'"resource"') + data.count(b"<resource>"), 1)


def as_result(name: str, outcome: door.ImportOutcome) -> dict:
    """The outcome in plain values for the session (no clinical content, only counts and reasons)."""
    report = outcome.report
    put = report.put
    kinds = sorted(set(report.counts), key=lambda k: kind_words(k).lower())
    return {
        "name": name, "switched": outcome.switched, "patients": list(outcome.patients),
        "aside": state.service().is_demo and bool(report.counts),  # in the own store, not shown yet
        "kinds": [{"Kind of entry": kind_words(k), "In the file": report.counts[k],
                   "New": put.added[k] + report.own[k] - report.own_kept[k], "Updated": put.updated[k],
                   "Already here": put.unchanged[k] + put.older[k] + report.own_kept[k]} for k in kinds],
        "rejected": [(item.source, item.position, item.reason) for item in report.rejected],
        "notes": list(report.notices),  # e.g. older copies of home readings changed since, not restored
        "kept": sorted(put.labels_kept),
    }


summary = state.summary()
ui.header("Import a file", summary)
svc, viewer = state.service(), state.viewer()
if viewer.kind != "patient":
    st.write("Only the person whose record this is can import into it.")
    st.stop()

if st.session_state.get(RESULT):
    show_result(st.session_state[RESULT])
    st.divider()

st.write("Add entries from a file of your GP record in FHIR R4, the format GP systems and NHS apps "
         "export: a Bundle or single entry in JSON (.json) or XML (.xml), NDJSON (.ndjson), or any of these "
         "compressed (.gz). Entries already here "
         "are kept, and so is everything you wrote in this app.")
if svc.is_demo:
    st.info("You are looking at demo records: a file you import goes into your own store instead, "
            "and the app then shows your records.", icon="ℹ️")
count = st.session_state.get(UPLOADS, 0)
upload = st.file_uploader(
    f"Choose a file (up to {door.MAX_UPLOAD_BYTES // 2**20} MB)", type=list(door.UPLOAD_TYPES),
    key=f"import_upload_{count}", max_upload_size=max(1, door.MAX_UPLOAD_BYTES // 2**20),
)
if upload is None:
    st.stop()
try:
    door.check_upload(upload.name, upload.size)  # before the file is read
except door.UploadRefused as refused:
    st.error(md_line(str(refused)))
    st.stop()
ask = st.session_state.get(ASK)
this_is_me = None
if ask and ask["file"] == [upload.name, upload.size]:
    born = f", born {day(ask['born'])}" if ask["born"] else ""
    st.warning(f"This file is about {md_line(ask['name'])}{born}. Is this you?", icon="❓")
    st.write("If it is, the file is imported as your record and the app shows it. If not, nothing is imported.")
    yes, no = st.columns(2)
    if no.button("No, this is not me", key="import_no"):
        st.session_state.pop(ASK, None)
        st.session_state[UPLOADS] = count + 1
        st.session_state[RESULT] = None
        st.info("Nothing was imported. Only your own record can be imported here.", icon="ℹ️")
        st.stop()
    if not yes.button("Yes, this is me", type="primary", key="import_yes"):
        st.stop()
    this_is_me = ask["id"]
elif not st.button("Import", type="primary", key="import_go"):
    st.stop()

data = upload.getvalue()
expected = expected_items(upload.name, data)
bar = st.progress(0.0, text="Reading the file…")


def progress(done: int) -> None:
    if expected:
        bar.progress(min(done / expected, 0.99), text=f"Imported {done:,} of about {expected:,} items…")
    else:
        bar.progress(0.5, text=f"Imported {done:,} items so far…")


try:
    outcome = svc.import_upload(upload.name, data, progress, viewer=viewer, this_is_me=this_is_me)
except (door.UploadRefused, door.StoreError) as exc:
    bar.empty()
    st.session_state.pop(ASK, None)
    st.error(f"The file was not imported: {md_line(str(exc))}")
    st.stop()
st.session_state.pop(ASK, None)
if outcome.ask:  # about someone else entirely: nothing imported, ask before going on
    bar.empty()
    person = outcome.ask
    st.session_state[ASK] = {"file": [upload.name, upload.size], "id": person.id, "name": person.name,
                             "born": person.birth_date}
    st.rerun()
bar.progress(1.0, text="Imported")
st.session_state[RESULT] = as_result(upload.name, outcome)
st.session_state[UPLOADS] = count + 1
if outcome.patient_id and (outcome.switched or outcome.patient_id != viewer.patient_id):
    # they said the file is theirs (or the demo patient is not in the new store): open that record
    state.sign_in({"kind": "patient"}, Viewer(kind="patient", patient_id=outcome.patient_id))
state.refresh()
