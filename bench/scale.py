"""Write one synthetic, UK-coded, multimorbid GP record of a chosen size, for the benchmark.

    python bench/scale.py --size 25000 --out FILE     # one FHIR R4 collection Bundle

One patient, 20 years of record (December 2006 to 25 November 2026), with data for all five
views: type 2 diabetes, rheumatoid arthritis on methotrexate, bipolar disorder on lithium,
Alzheimer's disease with a carer who has proxy access, and end of life care. Around them sit what a
complex GP record holds: consultations (Encounter) with vital signs, laboratory reports
(DiagnosticReport) pointing at their results, repeat prescriptions and their issues, clinic letters
with text (inline or in a Binary), immunisations, an allergy, and the entries the access gate has
to hide (NOPAT and PSY labels, entered in error).

The size sets how often things happen (`density`): 2,500 resources is about what such a record
holds when each series runs at its guideline interval; larger sizes run the same series more
often, keeping the mix of types. Resources come from the demo generator's building blocks
(data/demo/gen), so codes, units and shapes are the ones the demo records use.

Standard library only, and deterministic: the same size gives the same bytes on every run (the
reference "today" is fixed, the only randomness is seeded).
"""

from __future__ import annotations

import argparse
import copy
import datetime as dt
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
for folder in (ROOT / "data" / "demo", HERE):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))

from gen import documents as docs  # noqa: E402  (the demo generator, data/demo/gen)
from gen.fhir import (  # noqa: E402
    ROLE_CODE, SCT, TODAY, UK_RELATIONSHIP, add_days, at, coding, concept, day, full_url,
    nhs_numbers_in_test_range, ref, security, weekday,
)
from gen.medicines import acute, repeat  # noqa: E402
from gen.practice import GP2_ID, GP_ID, LAB_ID, NURSE_ID, SHARED, external, patient  # noqa: E402
from gen.record import Record, finding_concept, hba1c_goal_target  # noqa: E402

import scale_letters as letters  # noqa: E402  (bench/, beside this file)
from scale_history import ANTICIPATORY, DIAGNOSES, REPEATS, Series as _Series  # noqa: E402  (beside this file)

PATIENT_ID = "scale-patient"
START = dt.date(2006, 12, 4)
SIZES = (2_500, 25_000, 100_000)
_ENCOUNTER_CLASS = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
_REPORT_CATEGORY = "http://terminology.hl7.org/CodeSystem/v2-0074"

class _Builder:
    """One patient's record at one density; `resources` grows as each part is written."""

    def __init__(self, density: float, nhs_number: str):
        self.density = density
        self.nhs_number = nhs_number
        self.rec = Record("sc", PATIENT_ID, 7)
        self.rec.re_line = docs.heading("Margaret Scale", "1948-09-17", nhs_number,
                                        "41 Benchmark Road, Testington TE11 3WX")
        self.seq = 0
        rec = self.rec
        self.values = {
            "hba1c": _Series(rec, 58, 44, 82, 4, 0), "sys": _Series(rec, 138, 112, 168, 7, 0),
            "dia": _Series(rec, 82, 64, 98, 4, 0), "pulse": _Series(rec, 74, 56, 96, 5, 0),
            "weight": _Series(rec, 78.0, 58.0, 92.0, 0.8, 1), "chol": _Series(rec, 4.8, 3.2, 6.4, 0.3, 1),
            "hdl": _Series(rec, 1.2, 0.8, 1.8, 0.1, 1), "ldl": _Series(rec, 2.6, 1.4, 3.9, 0.2, 1),
            "trig": _Series(rec, 1.8, 0.9, 3.2, 0.2, 1), "creat": _Series(rec, 82, 64, 150, 4, 0),
            "egfr": _Series(rec, 74, 38, 92, 3, 0), "acr": _Series(rec, 2.4, 0.6, 9.0, 0.6, 1),
            "wcc": _Series(rec, 6.4, 3.4, 10.8, 0.8, 1), "neut": _Series(rec, 3.9, 1.6, 7.2, 0.6, 1),
            "plt": _Series(rec, 260, 140, 420, 20, 0), "mcv": _Series(rec, 92, 80, 104, 2, 0),
            "hb": _Series(rec, 128, 98, 150, 4, 0), "alt": _Series(rec, 24, 10, 64, 5, 0),
            "alb": _Series(rec, 41, 28, 48, 1, 0), "crp": _Series(rec, 6, 1, 48, 4, 0),
            "esr": _Series(rec, 18, 4, 60, 4, 0), "lithium": _Series(rec, 0.68, 0.42, 1.05, 0.06, 2),
            "tsh": _Series(rec, 2.2, 0.6, 6.2, 0.3, 1), "calcium": _Series(rec, 2.42, 2.2, 2.66, 0.04, 2),
            "phq9": _Series(rec, 7, 2, 19, 2, 0), "gad7": _Series(rec, 6, 1, 16, 2, 0),
            "das28": _Series(rec, 3.4, 2.0, 5.8, 0.4, 1), "mmse": _Series(rec, 25, 12, 28, 1, 0),
        }

    # -- helpers --------------------------------------------------------------------------------
    def every(self, first: str | dt.date, days: float, last: dt.date | None = None):
        """Dates from `first` to `last` (default: today), `days` apart at density 1 (never further
        apart: below density 1 the record keeps its guideline intervals), on weekdays."""
        step = max(1.0, days / max(1.0, self.density))
        when = day(first) if isinstance(first, str) else first
        last = last or add_days(TODAY, -1)
        offset = 0.0
        while True:
            jitter = self.rec.jitter(-2, 2) if step >= 14 else 0
            current = weekday(when + dt.timedelta(days=int(offset) + jitter))
            if current > last:
                return
            yield current.isoformat()
            offset += step

    def unique(self, resource: dict) -> dict:
        """Give a resource a sequence-numbered id, so series on the same day never collide."""
        self.seq += 1
        resource["id"] = f"{resource['id']}-{self.seq}"
        return resource

    def measure(self, key: str, when: str, value, **extra) -> dict:
        self.seq += 1
        return self.rec.measure(key, when, value, suffix=f"-{self.seq}", **extra)

    def report(self, name: str, code: str | None, when: str, results: list[dict],
               labels: tuple[str, ...] = ()) -> dict:
        """A laboratory report (DiagnosticReport) pointing at its results."""
        self.seq += 1
        meta: dict = {"versionId": "1"}
        if labels:
            meta["security"] = security(*labels)
        res = {"resourceType": "DiagnosticReport", "id": self.rec.rid("dr", when, str(self.seq)),
               "meta": meta, "status": "final",
               "category": [concept("Laboratory", coding(_REPORT_CATEGORY, "LAB", "Laboratory"))],
               "code": concept(name, coding(SCT, code, name)) if code else concept(name),
               "subject": self.rec.subject(), "effectiveDateTime": at(when, "09:15"),
               "issued": at(add_days(when, 1), "14:30"), "performer": [ref("Organization", LAB_ID)],
               "result": [ref("Observation", r["id"]) for r in results]}
        return self.rec.add(res)

    def encounter(self, when: str, who: str, reason: str) -> dict:
        self.seq += 1
        return self.rec.add({
            "resourceType": "Encounter", "id": self.rec.rid("enc", when, str(self.seq)),
            "status": "finished", "class": coding(_ENCOUNTER_CLASS, "AMB", "ambulatory"),
            "type": [concept("General practice consultation", coding(SCT, "185389009",
                                                                     "Follow-up visit"))],
            "subject": self.rec.subject(), "period": {"start": at(when, "10:00"), "end": at(when, "10:15")},
            "participant": [{"individual": ref("Practitioner", who)}],
            "reasonCode": [concept(reason)], "serviceProvider": ref("Organization", "demo-gp-practice")})

    # -- the record -----------------------------------------------------------------------------
    def build(self) -> list[dict]:
        rec = self.rec
        rec.add(patient(PATIENT_ID, self.nhs_number, "Margaret", "Scale", "female", "1948-09-17",
                        "41 Benchmark Road", "TE11 3WX", "07700 900107"))
        for org in ("demo-acute-trust", "demo-eye-screening", "demo-mh-trust", "demo-memory-clinic",
                    "demo-hospice"):
            rec.add(external(org))
        for key, onset, recorded in DIAGNOSES:
            rec.condition(key, onset, recorded)
        self._fixed()
        self._consultations()
        self._diabetes()
        self._arthritis()
        self._mental_health()
        self._dementia()
        self._end_of_life()
        self._medicines()
        self._letters()
        return rec.resources

    def _fixed(self) -> None:
        rec = self.rec
        rec.add({"resourceType": "AllergyIntolerance", "id": rec.rid("allergy", "penicillin"),
                 "clinicalStatus": concept("Active", coding(
                     "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical", "active")),
                 "verificationStatus": concept("Confirmed", coding(
                     "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification",
                     "confirmed")),
                 "category": ["medication"], "criticality": "high",
                 "code": concept("Penicillin", coding(SCT, "764146007", "Penicillin")),
                 "patient": rec.subject(), "recordedDate": "2007-01-15",
                 "reaction": [{"manifestation": [concept("Urticaria", coding(SCT, "126485001",
                                                                              "Urticaria"))]}]})
        rec.measure("height", "2007-01-15", 1.63)
        for year in range(START.year, TODAY.year + 1):
            when = weekday(dt.date(year, 10, 12))
            if when <= TODAY:
                rec.add({"resourceType": "Immunization", "id": rec.rid("imm", "flu", str(year)),
                         "status": "completed",
                         "vaccineCode": concept("Influenza vaccine", coding(SCT, "1181000221105",
                                                                            "Influenza vaccine")),
                         "patient": rec.subject(), "occurrenceDateTime": at(when, "11:00"),
                         "recorded": when.isoformat(), "performer": [{"actor": ref("Practitioner", NURSE_ID)}]})

    def _consultations(self) -> None:
        """GP and nurse consultations with the vital signs taken at them."""
        v = self.values
        for n, when in enumerate(self.every(START, 75)):
            enc = self.encounter(when, (NURSE_ID, GP_ID, GP2_ID)[n % 3], "Long-term condition review")
            taken = [self.unique(self.rec.blood_pressure(when, v["sys"].next(), v["dia"].next())),
                     self.measure("pulse", when, v["pulse"].next())]
            if n % 2 == 0:
                weight = v["weight"].next()
                taken += [self.measure("weight", when, weight),
                          self.measure("bmi", when, round(weight / 1.63 ** 2, 1))]
            for obs in taken:
                obs["encounter"] = ref("Encounter", enc["id"])

    def _diabetes(self) -> None:
        v = self.values
        for n, when in enumerate(self.every("2008-02-11", 182)):
            # About one result in 200 is later marked entered in error (and repeated).
            status = "entered-in-error" if n % 200 == 57 else "final"
            obs = self.measure("hba1c", when, v["hba1c"].next(), status=status)
            self.report("HbA1c", None, when, [obs])
        for when in self.every("2008-05-12", 365):
            lipids = [self.measure("cholesterol", when, v["chol"].next()),
                      self.measure("hdl", when, v["hdl"].next()),
                      self.measure("ldl", when, v["ldl"].next()),
                      self.measure("triglycerides", when, v["trig"].next())]
            renal = [self.measure("creatinine_f", when, v["creat"].next()),
                     self.measure("egfr", when, v["egfr"].next()),
                     self.measure("acr", when, v["acr"].next())]
            self.report("Lipid profile", None, when, lipids)
            self.report("Urea and electrolytes", None, when, renal)
            risk = "Low risk" if when < "2020" else "Increased risk"
            self.unique(self.rec.finding("foot_check", when, "exam", value_text=f"{risk} (diabetic foot risk)"))
            self.unique(self.rec.finding("smoking_ex", when, "social-history", note="Stopped smoking in 1999."))
        for when in self.every("2008-08-18", 365):
            self.unique(self.rec.finding("retinal_screening", when, "exam", author=GP2_ID,
                                         value_text="No diabetic retinopathy (R0 M0) in either eye"))
        self.rec.goal("hba1c", "HbA1c target agreed at annual review", "2025-07-14",
                      targets=[hba1c_goal_target(53)], addresses=[self.rec.rid("cond", "diabetes-type2")],
                      note="Source: NICE NG28 1.5.7")

    def _arthritis(self) -> None:
        v = self.values
        for when in self.every("2012-06-18", 84):
            fbc = [self.measure("wcc", when, v["wcc"].next()),
                   self.measure("neutrophils", when, v["neut"].next()),
                   self.measure("platelets", when, v["plt"].next()),
                   self.measure("mcv", when, v["mcv"].next()),
                   self.measure("haemoglobin", when, v["hb"].next())]
            lft = [self.measure("alt", when, v["alt"].next()), self.measure("albumin", when, v["alb"].next())]
            inflammation = [self.measure("crp", when, v["crp"].next()), self.measure("esr", when, v["esr"].next())]
            self.report("Full blood count", "26604007", when, fbc)
            self.report("Liver function tests", None, when, lft)
            self.report("Inflammatory markers", None, when, inflammation)
        for when in self.every("2012-10-15", 182):
            self.measure("das28", when, v["das28"].next())

    def _mental_health(self) -> None:
        v = self.values
        for when in self.every(START, 91):
            obs = self.measure("lithium", when, v["lithium"].next(),
                               note="Sample taken 12 hours after the evening dose.")
            self.report("Serum lithium", None, when, [obs])
        for when in self.every("2007-01-15", 182):
            taken = [self.measure("creatinine_f", when, v["creat"].next()),
                     self.measure("egfr", when, v["egfr"].next()),
                     self.measure("tsh", when, v["tsh"].next()),
                     self.measure("calcium", when, v["calcium"].next())]
            self.report("Lithium monitoring bloods", None, when, taken)
        for n, when in enumerate(self.every("2007-03-12", 365)):
            self.measure("phq9", when, v["phq9"].next())
            self.measure("gad7", when, v["gad7"].next())
            if n % 2 == 0 or self.density > 1:
                self.unique(self.rec.finding("mh_risk_assessment", when, "exam", labels=("PSY",),
                                             value_text="Low risk of harm to self or others at present"))
        self.unique(self.rec.finding("smi_health_check", "2026-06-18", "exam"))

    def _dementia(self) -> None:
        rec, v = self.rec, self.values
        rec.measure("sixcit", "2021-11-15", 12)
        for when in self.every("2022-03-07", 182):
            self.measure("mmse", when, v["mmse"].next())
        rec.finding("dementia_care_plan_agreed", "2022-04-11", "exam",
                    note="Care plan agreed with Margaret and her daughter Helen.")
        for when in self.every("2023-04-17", 365):
            self.unique(rec.finding("dementia_care_plan_review", when, "exam", note="Face-to-face review."))
        cond = rec.rid("cond", "alzheimers")
        rec.goal("home", "Stay living in her own home with support", "2022-04-11", addresses=[cond])
        rec.care_plan("dementia", "Dementia care plan", finding_concept("dementia_care_plan"),
                      "2022-04-11", description="Plan agreed with Margaret and her daughter Helen.",
                      activities=[("in-progress", "Daily visits from Helen"),
                                  ("scheduled", "Annual dementia review at the practice")],
                      goals=(rec.rid("goal", "home"),), addresses=(cond,))
        carer = coding(UK_RELATIONSHIP, "Carer", "Carer")
        docs.related_person(rec, "daughter", "Helen", "Scale",
                            [concept("Carer", carer),
                             concept("Daughter", coding(ROLE_CODE, "DAU", "natural daughter"))],
                            "2022-04-11", "07700 900207")
        docs.proxy_consent(rec, "proxy-daughter", "daughter", decided="2022-05-03", start="2022-05-03",
                           end="2027-05-02", data_start="2018-01-01")

    def _end_of_life(self) -> None:
        rec = self.rec
        for n, when in enumerate(self.every("2025-09-15", 30)):
            rec.measure("karnofsky", when, max(30, 70 - 10 * (n // max(1, int(3 * self.density)))),
                        suffix=f"-{n}")
        rec.flag("eol-register", finding_concept("eol_register"), "2025-10-01")
        rec.flag("dnacpr", finding_concept("cpr_not_for"), "2026-03-10", end="2026-09-10")
        rec.finding("gsf_c", "2026-10-14", "exam")
        rec.finding("place_of_care", "2026-03-10", "survey", value_code=("264362003", "Home"),
                    text="Preferred place of care", note="Wishes to be cared for at home.")
        cancer = rec.rid("cond", "lung-cancer")
        rec.goal("comfort", "To be comfortable at home with her family", "2026-03-10", addresses=[cancer])
        rec.care_plan("end-of-life", "End of life care plan", finding_concept("eol_care_plan"),
                      "2026-03-10", description="Plan agreed with Margaret and Helen at a home visit.",
                      activities=[("in-progress", "Community palliative care nurse visits every two weeks")],
                      goals=(rec.rid("goal", "comfort"),), addresses=(cancer,))
        for key, name, dose in ANTICIPATORY:
            acute(rec, key, name, None, dose=dose, amount=10, unit="ampoule", when="2026-10-14",
                  note="Anticipatory (just in case) medicine")
        rec.procedure("anticipatory-2026-10-14", finding_concept("anticipatory_prescribed"), "2026-10-14")

    def _medicines(self) -> None:
        for key, name, dose, amount, unit, start, stop, interval, reason in REPEATS:
            scaled = interval / max(1.0, self.density)
            made = repeat(self.rec, key, name, None, dose=dose, amount=amount, unit=unit, start=start,
                          stop=stop, interval=max(7, round(scaled)),
                          reason=self.rec.rid("cond", reason) if reason else None)
            if scaled < 7:
                self._more_issues(made[1:], round(7 / scaled))

    def _more_issues(self, issues: list[dict], per_week: int) -> None:
        """Issues closer than a week apart, for the densest records: the demo generator issues at
        most weekly (its ids are one per medicine a day), which made medicines stop growing above
        about 25k while every other series kept growing, so the 100k record's mix of types drifted
        (Observations 57% at 25k, 67% at 100k). Each weekly issue gains `per_week - 1` copies on
        the following days, with ids of their own."""
        for issue in issues:
            for extra in range(1, per_week):
                when = weekday(add_days(issue["authoredOn"], extra * 7 // per_week))
                copied = self.unique(copy.deepcopy(issue))
                copied["authoredOn"] = when.isoformat()
                self.rec.add(copied)

    def _letters(self) -> None:
        """Clinic letters from each service, in turn; a quarter keep their text in a Binary."""
        kinds = [letters.diabetes, letters.rheumatology, letters.psychiatry, letters.eye_screening]
        for n, when in enumerate(self.every("2007-02-05", 90)):
            make = kinds[n % len(kinds)]
            if when >= "2022-03" and n % 5 == 4:
                make = letters.memory_clinic
            if when >= "2025-09" and n % 3 == 2:
                make = letters.hospice
            title, doc_type, org, author, paragraphs, labels = make(when, self.values)
            kind = "binary" if n % 4 == 1 else ("html" if n % 10 == 3 else "text")
            if n % 97 == 50:
                labels = labels + ("NOPAT",)  # withheld by the practice: the gate hides it
            docs.letter(self.rec, f"{when}-{n}", when, title=title, doc_type=doc_type, org_id=org,
                        author=author, paragraphs=paragraphs, kind=kind, labels=labels)


def resources(size: int) -> list[dict]:
    """The shared practice resources and one patient's record, about `size` resources in all."""
    nhs_number = nhs_numbers_in_test_range(7)[-1]
    density, previous = size / 2_500, None  # about 2,500 resources at density 1
    for _ in range(8):  # the count is close to linear in the density: a few secant steps settle it
        built = _build(density, nhs_number)
        if abs(len(built) - size) <= size * 0.01 or (density <= 1 and len(built) > size):
            break  # close enough, or already at the guideline intervals (the smallest record)
        if previous and previous[1] != len(built):
            slope = (len(built) - previous[1]) / (density - previous[0])
        else:
            slope = len(built) / density
        previous, density = (density, len(built)), max(1.0, density + (size - len(built)) / slope)
    return built


def _build(density: float, nhs_number: str) -> list[dict]:
    return copy.deepcopy(SHARED) + _Builder(density, nhs_number).build()


def bundle(size: int) -> dict:
    """A collection Bundle, entries with urn:uuid fullUrls as the demo bundles have."""
    stamp = at(TODAY, "06:00")
    entries = [{"fullUrl": full_url(r["resourceType"], r["id"]), "resource": r} for r in resources(size)]
    return {"resourceType": "Bundle", "id": f"scale-{size}", "meta": {"lastUpdated": stamp},
            "type": "collection", "timestamp": stamp, "entry": entries}


def text(size: int) -> str:
    """The Bundle as JSON text: compact, UTF-8, keys in built order, newline-terminated."""
    return json.dumps(bundle(size), ensure_ascii=False, separators=(",", ":")) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=25_000, help="resources wanted (about)")
    parser.add_argument("--out", type=Path, required=True, help="the Bundle file to write")
    args = parser.parse_args(argv)
    if args.size < 500:
        parser.error("--size must be at least 500 (the fixed part of the record)")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(text(args.size).encode("utf-8"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
