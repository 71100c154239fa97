"""Appointments (issue 21): upcoming and recent, on the UK clock, with whom, where, what for and the
status in words; the person's questions linked to each; "Add to calendar" (.ics); and booking and
cancelling where the practice's server offers it (ltc_dashboard/service/appointments.py), each asking first and
saying plainly why when it is refused. Otherwise: "Book with your practice", nothing to click."""

from __future__ import annotations

import streamlit as st

from ltc_dashboard.record.appointments import GOING_AHEAD, next_sentence, recent, status_words, upcoming, when_words
from ltc_dashboard.record.dates import UK
from ltc_dashboard.service import core as door
from ltc_dashboard.service.appointments import BookingRefused, slot_moment
from pages import state, ui
from pages.text import escape_markdown

state.guard()

summary = state.summary()
ui.header("Appointments", summary)
if summary.denied:
    st.stop()

svc, viewer, today = state.service(), state.viewer(), state.today()
OFFERED = f"appointments_offered:{viewer.key}"  # asked of the server once a session, not every rerun
# ("book", slot id, words, the slot's start as confirmed) or ("cancel", appointment id, words)
CONFIRM = "appointment_confirm"
own = [q for q in summary.questions if q.own_id is not None] if ui.own_shown(summary) else []
lines = summary.appointments
soon, past = upcoming(lines, today), recent(lines, today)
if OFFERED not in st.session_state:
    st.session_state[OFFERED] = svc.booking_offered(viewer, today)
offered = st.session_state[OFFERED]


def _write(action, done_key: str) -> None:
    """Run a booking or cancelling; the outcome or the refusal is kept to show after the redraw."""
    try:
        outcome = action()
    except (BookingRefused, door.StoreError) as exc:
        st.session_state[done_key] = ("error", str(exc))
        return
    st.session_state[done_key] = ("success" if outcome.shown and not outcome.pending else "warning", outcome.message)
    st.session_state.pop(OFFERED, None)
    state.refresh()


def card(line, key: str) -> None:
    """One appointment: when, status, what for, with whom, where, the questions for it."""
    with st.container(border=True):
        st.markdown(f"**{escape_markdown(when_words(line))}** · {escape_markdown(status_words(line.status))}")
        st.markdown(escape_markdown(line.description or "Appointment"))  # record text: never Markdown
        if line.with_:
            st.markdown(escape_markdown(f"With {line.with_}"))
        if line.where:
            st.markdown(escape_markdown(f"At {line.where}"))
        linked = [q for q in own if q.appointment_id == line.id]
        for q in linked:
            st.markdown(f"- {escape_markdown(q.text)}")
        if key == "up" and line.status in GOING_AHEAD:
            data, name = svc.calendar_file(viewer, today, line.id)
            st.download_button("Add to calendar", data=data, file_name=name, mime="text/calendar",
                               key=f"ics-{line.id}", icon=":material/event:")
            _link_questions(line, linked)
            if offered and st.button("Cancel this appointment", key=f"cancel-{line.id}"):
                st.session_state[CONFIRM] = ("cancel", line.id, when_words(line))
                st.rerun()


def _link_questions(line, linked) -> None:
    free = [q for q in own if q.appointment_id is None and q.status != "asked"]
    if not free or not ui.can_write(summary):
        return
    choice = st.selectbox("Add a question from your list to this appointment", [q.own_id for q in free],
                          format_func=lambda qid: next(q.text for q in free if q.own_id == qid),
                          index=None, key=f"link-{line.id}")
    if choice is not None and st.button("Add it", key=f"link-add-{line.id}"):
        ui.save(lambda: svc.link_question(viewer, today, choice, line.id), refused=(BookingRefused,))


sentence = next_sentence(lines, today, summary.viewer.kind)
if sentence and not summary.death_notice:
    st.info(escape_markdown(sentence), icon=":material/event:")
done = st.session_state.pop("appointment_done", None)
if done:  # what the last booking or cancelling did, or why it was refused
    getattr(st, done[0])(done[1])  # the service's own words (no record or server text in them)

confirm = st.session_state.get(CONFIRM)
if confirm:
    action, target, words, *when = confirm
    st.warning(f"{'Book' if action == 'book' else 'Cancel the appointment on'} {words}?")  # dates, and slot text escaped where made
    yes, no = st.columns(2)
    if yes.button("Yes, book it" if action == "book" else "Yes, cancel it", type="primary", key="confirm-yes"):
        st.session_state.pop(CONFIRM, None)
        _write((lambda: svc.book(viewer, today, target, confirmed_start=when[0] if when else None))
               if action == "book" else
               (lambda: svc.cancel(viewer, today, target)), "appointment_done")
        st.rerun()
    if no.button("No, go back", key="confirm-no"):
        st.session_state.pop(CONFIRM, None)
        st.rerun()

st.header("Upcoming", anchor=False)
if not soon:
    st.write("No upcoming appointments in the record shown here.")
for line in soon:
    card(line, "up")
going = [l for l in soon if l.status in GOING_AHEAD]
if len(going) > 1:
    data, name = svc.calendar_file(viewer, today)
    st.download_button("Add all upcoming appointments to calendar", data=data, file_name=name,
                       mime="text/calendar", key="ics-all", icon=":material/calendar_month:")

st.header("Book an appointment", anchor=False)
if not offered:
    st.write("Book with your practice: by phone, at the desk, or through the practice's own online service.")
elif st.button("Find a free time", key="find-slots"):
    try:
        st.session_state["appointment_slots"] = svc.free_slots(viewer, today)
    except BookingRefused as exc:
        st.error(str(exc))
unreadable = 0
for slot in st.session_state.get("appointment_slots", []) if offered else []:
    moment = slot_moment(slot.start)  # no zone: UK clock time, never the machine's
    if moment is None:
        unreadable += 1
        continue
    start = moment.astimezone(UK)
    # The server's service text is shown as written: labels and alerts read Markdown (links, images).
    service = escape_markdown(" ".join(str(slot.service).split())) if slot.service else ""
    words = f"{start:%A} {start.day} {start:%B %Y} at {start:%H:%M}" + (f" ({service})" if service else "")
    if st.button(f"Book {words}", key=f"slot-{slot.id}"):
        st.session_state[CONFIRM] = ("book", slot.id, words, slot.start)
        st.session_state.pop("appointment_slots", None)
        st.rerun()
if unreadable:
    st.caption(f"{unreadable} free time{'s' if unreadable > 1 else ''} from the practice's server could not be "
               f"read (no date and time the app understands) and {'are' if unreadable > 1 else 'is'} not offered.")

st.header("Recent", anchor=False)
if not past:
    st.write("No past appointments in the record shown here.")
for line in past:
    card(line, "past")
