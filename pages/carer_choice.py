"""Which RelatedPerson a carer signs in and switches as: pure functions, no streamlit, so the
sign-in page and the sidebar choose the same way and are tested directly.

A RelatedPerson is one person's carer for one patient, with that patient's Consents. Sign-in
takes RelatedPersons of one name to be one carer who looks after several people, but only when no
patient has two of them: two RelatedPersons of one patient are two different permissions, and
are listed apart. Streamlit's select box keeps its choice by the option's label, so two options
with one label are one option to it and it may return the other: every label is made distinct.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from ltc_dashboard.gate.access import ProxyLink
from pages.text import day, plain


@dataclass(frozen=True)
class CarerChoice:
    """One way to sign in as a carer: the label to choose, the name to greet, the links it opens."""
    label: str
    name: str
    links: tuple[ProxyLink, ...]


def distinct(labels: Sequence[str]) -> list[str]:
    """The labels, each repeat given a number ("Alex Smith (2)") so no two are the same."""
    used: set[str] = set()
    out = []
    for label in labels:
        unique, n = label, 1
        while unique in used:
            n += 1
            unique = f"{label} ({n})"
        used.add(unique)
        out.append(unique)
    return out


def person_labels(patient_ids: Sequence[str], people: dict) -> list[str]:
    """Plain labels for these patients (`people`: id to `PatientChoice`): the name, with the birth
    date when two share a name, and a number when even that is the same."""
    names = [people[p].name if p in people else "a person you care for" for p in patient_ids]
    labels = []
    for patient, name in zip(patient_ids, names):
        born = people[patient].birth_date if patient in people else None
        labels.append(f"{name} (born {day(born)})" if names.count(name) > 1 and born else name)
    return distinct([plain(label) for label in labels])


def carer_choices(links: Sequence[ProxyLink]) -> list[CarerChoice]:
    """The carers to sign in as, by name: all of a name's RelatedPersons together when each is for
    a different patient; else each of that name's RelatedPersons on its own, labelled with its id."""
    by_name: dict[str, list[ProxyLink]] = defaultdict(list)
    for link in links:
        by_name[link.proxy_name].append(link)
    found: list[tuple[str, str, tuple[ProxyLink, ...]]] = []
    for name in sorted(by_name):
        group = by_name[name]
        if len({link.patient_id for link in group}) == len(group):
            found.append((name, name, tuple(group)))
            continue
        for link in sorted(group, key=lambda l: (l.patient_id, l.related_person_id)):
            found.append((f"{name} (carer entry {link.related_person_id})", name, (link,)))
    labels = distinct([plain(label) for label, _, _ in found])
    return [CarerChoice(label, name, group) for label, (_, name, group) in zip(labels, found)]


def switch_options(links: Sequence[tuple[str, str]], current_rp: str, current_patient: str) -> list[tuple[str, str]]:
    """The (RelatedPerson id, patient id) pairs a signed-in carer may switch between: the one
    signed in as, for its patient, and one for each other patient with exactly one among `links`
    (a patient with two is left out: which of the two this carer is cannot be told), in the
    order of `links`."""
    per_patient: dict[str, set[str]] = defaultdict(set)
    for rp, patient in links:
        per_patient[patient].add(rp)
    order = list(per_patient) if current_patient in per_patient else [current_patient, *per_patient]
    return [(current_rp, patient) if patient == current_patient else (next(iter(per_patient[patient])), patient)
            for patient in order if patient == current_patient or len(per_patient[patient]) == 1]
