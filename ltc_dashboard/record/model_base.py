"""What every mapped entry model shares (ltc_dashboard/record/models.py, ltc_dashboard/record/model_plans.py): the frozen model
settings, the slotted entry dataclass and `Entry` itself. Split from ltc_dashboard/record/models.py to keep it
under 400 lines."""

from __future__ import annotations

import datetime as dt
from dataclasses import field
from typing import Literal

from pydantic import BaseModel, ConfigDict
from pydantic.dataclasses import dataclass

Coding = tuple[str, str]
ResultFlag = Literal["high", "low", "normal", "unknown"]


class Model(BaseModel):
    """Shared settings: values are immutable and unknown fields are a programming error."""

    model_config = ConfigDict(frozen=True, extra="forbid")


# The entries are pydantic dataclasses with the same settings (validated as models are, frozen,
# unknown fields refused) but slotted: an entry has no per-instance dict and fields-set, which
# made a mapped result 1,890 bytes where it is now 460. A 100k record holds 60,000 results.
entry = dataclass(frozen=True, slots=True, kw_only=True, config=ConfigDict(extra="forbid"))


@entry
class Entry:
    """What every mapped entry carries: where it came from, its codes, its display and its date."""

    id: str
    resource_type: str
    codings: list[Coding] = field(default_factory=list)
    text: str | None = None
    date: dt.date | None = None
    date_precision: str | None = None
