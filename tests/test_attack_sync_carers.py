"""Outside attack on kept SMART connections held per server, record and holder (issue 17; docs/sync.md,
store/connections.py): a carer's kept connection must never replace, be used as, or forget another
holder's (the person's or another carer's), and never open another record. Store and sync level
only: connections are kept with `sync.keep_connection` as the sign-in keeps them (no network).
Breaks are strict xfails with their cause; the rest pin what held.

Shapes: the dementia demo record's carers (data/demo/dementia.json: RelatedPerson dem-rp-daughter
and dem-rp-son of Patient dementia, as tests/test_app_connect_carer.py uses them); fhirUser forms
from SMART App Launch 2.x ("fhirUser": a relative or absolute URL of a Patient, RelatedPerson,
Person ...) and FHIR R4 references.html (relative, absolute, versioned `/_history/n`).
"""

from __future__ import annotations

import time

import pytest

import sync
from connectors import smart
from store import Store

SERVER = "https://fhir.example.org/r4"
DEMENTIA = "dementia"
DAUGHTER, SON = "dem-rp-daughter", "dem-rp-son"


def keep(store: Store, patient: str, related_person: str | None, tag: str | None = None) -> None:
    """Keep a connection as a sign-in does: tokens named after `tag` (default: the holder)."""
    tag = tag or str(related_person)
    config = smart.SmartConfig(SERVER, f"{SERVER}/authorize", f"{SERVER}/token", "kept")
    tokens = smart.Tokens(config, "ltc-dashboard", f"access-of-{tag}", expires_at=time.time() + 3600,
                          refresh_token=f"refresh-of-{tag}", scope="patient/*.rs offline_access",
                          patient=patient, fhir_user=related_person, lifetime=3600)
    assert sync.keep_connection(store, tokens, patient, related_person)


def access(store: Store, patient: str, proxy_id: str | None = None) -> str | None:
    tokens = sync.kept_tokens(store, SERVER, patient, proxy_id)
    return tokens.access_token if tokens else None


@pytest.fixture
def store(tmp_path):
    opened = Store(tmp_path / "ltc.db")
    yield opened
    opened.close()


# -- breaks ---------------------------------------------------------------------------------------
@pytest.mark.xfail(strict=True, reason="attack: store/connections.py holder_of keys a carer by the last two path "
                   "segments of the reference, so two carers whose fhirUser is versioned (RelatedPerson/X/_history/2) "
                   "share holder '_history/2' and the second sign-in replaces the first carer's connection")
def test_two_carers_with_versioned_fhir_user_keep_a_connection_each(store):
    """The daughter and the son each sign in; the server's fhirUser is a versioned reference
    (`RelatedPerson/dem-rp-daughter/_history/2`, `RelatedPerson/dem-rp-son/_history/2`; R4 allows a
    version-specific reference, and `_as_proxy` reads it as is). Each carer's connection must be
    kept beside the other's, not replace it."""
    keep(store, DEMENTIA, f"RelatedPerson/{DAUGHTER}/_history/2", "daughter")
    keep(store, DEMENTIA, f"RelatedPerson/{SON}/_history/2", "son")

    assert len(store.connections(DEMENTIA)) == 2, store.connections(DEMENTIA)


@pytest.mark.xfail(strict=True, reason="attack: the tokens file key 'ID as RelatedPerson/X' (store/connections.py "
                   "_key) assumes a patient id holds no space, but a sign-in's patient id is not checked: the "
                   "person's connection for patient 'dementia as RelatedPerson/dem-rp-daughter' overwrites the "
                   "daughter's tokens for 'dementia', and she then syncs with another sign-in's token")
def test_a_patient_id_shaped_like_a_carer_key_cannot_take_over_a_carers_tokens(store):
    """The daughter keeps her connection to the dementia record. Then a sign-in to the same server
    whose launch context names the patient "dementia as RelatedPerson/dem-rp-daughter" (server data,
    only `.strip()`-ed by service_connect.sync_signed_in) is kept. The daughter's kept tokens must
    still be hers: never another sign-in's."""
    keep(store, DEMENTIA, f"RelatedPerson/{DAUGHTER}", "daughter")
    keep(store, f"{DEMENTIA} as RelatedPerson/{DAUGHTER}", None, "someone-else")

    assert access(store, DEMENTIA, DAUGHTER) == "access-of-daughter"


# -- held -----------------------------------------------------------------------------------------
def test_two_carers_and_the_person_each_keep_and_forget_their_own(store):
    """The person, the daughter and the son each keep a connection to one server for the dementia
    record: each finds only their own tokens; the son forgetting his leaves the other two whole."""
    keep(store, DEMENTIA, None, "person")
    keep(store, DEMENTIA, f"RelatedPerson/{DAUGHTER}", "daughter")
    keep(store, DEMENTIA, f"{SERVER}/RelatedPerson/{SON}", "son")  # an absolute fhirUser

    assert (access(store, DEMENTIA), access(store, DEMENTIA, DAUGHTER), access(store, DEMENTIA, SON)) == \
        ("access-of-person", "access-of-daughter", "access-of-son")
    assert sync.forget_connection(store, SERVER, DEMENTIA, SON)
    assert (access(store, DEMENTIA), access(store, DEMENTIA, DAUGHTER), access(store, DEMENTIA, SON)) == \
        ("access-of-person", "access-of-daughter", None)


def test_the_same_carer_signing_in_again_replaces_only_their_own(store):
    """The daughter signs in twice, once with a relative and once with an absolute fhirUser (with a
    trailing slash): one connection of hers, the newest tokens; the person's untouched."""
    keep(store, DEMENTIA, None, "person")
    keep(store, DEMENTIA, f"RelatedPerson/{DAUGHTER}", "daughter-1")
    keep(store, DEMENTIA, f"{SERVER}/RelatedPerson/{DAUGHTER}/", "daughter-2")

    assert len(sync.connections(store, DEMENTIA, DAUGHTER)) == 1
    assert access(store, DEMENTIA, DAUGHTER) == "access-of-daughter-2"
    assert access(store, DEMENTIA) == "access-of-person"


def test_a_carers_connection_for_one_parent_never_opens_another(store):
    """The daughter kept a connection for her mother's record (dementia). Asking with it for her
    father's record (another patient id, same server, same RelatedPerson id) finds nothing:
    `NotConnected`, and the mother's connection is not listed or forgettable under the father."""
    keep(store, DEMENTIA, f"RelatedPerson/{DAUGHTER}", "daughter")

    assert access(store, "dementia-father", DAUGHTER) is None
    with pytest.raises(sync.NotConnected):
        sync.connected_token(store, SERVER, "dementia-father", proxy_id=DAUGHTER)
    assert sync.connections(store, "dementia-father", DAUGHTER) == []
    assert not sync.forget_connection(store, SERVER, "dementia-father", DAUGHTER)
    assert access(store, DEMENTIA, DAUGHTER) == "access-of-daughter"


@pytest.mark.parametrize("proxy_id", [f"x/RelatedPerson/{DAUGHTER}", f"{DAUGHTER}/", f" {DAUGHTER}",
                                      f"{DAUGHTER.upper()}", f"{DAUGHTER}/_history/1", "", "RelatedPerson"])
def test_a_proxy_id_spelled_otherwise_is_not_the_carer(store, proxy_id):
    """`--as proxy:RelatedPerson/<id>` with an id that only resembles the daughter's (a slash
    smuggling her reference, a trailing slash, a space, another case, a version, empty, the type
    name): neither her connection nor the person's is found, used or forgotten by it."""
    keep(store, DEMENTIA, None, "person")
    keep(store, DEMENTIA, f"RelatedPerson/{DAUGHTER}", "daughter")

    found = access(store, DEMENTIA, proxy_id)
    assert found is None or (proxy_id == "" and found == "access-of-person"), found
    if proxy_id:
        assert not sync.forget_connection(store, SERVER, DEMENTIA, proxy_id)
        assert sync.connections(store, DEMENTIA, proxy_id) == []
    assert (access(store, DEMENTIA), access(store, DEMENTIA, DAUGHTER)) == ("access-of-person", "access-of-daughter")
