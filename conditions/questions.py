"""Building suggested questions the same way in every view (clinical-reference §1.4): a fact with
its dates, then an open question, worded for the patient or for a carer."""

from __future__ import annotations

from conditions.base import Context, Question


def suggest(ctx: Context, rule_id: str, rank: int, reason: str, for_patient: str,
            for_carer: str) -> Question:
    """A suggested question in the patient's or the carer's wording ({name}: first name)."""
    return Question(text=ctx.wording(for_patient, for_carer), source="suggested", reason=reason,
                    rule_id=rule_id, rank=rank)


def you_could(ctx: Context, fact_patient: str, fact_carer: str, ask: str, rule_id: str,
              reason: str, rank: int) -> Question:
    """The fact, then "You could <ask>" (for a carer: "You and {name} could <ask>")."""
    return suggest(ctx, rule_id, rank, reason, f"{fact_patient} You could {ask}",
                   f"{fact_carer} You and {{name}} could {ask}")
