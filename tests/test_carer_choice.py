"""How a carer signs in and switches (pages/carer_choice.py): one RelatedPerson per patient, and
no two options with one label (Streamlit's select box keeps its choice by label)."""

from __future__ import annotations

import datetime as dt

from ltc_dashboard.gate.access import ProxyLink
from ltc_dashboard.service.core import PatientChoice
from pages.carer_choice import carer_choices, distinct, person_labels, switch_options


def link(rp: str, patient: str, name: str = "Chris Carer") -> ProxyLink:
    return ProxyLink(related_person_id=rp, patient_id=patient, proxy_name=name, relationship=None, active_now=True)


def test_a_name_with_two_related_persons_for_one_patient_is_split():
    """RelatedPersons of one name are one carer only when each is for a different patient."""
    choices = carer_choices([link("rpc1", "p1"), link("rpc9", "p1"), link("rpx", "p2"),
                             link("a", "p1", "Ann"), link("b", "p2", "Ann")])
    assert [(c.label, c.name, [l.related_person_id for l in c.links]) for c in choices] == [
        ("Ann", "Ann", ["a", "b"]),
        ("Chris Carer (carer entry rpc1)", "Chris Carer", ["rpc1"]),
        ("Chris Carer (carer entry rpc9)", "Chris Carer", ["rpc9"]),
        ("Chris Carer (carer entry rpx)", "Chris Carer", ["rpx"]),
    ]


def test_the_switch_offers_the_signed_in_related_person_and_one_per_other_patient():
    """The current patient is offered only as the RelatedPerson signed in as; another patient
    with two RelatedPersons among the links is left out, one with one is offered."""
    links = [("rpc9", "p1"), ("rpc1", "p1"), ("x", "p2"), ("y", "p3"), ("z", "p3")]
    assert switch_options(links, "rpc1", "p1") == [("rpc1", "p1"), ("x", "p2")]
    assert switch_options([("x", "p2")], "rpc1", "p1") == [("rpc1", "p1"), ("x", "p2")]


def test_labels_are_always_distinct():
    """Two people of one name are told apart by birth date, and by a number when even that is the same."""
    born = dt.date(1950, 3, 5)
    people = {p: PatientChoice(id=p, name="Alex Smith", birth_date=born if p != "c" else None) for p in "abc"}
    assert person_labels(["a", "b", "c", "d"], people) == [
        "Alex Smith (born 5 March 1950)", "Alex Smith (born 5 March 1950) (2)", "Alex Smith", "a person you care for"]
    assert distinct(["x", "x", "x (2)"]) == ["x", "x (2)", "x (2) (2)"]
