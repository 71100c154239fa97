"""conditions/sources.Tracer notes a list the record gives as one frozen copy (speed2): the keys a
kept question carries must still name every entry read, including ones the reader dropped from
its list afterwards (Context.results pops undated results) and ones read by an inner memoised
block. Entries here are made-up stand-ins with a resource type and id (no fixture file)."""

from types import SimpleNamespace

from conditions.sources import Tracer


def _entry(rid: str, rtype: str = "Observation", **extra):
    return SimpleNamespace(resource_type=rtype, id=rid, **extra)


def test_a_list_shortened_after_it_was_read_still_names_every_entry():
    tracer = Tracer()
    read_list = [_entry("a"), _entry("b"), _entry("c")]
    with tracer.collecting() as read:
        tracer.note(read_list)
        read_list.pop()  # the reader drops one: it was read all the same
        read_list.clear()
    assert tuple(tracer.sources(read)) == ("Observation/a", "Observation/b", "Observation/c")


def test_nested_blocks_lists_dicts_and_single_entries_all_count_each_key_once():
    tracer = Tracer()
    shared = _entry("x", "MedicationRequest", ids=["x2"])
    with tracer.collecting() as outer:
        tracer.note(shared)
        with tracer.collecting() as inner:
            tracer.note({"k": [shared, _entry("y")]})
            tracer.note((shared,))
        tracer.note([])
    assert tuple(tracer.sources(inner)) == ("MedicationRequest/x", "MedicationRequest/x2", "Observation/y")
    assert tuple(tracer.sources(outer)) == tuple(tracer.sources(inner))
    assert len(tracer.sources(outer) | ["Goal/g"]) == 4


def test_nothing_is_noted_outside_a_block():
    tracer = Tracer()
    tracer.note([_entry("a")])
    with tracer.collecting() as read:
        pass
    assert tuple(tracer.sources(read)) == ()
