"""My questions (for a carer "Questions for their appointment"): the person's own list (add, edit,
reorder, tick off after the appointment) saved in the store, each question one short block with its
changes folded away; the suggested questions from every view with their reason; and the
pre-consultation sheet to print, download or read on the page (pages/print_sheet.py)."""

from __future__ import annotations

import streamlit as st

from ltc_dashboard.preference_keys import LAST_VISIT
from ltc_dashboard.record.appointments import when_words
from ltc_dashboard.summary.sheet import summary_markdown
from pages import state, ui
from pages.export_widget import export_buttons
from pages.print_sheet import sheet_preview
from pages.text import escape_markdown, humanise, kept_as, page_title

state.guard()

EDITING = "question_editing"  # the id of the question being edited, if any

summary = state.summary()
ui.header(page_title("questions", summary.viewer.kind), summary)
if summary.denied and not ui.can_write(summary):
    st.stop()
if summary.death_notice:  # no appointment to prepare for (clinical-reference §11.10)
    st.stop()

svc, viewer = state.service(), state.viewer()
own = [q for q in summary.questions if q.own_id is not None]
suggested = [q for q in summary.questions if q.own_id is None]
# On the shared screen the person's own questions show only when they chose so in Settings
# (exports.own_content: the summary, the sheet and the downloads follow the same choice).
own_shown = ui.own_shown(summary)
appointments = {a.id: a for a in summary.appointments}


def own_item(n: int, question) -> None:
    qid = question.own_id
    asked = question.status == "asked"
    with st.container(border=True):
        if st.session_state.get(EDITING) == qid:
            with st.form(f"edit-{qid}", border=False):
                text = st.text_area(f"Question {n}", value=question.text, max_chars=ui.MAX_TEXT, key=f"edit-text-{qid}")
                save, cancel = st.columns(2)
                if save.form_submit_button("Save changes"):
                    st.session_state.pop(EDITING, None)
                    ui.save(lambda: svc.update_question(viewer, qid, text=text))
                if cancel.form_submit_button("Cancel"):
                    st.session_state.pop(EDITING, None)
                    st.rerun()
            return
        st.markdown(f"**{n}.** " + ("✔ Asked: " if asked else "") + escape_markdown(humanise(question.text)))
        if (linked := appointments.get(question.appointment_id)) is not None:  # issue 21, set on Appointments
            st.caption(escape_markdown(f"For the appointment on {when_words(linked)}"))
        ticked = st.checkbox("Asked at the appointment", value=asked, key=f"asked-{qid}-{asked}")
        if ticked != asked:
            ui.save(lambda: svc.update_question(viewer, qid, status="asked" if ticked else "open"))
        with st.expander(f"Change question {n}"):  # one short block on a phone (issue 18)
            st.caption(escape_markdown(question.reason[:1].upper() + question.reason[1:]))
            up, down, edit, remove = st.columns(4)
            if up.button("Move up", key=f"up-{qid}", disabled=n == 1, help=f"Move question {n} up"):
                ui.save(lambda: svc.move_question(viewer, qid, -1))
            if down.button("Move down", key=f"down-{qid}", disabled=n == len(own), help=f"Move question {n} down"):
                ui.save(lambda: svc.move_question(viewer, qid, 1))
            if edit.button("Edit", key=f"edit-{qid}", help=f"Change the words of question {n}"):
                st.session_state[EDITING] = qid
                st.rerun()
            if remove.button("Remove", key=f"remove-{qid}", help=f"Remove question {n} from the list"):
                ui.save(lambda: svc.delete_question(viewer, qid))


def own_list() -> None:
    if not own_shown:
        st.write("Your own questions are not shown on the shared screen, nor in the sheet or the "
                 "downloads made here. To show them, switch on “Show my own questions, goals and notes "
                 "on the shared screen” in Settings, in your own view.")
        return
    if summary.own_questions_withheld:
        count = summary.own_questions_withheld
        st.caption(f"{count} question{'s' if count != 1 else ''} kept from the record "
                   f"{'are' if count != 1 else 'is'} not shown here: "
                   f"{'they were' if count != 1 else 'it was'} made from entries this view cannot show.")
    if not own:
        st.write("Your list is empty. Add a question below, or keep one of the suggestions.")
    for n, question in enumerate(own, start=1):
        own_item(n, question)
    with st.form("add-question", clear_on_submit=True):
        text = st.text_area("Add a question of your own", max_chars=ui.MAX_TEXT, key="new-question",
                            placeholder="for example: Could we talk about my sleep?")
        if st.form_submit_button("Add question", type="primary"):
            number = kept_as(summary.questions, text)
            if number:
                ui.already_kept_notice(number)
            else:
                ui.save(lambda: svc.add_question(viewer, text, source="own"))


st.header("Your list", anchor=False)
if summary.viewer.kind == "clinic":
    with st.expander("Your own questions (hidden on the shared screen until you open them)"):
        own_list()
else:
    own_list()

st.header("Suggested from the record", anchor=False)
if not suggested:
    st.write("No suggestions just now.")
for n, question in enumerate(suggested):
    ui.question_card(question, key=f"keep-{n}", on_add=ui.add_suggested if own_shown else None,
                     kept=kept_as(summary.questions, question.text, question.rule_id))

st.header("After your appointment" if summary.viewer.kind == "patient" else "After the appointment", anchor=False)
st.write("Tick off each question you asked. Setting today as the date of your last appointment "
         "makes letters that arrive later show as new.")
if summary.viewer.kind == "patient" and st.button("I have had my appointment today", key="had_appointment"):
    ui.save(lambda: svc.set_preference(viewer, LAST_VISIT, summary.today.isoformat()))

st.header("Take it with you", anchor=False)
st.write("The sheet below lists the questions in your list that are not ticked off yet, with what is due "
         "and the latest results. Print it, or download it.")
sheet = summary_markdown(summary)
sheet_preview(sheet)  # record text in it is escaped (ltc_dashboard/summary/sheet.py), so it shows as words
st.download_button(
    "Download the question sheet", data=sheet, icon=":material/download:",
    file_name=f"appointment-questions-{summary.today.isoformat()}.md", mime="text/markdown",
    help="A plain text (Markdown) file: open it in any text editor to read or print it.",
)
export_buttons(svc, viewer, summary.today)
