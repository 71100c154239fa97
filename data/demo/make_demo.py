"""Write the synthetic, UK-coded demo records: one FHIR R4 collection Bundle per patient.

    python data/demo/make_demo.py            # regenerate data/demo/*.json
    python data/demo/make_demo.py --out DIR  # write them somewhere else (tests compare)

Standard library only. The output is byte-identical on every run: the reference "today" is fixed
(2026-11-25), the only randomness is seeded, and JSON keys keep their built order.
Everything in these records is synthetic: no real person, practice or clinician.
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
from pathlib import Path

from gen import arthritis, dementia, dementia_recent, diabetes, end_of_life, mental_health
from gen.fhir import TODAY, at, full_url, nhs_numbers_in_test_range
from gen.practice import SHARED

HERE = Path(__file__).resolve().parent

# File name and builder, in a fixed order (the order also fixes each patient's NHS number).
PATIENTS = [
    ("diabetes", diabetes.build),
    ("end_of_life", end_of_life.build),
    ("dementia", dementia.build),
    ("dementia_recent_start", dementia_recent.build),
    ("rheumatoid_arthritis", arthritis.build),
    ("bipolar_lithium", mental_health.build),
]


def bundle(name: str, resources: list[dict]) -> dict:
    """A collection Bundle of the shared practice resources followed by the patient's own."""
    stamp = at(TODAY, "06:00")
    entries = [{"fullUrl": full_url(res["resourceType"], res["id"]), "resource": res}
               for res in copy.deepcopy(SHARED) + resources]
    return {"resourceType": "Bundle", "id": f"demo-{name.replace('_', '-')}",
            "meta": {"lastUpdated": stamp}, "type": "collection", "timestamp": stamp,
            "entry": entries}


def build_all() -> dict[str, str]:
    """Every demo file name mapped to its exact text."""
    numbers = nhs_numbers_in_test_range(len(PATIENTS))
    out = {}
    for (name, build), nhs_number in zip(PATIENTS, numbers):
        text = json.dumps(bundle(name, build(nhs_number)), indent=2, ensure_ascii=False)
        out[f"{name}.json"] = text + "\n"
    return out


def write(out_dir: Path) -> list[Path]:
    """Write every demo file into `out_dir` (created if missing) and return the paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for file_name, text in build_all().items():
        path = out_dir / file_name
        path.write_text(text, encoding="utf-8", newline="\n")
        paths.append(path)
    return paths


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE,
                        help="folder to write the bundles into (default: data/demo)")
    args = parser.parse_args(argv)
    for path in write(args.out):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
