"""Which situations shape the diabetes view for this person on this day (clinical-reference §11).

Situations come first: before a target, an interval or a prompt is chosen, `situations(ctx)` works
out from what the viewer can see on `ctx.today` whether the diagnosis is confirmed, possible
(provisional), in remission or gestational diabetes after the birth (§11.8, §11.4); the type
(type 1 unless type 2 is also coded, §11.2); age under 18 (§11.3); pregnancy (§11.4); a chronic
kidney disease category from eGFR and ACR (§11.5); a personal HbA1c range or frailty (§11.6); end
of life (§11.7). It is computed once per Context. Each situation that shapes the view carries the
words the view shows ("Because you are pregnant, ...") and the table source it rests on.

Codes come from value sets in `data/terminology/valuesets.csv` and bands from `targets.csv`; the
only numbers here are named date rules (how long a pregnancy lasts, how far apart two kidney
results must be), each with its section.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from conditions import ages
from conditions import shared
from conditions.base import Context, in_any, number, personal_target
from ltc_dashboard.record import terminology
from ltc_dashboard.record.dates import FhirDate, parse_or_none
from ltc_dashboard.record.models import LabResult

FULL_TERM_DAYS = 280  # an expected delivery date is dated 40 weeks from the start of pregnancy
LONGEST_PREGNANCY_DAYS = 301  # design choice: a pregnancy entry older than 43 weeks is left open by mistake
CKD_APART_DAYS = 91  # "the last 2 eGFR and ACR results at least 3 months apart" (§11.5)
CHILD_AGE = 18  # "children and young people (under 18)" (§11.3)
CHECKS_FROM_AGE = 12  # "from age 12: eye screening, urine ACR and blood pressure" (§11.3)
SMOKING_FROM_AGE = 16  # "no smoking prompt below 16" (§11.3, a design choice)
EGFR_BAND_ROWS = ("egfr_g1", "egfr_g2", "egfr_g3a", "egfr_g3b", "egfr_g4", "egfr_g5")
ACR_BAND_ROWS = ("acr_a1", "acr_a2", "acr_a3")
CKD_BP_ROW = "acr_ckd_bp_70"  # ACR 70 mg/mmol or more: the lower CKD blood pressure target [NG203]
# Value sets (valuesets.csv); those not in the reference are marked verified=no there.
DIABETES, TYPE1, TYPE2 = "diabetes", "diabetes_type1", "diabetes_type2"
REMISSION = "diabetes_remission"
GESTATIONAL = "gestational_diabetes"
PREGNANCY = "pregnancy"
DELIVERY_DATE = "expected_delivery_date"
FRAILTY = "frailty_moderate_severe"
END_OF_LIFE = shared.REGISTER + ("gsf_prognosis_b", "gsf_prognosis_c", "gsf_prognosis_d",
                              "eol_last_months", "eol_last_weeks", "eol_last_days")  # months or less
POSSIBLE = frozenset({"provisional", "differential", "unconfirmed"})
IGNORED = frozenset({"refuted", "entered-in-error"})
ENDED = frozenset({"resolved", "inactive", "remission"})


@dataclass(frozen=True)
class Situation:
    """One situation that shaped the view: its id, the words shown, and its table source."""

    id: str
    words: str
    source: str


@dataclass(frozen=True)
class Kidneys:
    """A chronic kidney disease category from two results at least 3 months apart (§11.5)."""

    g: str  # "G1" .. "G5"
    a: str  # "A1" .. "A3"
    acr_70: bool  # the latest ACR is 70 mg/mmol or more

    @property
    def interval_row(self) -> str:
        """The intervals.csv row for this category (NG203 table 1, unverified)."""
        if self.g == "G5":
            return "ckd_g5"
        g = "g1g2" if self.g in ("G1", "G2") else self.g.lower()
        return f"ckd_{g}_{self.a.lower()}"


@dataclass(frozen=True)
class Situations:
    """What is known about the person that changes targets, intervals and prompts."""

    diagnosis: str  # "confirmed", "possible", "remission", "gdm_after_birth" or "none"
    kind: str | None  # "type1" or "type2" (both coded reads as type 2), else None
    ages: tuple[int, int] | None  # (youngest, oldest): a partial birth date leaves the age uncertain
    pregnancy_start: dt.date | None = None
    delivery_date: dt.date | None = None
    pregnant: bool = False
    kidneys: Kidneys | None = None
    personal_range: tuple[float, float] | None = None
    frailty: bool = False
    end_of_life: bool = False
    gestational: bool = False  # gestational diabetes in this pregnancy, no other diabetes coded
    shown: tuple[Situation, ...] = field(default=())

    @property
    def child(self) -> bool:
        """Under 18, or may be (a partial birth date read cautiously, §11.3)."""
        return ages.may_be_under(self.ages, CHILD_AGE)

    def may_be_at_least(self, years: int) -> bool:
        """Whether the person may be this age or over (checks for their age are not left out)."""
        return ages.may_be_at_least(self.ages, years)

    def certainly_at_least(self, years: int) -> bool:
        """Whether the person is this age or over whatever day they were born."""
        return ages.certainly_at_least(self.ages, years)

    @property
    def full_view(self) -> bool:
        """Targets, checks and prompts are shown (not results only). "none" reaches a view only
        when the person chose to show it (issue 16: the diagnosis is before their online record)."""
        return self.diagnosis in ("confirmed", "remission", "none")

    def ids(self) -> tuple[str, ...]:
        return tuple(s.id for s in self.shown)


def situations(ctx: Context) -> Situations:
    """The situations on ctx.today, worked out once per Context."""
    return ctx.kept(("situations",), lambda: [_work_out(ctx)])[0]


def _conditions(ctx: Context, *valuesets: str) -> list:
    return [c for c in ctx.record.conditions
            if c.verification_status not in IGNORED and in_any(valuesets, c.codings, c.text)
            and (c.onset or c.recorded or c.date or ctx.today) <= ctx.today]


def _current(condition) -> bool:
    return condition.clinical_status not in ENDED


def diagnosis(ctx: Context) -> str:
    """How diabetes is recorded: confirmed, possible only, in remission, gestational diabetes after
    the birth, or none (§11.8: refuted and entered-in-error are ignored; resolved or inactive
    opens no view unless remission is coded; a diabetes or remission code that is provisional,
    differential or unconfirmed is possible, results only)."""
    entries = _conditions(ctx, DIABETES)
    confirmed = [c for c in entries if _current(c) and c.verification_status not in POSSIBLE]
    if confirmed or _other_entries(ctx, DIABETES):
        return "confirmed"
    remission = [c for c in _conditions(ctx, REMISSION) if c.clinical_status not in ("resolved", "inactive")]
    if any(c.verification_status not in POSSIBLE for c in remission) or any(
            c.clinical_status == "remission" and c.verification_status not in POSSIBLE for c in entries):
        return "remission"
    if any(_current(c) for c in entries) or remission:  # a provisional remission code is possible too
        return "possible"
    if _conditions(ctx, GESTATIONAL):
        return "gdm"
    return "none"


def _typed(ctx: Context, valueset: str, found: str) -> bool:
    """Whether the type is recorded: a current entry (a possible one counts only when diabetes is
    possible; one in remission only when it is in remission), or any other coded entry of it."""
    for condition in _conditions(ctx, valueset):
        if condition.verification_status in POSSIBLE and found != "possible":
            continue
        if _current(condition) or (found == "remission" and condition.clinical_status == "remission"):
            return True
    return _other_entries(ctx, valueset)


def _other_entries(ctx: Context, valueset: str) -> bool:
    """An active flag or another coded entry (not a Condition) in the value set, as has_coded reads them."""
    return any(e.resource_type not in ("Condition", "Flag") for e in ctx.coded(valueset)) or any(
        f.status in (None, "active") and in_any((valueset,), f.codings, f.text) for f in ctx.record.flags)


def _delivery_date(ctx: Context) -> tuple[dt.date, dt.date] | None:
    """The expected delivery date that shows pregnancy: (earliest, latest) day it can stand for.

    Read from an Observation's value or a panel's component (LOINC 11778-8, SNOMED 161714006,
    value set expected_delivery_date). A month-only or year-only date ("2027-02") is partial: it is
    in the future when its LATEST possible day is. Any future date among all recorded counts (the
    most recently recorded first), not only the newest entry: a later entry about an earlier
    birth does not hide a pregnancy, since the more cautious prompt wins (§11 opening, §11.4).
    Without a future one, the newest recorded date (for a pregnancy Condition's timing)."""
    found: list[tuple[dt.date, FhirDate]] = []
    for result in ctx.record.results_by_concept.where(lambda key: in_any((DELIVERY_DATE,), key[0], key[2])):
        due = parse_or_none((result.value_text or "").strip())
        if due is not None:  # one recorded with a date after today still counts (never passed over)
            found.append((result.date or dt.date.min, due))
    found.sort(key=lambda pair: pair[0], reverse=True)
    ahead = [due for _, due in found if due.last_day > ctx.today]
    chosen = (ahead or [due for _, due in found])[:1]
    return (chosen[0].day, chosen[0].last_day) if chosen else None


def _pregnancy(ctx: Context) -> tuple[bool, dt.date | None, dt.date | None]:
    """(pregnant, start, expected delivery date): an active pregnancy Condition no older than the
    longest pregnancy, or an expected delivery date in the future (§11.4)."""
    dates = _delivery_date(ctx)
    if dates and dates[1] > ctx.today:  # a partial date: dated from its earliest day (the longer pregnancy)
        return True, dates[0] - dt.timedelta(days=FULL_TERM_DAYS), dates[1]
    for condition in _conditions(ctx, PREGNANCY):
        began = condition.onset or condition.recorded or condition.date
        if condition.clinical_status in (None, "active", "recurrence", "relapse") and (
                condition.abatement is None or condition.abatement > ctx.today) and began and (
                ctx.today - began).days <= LONGEST_PREGNANCY_DAYS:
            return True, began, None
    return False, None, None


def target_row(row_id: str) -> terminology.Target:
    """One row of targets.csv by its id; TerminologyError when it is missing."""
    for measure_id in terminology.measures():
        for row in terminology.targets(measure_id):
            if row.id == row_id:
                return row
    raise terminology.TerminologyError(f"targets.csv has no row {row_id!r}")


def band(rows: tuple[str, ...], value: float, comparator: str | None) -> int | None:
    """The position of a value among bands (0 is the first), from targets.csv."""
    value += {">": 0.5, ">=": 0.5, "<": -0.5, "<=": -0.5}.get(comparator or "", 0.0)
    for position, row_id in enumerate(rows):
        if target_row(row_id).contains(value):
            return position
    return None


def egfr_band(value: float, comparator: str | None) -> int | None:
    """The position of an eGFR value among the G1-G5 bands (0 is G1), from targets.csv."""
    return band(EGFR_BAND_ROWS, value, comparator)


def _persisting(results: list[LabResult], rows: tuple[str, ...]) -> int | None:
    """The band two results at least 3 months apart both reach (the latest and the newest one 3
    months before it; the milder of the two), or None."""
    if not results:
        return None
    latest = results[-1]
    earlier = [r for r in results[:-1] if (latest.date - r.date).days >= CKD_APART_DAYS]
    if not earlier:
        return None
    found = [band(rows, r.value, r.comparator) for r in (earlier[-1], latest)]
    return None if None in found else min(found)


def _kidneys(ctx: Context) -> Kidneys | None:
    """CKD when eGFR stays below 60 (G3a or worse) or ACR stays 3 or more (A2 or worse) on two
    results at least 3 months apart (§11.5)."""
    egfr = [r for r in ctx.valued("egfr") if r.date <= ctx.today]
    acr = [r for r in ctx.valued("acr") if r.date <= ctx.today]
    g, a = _persisting(egfr, EGFR_BAND_ROWS), _persisting(acr, ACR_BAND_ROWS)
    if not ((g is not None and g >= 2) or (a is not None and a >= 1)):
        return None
    if g is None:
        g = egfr_band(egfr[-1].value, egfr[-1].comparator) if egfr else 0
    if a is None:
        a = band(ACR_BAND_ROWS, acr[-1].value, acr[-1].comparator) if acr else 0
    g_label = target_row(EGFR_BAND_ROWS[g or 0]).label
    a_label = target_row(ACR_BAND_ROWS[a or 0]).label
    high = bool(acr) and target_row(CKD_BP_ROW).contains(acr[-1].value) is True \
        and acr[-1].comparator not in ("<", "<=")
    return Kidneys(g_label, a_label, high)


def _personal_range(ctx: Context) -> tuple[float, float] | None:
    """A personal HbA1c range agreed with the person: a Goal with both a low and a high (§11.6).
    A range that cannot be trusted (conditions/personal.py) is not used: the guideline applies."""
    mine = personal_target(ctx, "hba1c")
    if mine and mine[1].low is not None and mine[1].high is not None:  # ends merged (conditions/personal.py)
        return mine[1].low, mine[1].high
    return None


def _work_out(ctx: Context) -> Situations:
    found = diagnosis(ctx)
    pregnant, start, due = _pregnancy(ctx)
    gestational = found == "gdm" and pregnant
    if found == "gdm":
        found = "confirmed" if pregnant else "gdm_after_birth"
    kind = None
    if found in ("confirmed", "remission", "possible"):
        kind = "type2" if _typed(ctx, TYPE2, found) or _conditions(ctx, REMISSION) else (
            "type1" if _typed(ctx, TYPE1, found) else None)
    end_of_life = ctx.has_coded(*END_OF_LIFE)
    frailty = ctx.has_coded(FRAILTY)
    found_range = _personal_range(ctx)
    kidneys = _kidneys(ctx) if found in ("confirmed", "remission", "none") else None
    said = _words(ctx, found, kind, ctx.age_range, pregnant, kidneys, found_range, frailty, end_of_life)
    return Situations(diagnosis=found, kind=kind, ages=ctx.age_range, pregnancy_start=start, delivery_date=due,
                      pregnant=pregnant, kidneys=kidneys, personal_range=found_range,
                      frailty=frailty, end_of_life=end_of_life, gestational=gestational,
                      shown=tuple(said))


def _under_18(ctx: Context, age_range: tuple[int, int]) -> str:
    """"you are under 18", or "you may be under 18 (...)" when a partial birth date leaves it open."""
    if age_range[1] < CHILD_AGE:
        return ctx.wording("you are under 18", "{name} is under 18")
    given = "birth year" if ctx.record.patient and ctx.record.patient.birth_date_precision == "year" \
        else "birth month and year"
    return ctx.wording(f"you may be under 18 (your record gives your {given} only)",
                       f"{{name}} may be under 18 ({{name}}'s record gives the {given} only)")


def _words(ctx: Context, found, kind, age_range, pregnant, kidneys, found_range, frailty,
           end_of_life) -> list[Situation]:
    """The situations the view says in words, most important first."""
    you_are = ctx.wording("you are", "{name} is")
    your = ctx.wording("your", "{name}'s")
    you_have = ctx.wording("you have", "{name} has")
    said: list[Situation] = []
    if found == "possible":
        said.append(Situation("possible", f"Diabetes is recorded as possible in {your} record, not "
                              "confirmed, so this view shows results only: no targets, checks or "
                              "questions.", "[DESIGN] clinical-reference §11.8"))
        return said
    if found == "gdm_after_birth":
        said.append(Situation("gdm_after_birth", f"Because {you_have} had diabetes in pregnancy "
                              "(gestational diabetes), NICE guideline NG3 suggests a blood sugar test "
                              "(HbA1c) once a year after the birth. This is not a diagnosis of diabetes.",
                              "[NG3]"))
        return said
    if end_of_life:
        said.append(Situation("end_of_life", f"Because {your} record shows end of life (palliative) "
                              "care, the aim is to avoid low blood sugar (hypos) and symptoms of high "
                              "blood sugar, not long-term targets. Yearly checks are not needed now unless "
                              f"{your} care team suggests them.", "[DUK-EOL]"))
    if pregnant:
        said.append(Situation("pregnancy", f"Because {you_are} pregnant, the blood sugar aim and the "
                              "eye and kidney checks follow NICE guideline NG3 for diabetes in pregnancy.",
                              "[NG3]"))
    if ages.may_be_under(age_range, CHILD_AGE):
        said.append(Situation("child", f"Because {_under_18(ctx, age_range)}, the targets and checks follow "
                              "NICE guideline NG18 for children and young people; blood pressure is "
                              "judged against charts for age and height.", "[NG18]"))
    elif kind == "type1":
        said.append(Situation("type1", f"Because {you_have} type 1 diabetes, the targets and checks "
                              "follow NICE guideline NG17 for adults with type 1 diabetes.", "[NG17]"))
    if kidneys:
        said.append(Situation("ckd", f"Because {your} kidney results, at least 3 months apart, are in "
                              f"the ranges NICE guideline NG203 calls {kidneys.g} {kidneys.a} for "
                              "chronic kidney disease, the blood pressure target and kidney test timing "
                              "follow that guideline.", "[NG203]"))
    if found_range:
        low, high = (number(v) for v in found_range)  # whole mmol/mol, as the measure's target says
        said.append(Situation("personal_range", f"Because {your} care team agreed a personal blood "
                              f"sugar range with {ctx.wording('you', '{name}')}, it is used instead of "
                              f"the usual target: {your} personal range is {low} to {high} mmol/mol.",
                              "[NG28]"))
    elif frailty:
        said.append(Situation("frailty", f"Because {your} record shows frailty, NICE guideline NG28 "
                              "suggests agreeing a personal blood sugar target that fits "
                              f"{ctx.wording('you', '{name}')}.", "[NG28]"))
    if found == "remission":
        said.append(Situation("remission", f"Because {your} diabetes is recorded as in remission, the "
                              "yearly blood sugar, eye, foot, blood pressure and kidney checks carry on.",
                              "[DESIGN] clinical-reference §11.8"))
    return said
