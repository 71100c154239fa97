"""Which stored copy wins (issue 13, item 4): versions are ordered by parsed instants and numeric
versionIds only, copies that cannot be ordered keep every label of both, the result does not
depend on the order copies arrive in, and a newer copy that drops a label is reported.

Every record here is hand-made for issue 13 item 4, in shapes FHIR R4 allows (meta.versionId is an
id, meta.lastUpdated an instant with any zone offset and up to nine digits of a second).
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import re
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from ltc_dashboard.gate.policy import UNREADABLE_LABEL
from ltc_dashboard.intake.ingest import import_paths
from ltc_dashboard.store import Store, is_newer
from ltc_dashboard.store.versions import UNREADABLE_CODING, instant_span, label_items, order, resolve, stamp_of

ACT = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
CONF = "http://terminology.hl7.org/CodeSystem/v3-Confidentiality"
LABELS = {"NOPAT": {"system": ACT, "code": "NOPAT"}, "R": {"system": CONF, "code": "R"},
          "V": {"system": CONF, "code": "V"}, "PSY": {"system": ACT, "code": "PSY"}}


def obs(rid="o1", version=None, updated=None, value=1.0, labels=(), patient="p1"):
    resource = {"resourceType": "Observation", "id": rid, "status": "final",
                "subject": {"reference": f"Patient/{patient}"}, "code": {"text": "Weight"},
                "valueQuantity": {"value": value, "unit": "kg"}}
    meta = {}
    if version is not None:
        meta["versionId"] = version
    if updated is not None:
        meta["lastUpdated"] = updated
    if labels:
        meta["security"] = [LABELS[name] for name in labels]
    if meta:
        resource["meta"] = meta
    return resource


def stored(store, rid="o1", patient="p1"):
    return next(r for r in store.resources_for(patient) if r["id"] == rid)


def codes(resource) -> set[str]:
    return {c["code"] for c in (resource.get("meta") or {}).get("security") or []}


def test_an_older_copy_from_another_time_zone_does_not_replace_a_labelled_one(fresh_store):
    """An unlabelled copy whose lastUpdated sorts later as text but is earlier as an instant is older."""
    fresh_store.put([obs(updated="2024-05-01T10:00:00+01:00", value=2.0, labels=["NOPAT"])])  # 09:00Z
    result = fresh_store.put([obs(updated="2024-05-01T11:00:00+05:00", value=1.0)])  # 06:00Z
    assert result.older["Observation"] == 1 and not result.updated
    assert codes(stored(fresh_store)) == {"NOPAT"} and stored(fresh_store)["valueQuantity"]["value"] == 2.0


def test_a_newer_copy_with_a_fraction_of_a_second_replaces(fresh_store):
    """10:00:00.250Z is after 10:00:00Z, though "." sorts before "Z" as text."""
    fresh_store.put([obs(updated="2024-05-01T10:00:00Z", value=1.0)])
    result = fresh_store.put([obs(updated="2024-05-01T10:00:00.250Z", value=2.0)])
    assert result.updated["Observation"] == 1 and stored(fresh_store)["valueQuantity"]["value"] == 2.0


def test_a_copy_with_only_last_updated_cannot_replace_a_versioned_labelled_one(fresh_store):
    """A copy with only lastUpdated and one with only versionId cannot be ordered: the label stays."""
    fresh_store.put([obs(version="3", value=3.0, labels=["NOPAT"])])
    result = fresh_store.put([obs(updated="2030-01-01T00:00:00Z", value=9.0)])
    assert result.unordered["Observation"] == 1
    assert "NOPAT" in codes(stored(fresh_store))


def test_non_numeric_version_ids_that_differ_keep_every_label(fresh_store):
    """Two copies with different non-numeric versionIds and no lastUpdated keep the labels of both."""
    fresh_store.put([obs(version="b", value=1.0, labels=["R"])])
    fresh_store.put([obs(version="a", value=2.0, labels=["PSY"])])
    assert codes(stored(fresh_store)) == {"R", "PSY"}


def test_a_superscript_digit_version_id_does_not_crash_the_import(fresh_store, tmp_path):
    """versionId "²" (str.isdigit() says yes, int() says no) is not a number, and imports cleanly."""
    fresh_store.put([obs(version="3", value=3.0, labels=["V"])])
    result = fresh_store.put([obs(version="²", value=2.0)])
    assert result.unordered["Observation"] == 1 and "V" in codes(stored(fresh_store))
    path = tmp_path / "odd.ndjson"
    path.write_text(json.dumps(obs(version="٣", value=4.0)) + "\n", encoding="utf-8")
    report = import_paths(fresh_store, [path])
    assert not report.rejected and "V" in codes(stored(fresh_store))


def test_a_newer_copy_that_drops_a_label_is_reported(fresh_store):
    """A certainly newer copy without the stored copy's label replaces it and is listed."""
    fresh_store.put([obs(version="1", value=1.0, labels=["NOPAT"])])
    result = fresh_store.put([obs(version="2", value=2.0)])
    assert result.updated["Observation"] == 1
    assert [(key, codes(before)) for key, before, _ in result.labels_removed] == [(("Observation", "o1"), {"NOPAT"})]


def test_keep_labels_gives_a_newer_copy_the_stored_labels(fresh_store):
    """put(keep_labels=True) stores the newer content and keeps the stored copy's label."""
    fresh_store.put([obs(version="1", value=1.0, labels=["NOPAT"])])
    result = fresh_store.put([obs(version="2", value=2.0)], keep_labels=True)
    kept = stored(fresh_store)
    assert kept["valueQuantity"]["value"] == 2.0 and codes(kept) == {"NOPAT"}
    assert result.labels_kept == [("Observation", "o1")] and not result.labels_removed


def test_other_label_places_are_merged_too(fresh_store):
    """DocumentReference.securityLabel concepts are united, and Composition.confidentiality keeps
    the most restrictive level, when copies cannot be ordered."""
    doc = {"resourceType": "DocumentReference", "id": "d1", "status": "current",
           "subject": {"reference": "Patient/p1"}, "content": [{"attachment": {"title": "Letter"}}]}
    fresh_store.put([dict(doc, securityLabel=[{"coding": [LABELS["R"]]}])])
    fresh_store.put([dict(doc, description="other copy")])
    assert stored(fresh_store, "d1")["securityLabel"] == [{"coding": [LABELS["R"]]}]
    comp = {"resourceType": "Composition", "id": "c1", "status": "final", "type": {"text": "Letter"},
            "subject": {"reference": "Patient/p1"}, "date": "2024-01-01", "title": "t", "author": []}
    fresh_store.put([dict(comp, confidentiality="R")])
    fresh_store.put([dict(comp, confidentiality="N", title="other")])
    assert stored(fresh_store, "c1")["confidentiality"] == "R"


def test_unordered_copies_keep_the_one_that_grants_least():
    """Of copies that cannot be ordered, one saying entered-in-error, a carer's Consent not active
    and a RelatedPerson not active are kept; of the patient's own access-start Consent, the active one."""
    plain = obs(updated="2025-06-02T00:00:00Z")
    condition = {"resourceType": "Condition", "id": "c1", "subject": {"reference": "Patient/p1"},
                 "meta": {"lastUpdated": "2025-06-02T00:00:00Z"}}
    in_error = {**condition, "verificationStatus": {"coding": [{"code": "entered-in-error"}]}, "meta": {}}
    permit = {"resourceType": "Consent", "id": "k1", "status": "active", "patient": {"reference": "Patient/p1"},
              "meta": {"versionId": "1"}, "provision": {"type": "permit",
                                                         "actor": [{"reference": {"reference": "RelatedPerson/rp1"}}]}}
    start = {**permit, "provision": {"type": "permit", "actor": [{"reference": {"reference": "Patient/p1"}}],
                                     "dataPeriod": {"start": "2023-01-01"}}}
    person = {"resourceType": "RelatedPerson", "id": "rp1", "active": True, "meta": {"versionId": "a"}}
    cases = [
        ([plain, {**plain, "status": "entered-in-error", "meta": {"versionId": "x7"}}], "status", "entered-in-error"),
        ([condition, in_error], "verificationStatus", in_error["verificationStatus"]),
        ([permit, {**permit, "status": "inactive", "meta": {}}], "status", "inactive"),
        ([{**start, "status": "inactive"}, {**start, "meta": {}}], "status", "active"),
        ([person, {**person, "active": False, "meta": {}}], "active", False),
        ([person, {**person, "period": {"end": "2024-01-01"}, "meta": {}}], "period", {"end": "2024-01-01"}),
    ]
    for copies, key, kept in cases:
        for ordered in (copies, copies[::-1]):
            resolved = resolve(ordered)
            assert not resolved.certain and resolved.resource.get(key) == kept, (key, kept)


def test_contained_labels_of_unordered_copies_reach_the_top_level():
    """Labels on any copy's contained resources (meta.security, securityLabel, confidentiality)
    reach the kept copy's own meta.security, whether or not any version is known."""
    inner = [{"resourceType": "Medication", "id": "m1", "meta": {"security": [LABELS["NOPAT"]]}},
             {"resourceType": "DocumentReference", "id": "d1", "securityLabel": [{"coding": [LABELS["PSY"]]}]},
             {"resourceType": "Composition", "id": "c1", "confidentiality": "V"}]
    labelled = dict(obs(), contained=inner)
    plain = dict(obs(updated="2025-06-02T00:00:00Z"), contained=[{"resourceType": "Medication", "id": "m1"}])
    assert codes(resolve([labelled, plain]).resource) == {"NOPAT", "PSY", "V"}
    assert codes(resolve([labelled, dict(plain, meta={})], latest=dict(plain, meta={})).resource) == {"NOPAT", "PSY", "V"}


def test_the_unreadable_coding_matches_the_gate():
    """The store's stand-in for labels it cannot read is the gate's UNREADABLE_LABEL."""
    assert (UNREADABLE_CODING["system"], UNREADABLE_CODING["code"]) == UNREADABLE_LABEL
    assert "security:" + json.dumps(UNREADABLE_CODING, sort_keys=True, separators=(",", ":")) in label_items(
        {"meta": {"security": "NOPAT"}})


def test_instants_are_read_with_their_zone_and_fraction():
    """Instants are moments (zone applied, fractions kept); partial dates are spans; impossible
    or non-ASCII ones are not read."""
    assert instant_span("2024-05-01T10:00:00+01:00")[0] == instant_span("2024-05-01T09:00:00Z")[0]
    assert instant_span("2024-05-01T10:00:00.000000001Z")[0] > instant_span("2024-05-01T10:00:00Z")[0]
    assert instant_span("0001-01-01T00:00:00+14:00") and instant_span("9999-12-31T23:59:60-12:00")
    assert instant_span("9999") and instant_span("9999-12")
    for bad in ("2024-02-30", "2024-05-01T24:00:00Z", "2024-05-01T10:00:00+15:00", "٢٠٢٤", "²⁰²⁴", "0000", 2024, None):
        assert instant_span(bad) is None, bad


def test_order_rules():
    """Numbers only when both versionIds are ASCII numbers; instants; disagreement and missing
    information cannot be ordered."""
    assert order(stamp_of("10", None), stamp_of("9", None)) == 1
    assert order(stamp_of("²", None), stamp_of("1", None)) is None
    assert order(stamp_of(None, "2024-01-01T00:00:00Z"), stamp_of("1", None)) is None
    assert order(stamp_of(None, None), stamp_of(None, None)) is None
    assert order(stamp_of("2", "2020-01-01T00:00:00Z"), stamp_of("1", "2021-01-01T00:00:00Z")) is None
    assert order(stamp_of(None, "2024-01-01T00:00:00Z"), stamp_of(None, "2024-01-01T01:00:00+01:00")) == 0
    assert order(stamp_of(None, "2024-01-02T10:00:00"), stamp_of(None, "2024-01-02T00:00:00Z")) is None
    assert is_newer(("2", None), ("1", None)) is True and is_newer(("1", None), ("2", None)) is False


# -- the property: any order, any zone, any fraction ------------------------------------------
BASE = dt.datetime(2024, 3, 30, 23, 0, tzinfo=dt.timezone.utc)  # the UK clocks change that night


def render(seconds: int, fraction: str, offset_minutes: int) -> str:
    """The instant BASE + seconds + 0.fraction as FHIR text, in a zone `offset_minutes` from UTC."""
    local = (BASE + dt.timedelta(seconds=seconds)).astimezone(dt.timezone(dt.timedelta(minutes=offset_minutes)))
    text = local.strftime("%Y-%m-%dT%H:%M:%S") + (f".{fraction}" if fraction else "")
    if offset_minutes == 0:
        return text + "Z"
    sign, minutes = ("+" if offset_minutes > 0 else "-"), abs(offset_minutes)
    return text + f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"


@st.composite
def histories(draw):
    """Two or three copies of one Observation from one true history (copy i written before copy
    i+1, and its lastUpdated, in any zone and with 0 to 9 digits of a second, says so truly), each
    showing some of versionId and lastUpdated, some with versionIds that are not numbers."""
    count = draw(st.integers(2, 3))
    copies, seconds, fraction = [], 0, -1.0
    for index in range(count):
        digits = draw(st.sampled_from([0, 3, 6, 9]))
        gap = draw(st.sampled_from([0, 1, 3600, 86400 * 400]))
        low = int(fraction * 10 ** digits) + 1 if gap == 0 and fraction >= 0 else 0
        if gap == 0 and (not digits or low >= 10 ** digits):
            gap = 1
        if gap:
            low = 0
        seconds += gap
        number = draw(st.integers(low, 10 ** digits - 1)) if digits else 0
        fraction = number / 10 ** digits if digits else 0.0
        version = draw(st.sampled_from(["number", "padded", "none", "odd"]))
        version_id = {"number": str(index + 1), "padded": f"{index + 1:03d}", "none": None,
                      "odd": draw(st.sampled_from(["²", "a", "v" + str(index), "1.0"]))}[version]
        updated = None
        if draw(st.booleans()):
            offset = draw(st.sampled_from([0, 60, -300, 330, 840, -720, 345]))
            updated = render(seconds, f"{number:0{digits}d}" if digits else "", offset)
        labels = draw(st.lists(st.sampled_from(sorted(LABELS)), max_size=2, unique=True))
        copies.append(obs(version=version_id, updated=updated, value=float(index), labels=labels))
    return copies


@pytest.fixture(scope="module")
def one_store(tmp_path_factory):
    """One store for every generated example (each example writes under ids of its own), in
    memory-backed /dev/shm where there is one: a thousand synced commits on disk take half a minute."""
    shm = Path("/dev/shm")
    with tempfile.TemporaryDirectory(dir=shm if shm.is_dir() else tmp_path_factory.getbasetemp()) as folder:
        store = Store(Path(folder) / "ltc.db")
        yield store
        store.close()


EXAMPLE = itertools.count()
PROPERTY = settings(max_examples=150, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])


@PROPERTY
@given(copies=histories())
def test_the_copy_kept_does_not_depend_on_arrival_order(one_store, copies):
    """Whatever order the copies of one resource arrive in (one put each), the same copy is kept
    (except that when no copy has a versionId or lastUpdated, a re-export, the last one read wins);
    it always carries the labels of the truly newest copy (which nothing can prove older), and when
    every copy has a numeric versionId it is the newest copy exactly."""
    arrivals, example = list(itertools.permutations(copies)), next(EXAMPLE)
    for step in range(len(copies)):  # one put a step, each arrival order under its own id
        one_store.put([dict(arrival[step], id=f"e{example}-{number}") for number, arrival in enumerate(arrivals)])
    kept = [{k: v for k, v in stored(one_store, f"e{example}-{number}").items() if k != "id"}
            for number in range(len(arrivals))]
    newest = copies[-1]
    assert all(codes(newest) <= codes(k) for k in kept)
    if all("meta" not in c or set(c["meta"]) == {"security"} for c in copies):  # no version information
        assert all(k["valueQuantity"] == arrival[-1]["valueQuantity"] for k, arrival in zip(kept, arrivals))
        assert all(codes(k) == set().union(*map(codes, copies)) for k in kept)
        return
    assert all(k == kept[0] for k in kept)
    if all(re.fullmatch("[0-9]+", (c.get("meta") or {}).get("versionId") or "") for c in copies):
        assert kept[0]["valueQuantity"] == newest["valueQuantity"] and codes(kept[0]) == codes(newest)


@PROPERTY
@given(copies=histories())
def test_one_batch_and_many_puts_keep_the_same_copy(one_store, copies):
    """Copies arriving in one import (one batch) give the same result as one import each."""
    example = next(EXAMPLE)
    one_store.put([dict(c, id=f"b{example}") for c in copies])
    for copy in copies:
        one_store.put([dict(copy, id=f"m{example}")])
    one, each = stored(one_store, f"b{example}"), stored(one_store, f"m{example}")
    assert {k: v for k, v in one.items() if k != "id"} == {k: v for k, v in each.items() if k != "id"}


def test_a_re_export_without_versions_replaces_but_keeps_the_labels(fresh_store):
    """With no versionId or lastUpdated on either copy, the copy read last wins (a re-export), and
    it keeps the earlier copy's label: an unversioned file cannot lift a label."""
    fresh_store.put([obs(value=1.0, labels=["NOPAT"])])
    result = fresh_store.put([obs(value=2.0)])
    kept = stored(fresh_store)
    assert kept["valueQuantity"]["value"] == 2.0 and codes(kept) == {"NOPAT"}
    assert result.unordered["Observation"] == 1
