"""record/indexes._once keeps a test sent twice once; it now compares each result only with the
kept results of its own day (speed2). This checks it against the plain rule it replaced (compare
with the last eight kept results) on made-up series with many same-day repeats, undated ones last.
The series are built here from a fixed seed (no fixture file)."""

import datetime as dt
import random
from types import SimpleNamespace

from ltc_dashboard.record.indexes import _once, _same


def _plain_once(group):
    kept = []
    for result in group:
        if not any(_same(result, earlier) for earlier in reversed(kept[-8:])):
            kept.append(result)
    return kept


def _series(seed: int) -> list:
    rng = random.Random(seed)
    start = dt.date(2020, 1, 1)
    dated = []
    for n in range(rng.randint(0, 60)):
        day = start + dt.timedelta(days=rng.randint(0, 12))  # few days: many results share one
        value = rng.choice([None, 5.0, 5.01, 5.2, 7.0, 53.0])
        dated.append(SimpleNamespace(id=f"r{n:03d}", date=day, value=value, comparator=rng.choice([None, None, "<"]),
                                     value_text=rng.choice([None, "positive"])))
    dated.sort(key=lambda r: (r.date, r.id))
    undated = [SimpleNamespace(id=f"u{n}", date=None, value=rng.choice([None, 5.0]), comparator=None, value_text=None)
               for n in range(rng.randint(0, 4))]
    return dated + undated


def test_once_keeps_what_the_plain_rule_keeps():
    for seed in range(300):
        group = _series(seed)
        assert [r.id for r in _once(group)] == [r.id for r in _plain_once(group)], seed


def test_a_result_sent_twice_on_one_day_is_kept_once_and_undated_ones_all_kept():
    day = dt.date(2024, 3, 1)
    a = SimpleNamespace(id="a", date=day, value=53.0, comparator=None, value_text=None)
    b = SimpleNamespace(id="b", date=day, value=53.1, comparator=None, value_text=None)  # rounds the same
    c = SimpleNamespace(id="c", date=day + dt.timedelta(days=1), value=53.0, comparator=None, value_text=None)
    u1 = SimpleNamespace(id="u1", date=None, value=None, comparator=None, value_text=None)
    u2 = SimpleNamespace(id="u2", date=None, value=None, comparator=None, value_text=None)
    assert [r.id for r in _once([a, b, c, u1, u2])] == ["a", "c", "u1", "u2"]
