"""The condition views, in the order pages and summaries list them (an explicit registry, not
auto-discovery). Each module holds one `SPEC`; see `conditions/base.py` for the shape."""

from conditions import dementia, diabetes, end_of_life, inflammatory_arthritis, mental_health
from conditions.base import ConditionSpec

REGISTRY: tuple[ConditionSpec, ...] = (
    diabetes.SPEC,
    end_of_life.SPEC,
    dementia.SPEC,
    inflammatory_arthritis.SPEC,
    mental_health.SPEC,
)

BY_ID: dict[str, ConditionSpec] = {spec.id: spec for spec in REGISTRY}
