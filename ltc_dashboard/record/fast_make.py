"""Making slotted, frozen models from values that were validated already, without validating them
again: the snapshot codec makes every entry of a record this way when it reads a snapshot back
(ltc_dashboard/gate/snapshot/codec.py), and the views make chart points from results this way
(conditions/base.py). Pure: it imports nothing of the project.

Why generated code (the one place the project runs `exec`), measured on the 25k record's 24,600
entries (issue 19, bench/README.md): a plain Python loop setting each field through
`object.__setattr__` took 100-120 ms where this takes about 30 ms, and the cold summary at 25k
(target 150 ms) decodes every visible entry. The speed comes from two things, both kept small
here: the fields set in straight-line code (one line per field, from the model's own field list,
`maker`), and on an instance of a plain class of the same layout, then given the model's class
(`filler`), since a frozen model's own setter refuses.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable


def filler(cls: type) -> type:
    """A class with `cls`'s base and its slots, in order, but the plain attribute setting of any
    class: an instance is filled field by field as any object is (which CPython does at C speed)
    and then made a `cls` by assigning `__class__`, allowed because the two lay out their slots
    alike. A model of another layout is refused when the module asking is imported (every test
    imports the codec), rather than given a second, untested way to be made."""
    namespace = {"__slots__": cls.__dict__.get("__slots__", ()), "__setattr__": object.__setattr__,
                 "__delattr__": object.__delattr__}
    made = type(f"_{cls.__name__}Filler", (cls.__base__,), namespace)
    try:
        probe = object.__new__(made)
        probe.__class__ = cls
    except TypeError as problem:
        raise TypeError(f"{cls.__name__} cannot be made from a snapshot: it is not a slotted "
                        f"dataclass whose own slots are all its new fields ({problem})") from None
    return made


def maker(cls: type, fields: Iterable[tuple[str, str]], helpers: dict | None = None):
    """A function of one tuple `v` that makes a `cls`, setting each field `name` to the Python
    expression written beside it (which reads `v` and the names in `helpers`). The expressions
    come from the caller's own table of field kinds, never from data."""
    namespace = {"new": object.__new__, "cls": cls, "filler": filler(cls), **(helpers or {})}
    lines = ["def make(v):", "    o = new(filler)"]
    lines += [f"    o.{name} = {value}" for name, value in fields]
    lines += ["    o.__class__ = cls", "    return o"]
    exec("\n".join(lines), namespace)  # noqa: S102  generated from the models' own field list
    return namespace["make"]


def copier(cls: type, names: tuple[str, ...]):
    """A function that makes a slotted pydantic dataclass from a tuple of its field values (the
    fields `names`, which must be all of them, in order), as they are: for values copied from
    entries that were validated already (a chart point from a result), where validating each
    again is most of the cost."""
    if tuple(f.name for f in dataclasses.fields(cls)) != names:
        raise TypeError(f"{cls.__name__} has fields {[f.name for f in dataclasses.fields(cls)]}, not {list(names)}")
    return maker(cls, ((name, f"v[{i}]") for i, name in enumerate(names)))
