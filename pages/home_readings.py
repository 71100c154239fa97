"""Home readings (issue 20): the person's own blood pressure, blood sugar and weight. A form that
keeps what was typed when something is wrong and says what and why; a list with change and delete
(delete asks first). Who may add and who sees which readings: ltc_dashboard/service/readings.py (the one rule);
the shared screen shows them read-only unless the person hid them there."""

from __future__ import annotations

import datetime as dt
import re

import streamlit as st

from ltc_dashboard.intake.reading_csv import CsvKinds, CsvUnusable, header_of, read as read_csv
from ltc_dashboard.intake.reading_csv_dates import DAY_FIRST, MONTH_FIRST
from ltc_dashboard.record.dates import UK
from ltc_dashboard.record.readings import GLUCOSE_CONTEXTS, KIND_WORDS, ReadingInvalid
from ltc_dashboard.service import core as door
from ltc_dashboard.service.readings import ReadingRefused
from pages import reading_columns, state, ui
from pages.text import day, escape_markdown

state.guard()

summary = state.summary()
ui.header("Home readings", summary)
if summary.denied:
    st.stop()

svc, viewer, today = state.service(), state.viewer(), state.today()
readings = svc.readings(viewer, today)
writable = svc.may_add_readings(viewer, today)
KINDS = {"Blood pressure": "bp", "Blood sugar (glucose)": "glucose", "Weight": "weight"}
FIELDS = ("hr-kind", "hr-systolic", "hr-diastolic", "hr-pulse", "hr-value", "hr-context", "hr-date", "hr-time")

st.markdown("Readings taken at home, by you or someone helping you. They are shown beside the GP's results "
            "and marked **home**. They are never counted as a check the practice has done.")


# Every change runs in a button's callback, before the page is drawn again: a widget's value can
# only be set or cleared then. A refusal is kept in the session and shown beside the form, and what
# was typed stays in the fields.
def _clear() -> None:
    for key in (*FIELDS, "hr-editing", "hr-error"):
        st.session_state.pop(key, None)


def _load(reading) -> None:
    """Fill the form with a reading, to change it."""
    _clear()
    local = reading.taken_at.astimezone(UK)
    st.session_state.update({
        "hr-editing": reading.id, "hr-kind": next(k for k, v in KINDS.items() if v == reading.kind),
        "hr-date": local.date(), "hr-time": f"{local:%H:%M}",
    })
    if reading.kind == "bp":
        st.session_state.update({"hr-systolic": str(reading.systolic), "hr-diastolic": str(reading.diastolic),
                                 "hr-pulse": "" if reading.pulse is None else str(reading.pulse)})
    else:
        st.session_state["hr-value"] = f"{reading.value:g}"
        if reading.context:
            st.session_state["hr-context"] = GLUCOSE_CONTEXTS[reading.context]


def time_typed(text: object) -> dt.time | None:
    """A time typed as hours and minutes ("8:05", "08:05", "0805", "8.05"), or None."""
    match = re.fullmatch(r"\s*([01]?\d|2[0-3])[:.]?([0-5]\d)\s*", text) if isinstance(text, str) else None
    return dt.time(int(match.group(1)), int(match.group(2))) if match else None


def _save() -> None:
    editing = st.session_state.get("hr-editing")
    kind = KINDS[st.session_state["hr-kind"]]
    taken = time_typed(st.session_state.get("hr-time"))
    if taken is None:
        st.session_state["hr-error"] = ("Not saved. The time taken should be hours and minutes on the 24-hour "
                                        "clock, for example 08:00 or 19:30.")
        return
    when = dt.datetime.combine(st.session_state["hr-date"], taken)
    fields = {}
    if kind == "bp":
        value = None
        fields = {"systolic": st.session_state.get("hr-systolic"), "diastolic": st.session_state.get("hr-diastolic"),
                  "pulse": st.session_state.get("hr-pulse")}
    else:
        value = st.session_state.get("hr-value")
        if kind == "glucose":
            context = st.session_state.get("hr-context")
            fields["context"] = next((k for k, v in GLUCOSE_CONTEXTS.items() if v == context), None)
    try:
        if editing is None:
            svc.add_reading(viewer, today, kind, value, when, **fields)
        else:
            svc.update_reading(viewer, today, editing, kind, value, when, **fields)
    except ReadingInvalid as exc:
        st.session_state["hr-error"] = "Not saved. " + " ".join(exc.problems.values())
        return
    except (ReadingRefused, door.StoreError) as exc:
        st.session_state["hr-error"] = str(exc)
        return
    _clear()
    st.session_state["hr-saved"] = True
    state.new_run()


def _delete(reading_id: int) -> None:
    st.session_state.pop("hr-confirm", None)
    try:
        svc.delete_reading(viewer, today, reading_id)
    except (ReadingRefused, door.StoreError) as exc:
        st.session_state["hr-error"] = str(exc)
        return
    state.new_run()


def _set(key: str, value) -> None:
    st.session_state[key] = value


def reading_form() -> None:
    editing = st.session_state.get("hr-editing")
    st.subheader("Change a home reading" if editing else "Add a home reading", anchor=False)
    kind = KINDS[st.radio("What did you measure?", list(KINDS), key="hr-kind", horizontal=True)]
    if kind == "bp":
        left, middle, right = st.columns(3)
        left.text_input("Top number (systolic, mmHg)", key="hr-systolic", placeholder="for example 138")
        middle.text_input("Bottom number (diastolic, mmHg)", key="hr-diastolic", placeholder="for example 86")
        right.text_input("Pulse (beats per minute, if shown)", key="hr-pulse")
    elif kind == "glucose":
        left, right = st.columns(2)
        left.text_input("Blood sugar (mmol/L)", key="hr-value", placeholder="for example 6.2")
        right.selectbox("When was it taken?", list(GLUCOSE_CONTEXTS.values()), key="hr-context")
    else:
        st.text_input("Weight (kg, or stones and pounds)", key="hr-value", placeholder="for example 82.5 or 12 st 4 lb")
    st.session_state.setdefault("hr-date", today)
    st.session_state.setdefault("hr-time", "08:00")
    left, right = st.columns(2)
    left.date_input("Date taken", key="hr-date", max_value=today, format="DD/MM/YYYY")
    # Typed, not Streamlit's time picker: its hour and minute boxes are smaller than a finger (WCAG
    # 2.5.8, axe target-size) and it wraps the time in bidi isolates; a typed time is also kept as
    # typed when it is wrong, like the other fields.
    right.text_input("Time taken (UK time, 24-hour clock)", key="hr-time", placeholder="for example 08:00")
    if st.session_state.get("hr-error"):
        st.error(escape_markdown(st.session_state["hr-error"]))
    elif st.session_state.pop("hr-saved", None):
        st.success("Saved.")
    save, cancel = st.columns([1, 4])
    save.button("Save changes" if editing else "Save reading", key="hr-save", type="primary", on_click=_save)
    if editing:
        cancel.button("Cancel", key="hr-cancel", on_click=_clear)


def who_entered(author: str) -> str:
    if author == "patient":
        return "you" if summary.viewer.kind == "patient" else "the person"
    return "you" if author == str(viewer) else "a carer"


def reading_list() -> None:
    st.subheader("Your home readings" if summary.viewer.kind == "patient" else "Home readings", anchor=False)
    if not readings:
        st.markdown("No home readings to show.")
        return
    confirm = st.session_state.get("hr-confirm")
    for reading in reversed(readings):
        local = reading.taken_at.astimezone(UK)
        context = f", {GLUCOSE_CONTEXTS[reading.context]}" if reading.context else ""
        line = (f"**Home** {KIND_WORDS[reading.kind]}: {reading.value_text}{context}. "
                f"{day(local.date())} at {local:%H:%M}, entered by {who_entered(reading.author)}.")
        st.markdown(line)
        if not writable:
            continue
        if confirm == reading.id:
            st.warning(f"Delete this reading of {day(local.date())} ({reading.value_text})? This cannot be undone.")
            yes, no = st.columns([1, 4])
            yes.button("Yes, delete it", key=f"hr-yes-{reading.id}", type="primary", on_click=_delete,
                       args=(reading.id,))
            no.button("No, keep it", key=f"hr-no-{reading.id}", on_click=_set, args=("hr-confirm", None))
            continue
        change, delete = st.columns([1, 4])
        change.button("Change", key=f"hr-change-{reading.id}", on_click=_load, args=(reading,))
        delete.button("Delete", key=f"hr-delete-{reading.id}", on_click=_set, args=("hr-confirm", reading.id))


def _save_file(readings_found: list) -> None:
    try:
        saved = svc.save_readings(viewer, today, readings_found)
    except (ReadingRefused, door.StoreError) as exc:
        st.session_state["hr-file-error"] = str(exc)
        return
    st.session_state["hr-file-saved"] = len(saved)
    st.session_state["hr-file-round"] = st.session_state.get("hr-file-round", 0) + 1  # a new, empty uploader
    state.new_run()


def _which_kind(kinds: list[str], key: str) -> str | None:
    """The kind of reading to take from a file that has columns for several (None until chosen)."""
    names = [name for name, kind in KINDS.items() if kind in kinds]
    st.info("This file has columns for " + " and ".join(n.lower() for n in names) + ". Choose which readings to "
            "import; you can import the file again for the other.")
    chosen = st.selectbox("Which readings to import from this file?", names, index=None, key=key,
                          placeholder="Choose one")
    return KINDS[chosen] if chosen else None


def _which_dates(found, key: str) -> str | None:
    """How the file writes dates, asked when rows could be read either way and no row shows which."""
    stamp = found.both_ways[0][1]
    written = stamp.date_written
    words = {DAY_FIRST: f"Day first: {written} is {day(stamp.reading(DAY_FIRST))}",
             MONTH_FIRST: f"Month first: {written} is {day(stamp.reading(MONTH_FIRST))}"}
    st.warning(f"{len(found.both_ways)} row{'s' if len(found.both_ways) != 1 else ''} of this file could be on "
               "either of two days, and no row shows which way round the file writes dates.")
    chosen = st.radio("How does this file write dates?", list(words.values()), index=None, key=key)
    return next((order for order, text in words.items() if text == chosen), None)


def _found(data: bytes, chosen: dict, round_: int):
    """The file read, asking which kind to take and which way round its dates are where the file
    cannot say (None until the person has chosen the kind)."""
    def read(kind: str | None = None, order: str | None = None):
        return read_csv(data, viewer.patient_id, today, svc.author_of(viewer), kind=kind, chosen=chosen,
                        date_order=order)

    try:
        found = read()
    except CsvKinds as exc:
        kind = _which_kind(exc.kinds, f"hr-file-kind-{round_}")
        if kind is None:
            return None
        found = read(kind)
    if found.both_ways and (order := _which_dates(found, f"hr-file-dates-{round_}")):
        found = read(found.kind, order)
    return found


def file_import() -> None:
    """A CSV file from a device or its app: a count and a preview first, each rejected row named,
    and nothing saved until the person accepts the good rows."""
    st.subheader("Import readings from a file", anchor=False)
    st.markdown("A CSV file from a blood pressure monitor, a glucose meter or scales, or their app, with a "
                "date and time column and the values. You see what can be kept before anything is saved.")
    if st.session_state.get("hr-file-error"):
        st.error(escape_markdown(st.session_state.pop("hr-file-error")))
    if saved := st.session_state.pop("hr-file-saved", None):
        st.success(f"Saved {saved} reading{'s' if saved != 1 else ''}.")
    round_ = st.session_state.get("hr-file-round", 0)
    upload = st.file_uploader("CSV file of readings", type=["csv", "txt"], key=f"hr-file-{round_}")
    if upload is None:
        return
    data, header, chosen = upload.getvalue(), [], {}
    try:
        header = header_of(data)
        chosen = reading_columns.remembered(svc, header)
        found = _found(data, chosen, round_)
    except CsvUnusable as exc:
        st.error(escape_markdown(f"This file cannot be imported: {exc}"))
        if header:  # the person can say which column is which
            reading_columns.chooser(svc, header, chosen, open_it=True)
        return
    if found is None:
        return
    reading_columns.chooser(svc, header, found.columns, open_it=False)
    try:
        new, kept_already = svc.not_yet_kept(viewer, today, found.readings)
    except (ReadingRefused, door.StoreError) as exc:
        st.error(escape_markdown(str(exc)))
        return
    _counted(found, new, kept_already)
    if new:
        label = f"Save the {len(new)} reading{'s' if len(new) != 1 else ''} that can be kept"
        st.button(label, key="hr-file-save", type="primary", on_click=_save_file, args=(new,))


def _counted(found, new: list, kept_already: int) -> None:
    """The count, the preview of the first ten and each rejected line with its reason."""
    st.markdown(f"**{len(found.good)}** {KIND_WORDS[found.kind]} reading{'s' if len(found.good) != 1 else ''} can "
                f"be kept, **{len(found.rejected)}** cannot"
                + (f", and {kept_already} {'is' if kept_already == 1 else 'are'} already saved." if kept_already else "."))
    if found.repeated:
        st.markdown(f"{len(found.repeated)} row{'s' if len(found.repeated) != 1 else ''} of the file repeat an "
                    "earlier row (same time and values) and will be saved once.")
    preview = [{"Date": day(r.taken_at.astimezone(UK).date()), "Time": f"{r.taken_at.astimezone(UK):%H:%M}",
                "Reading": r.value_text + (f", {GLUCOSE_CONTEXTS[r.context]}" if r.context else "")} for r in new[:10]]
    if preview:
        ui.table(preview, f"The first {len(preview)} readings that would be saved.")
    for line, reason in found.rejected[:50]:
        st.warning(escape_markdown(f"Line {line} cannot be kept: {reason}"))


if writable:
    reading_form()
    file_import()
elif summary.viewer.kind == "proxy":
    st.info("You can add readings for them when the consent on their record lets you add to it. "
            "The practice can tell you how to arrange that.")
reading_list()
