"""FHIR R4 XML is read exactly as FHIR JSON is (issue 14): single resources, Bundles and folders
mixing XML and JSON, with a hardened parser. Inputs: the UK Core R4 examples in
`../shared/fhir-samples/ukcore-r4-xml/` (read in place), the hand-written pair in
tests/fixtures/xml (see its README), and attack documents written inside the tests."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from fhirclient.models import fhirelementfactory

from connectors import fhir_xml
from connectors.base import Rejected
from connectors.files import FileConnector
from ltc_dashboard.cli.main import main

UKCORE = Path(__file__).resolve().parents[2] / "shared" / "fhir-samples" / "ukcore-r4-xml"
UKCORE_FILES = sorted(UKCORE.glob("*.xml"))
XML = Path(__file__).parent / "fixtures" / "xml"
JSON_FIXTURES = Path(__file__).parent / "fixtures" / "files"
needs_ukcore = pytest.mark.skipif(not UKCORE_FILES, reason="shared UK Core examples not present")


def read(*paths) -> tuple[list[dict], list[Rejected]]:
    items = list(FileConnector(paths).read())
    return [i for i in items if isinstance(i, dict)], [i for i in items if isinstance(i, Rejected)]


def test_the_hand_written_bundle_reads_as_its_json_form():
    """Lists, primitives' ids and extensions, numbers, booleans, contained resources and the
    narrative come out as the FHIR JSON form of the same Bundle, written by hand."""
    parsed = fhir_xml.parse((XML / "bundle_shapes.xml").read_text(encoding="utf-8"))
    assert parsed == json.loads((XML / "bundle_shapes.expected.json").read_text(encoding="utf-8"))
    assert isinstance(parsed["entry"][1]["resource"]["valueQuantity"]["value"], float)
    assert parsed["entry"][0]["resource"]["multipleBirthInteger"] == 2


def test_an_xml_bundle_imports_as_its_json_form_does(tmp_path):
    """The file connector gives the same resources, references rewritten, for the XML file and
    for the same Bundle as JSON."""
    as_json = tmp_path / "shapes.json"
    as_json.write_text((XML / "bundle_shapes.expected.json").read_text(encoding="utf-8"), encoding="utf-8")
    from_xml, rejected_xml = read(XML / "bundle_shapes.xml")
    from_json, rejected_json = read(as_json)
    assert rejected_xml == rejected_json == []
    assert from_xml == from_json
    assert from_xml[1]["subject"] == {"reference": "Patient/xml-pat"}


@needs_ukcore
@pytest.mark.parametrize("path", UKCORE_FILES, ids=lambda p: p.stem.removeprefix("UKCore-"))
def test_each_ukcore_example_reads_into_json_that_fhirclient_accepts_strictly(path):
    """Every UK Core example becomes JSON that fhirclient's R4 models accept in strict mode: each
    list is a list, each single value single, each number and true/false of the right type."""
    parsed = fhir_xml.parse(path.read_text(encoding="utf-8"))
    assert parsed["resourceType"] in path.stem.split("-")
    fhirelementfactory.FHIRElementFactory.instantiate(parsed["resourceType"], parsed)  # raises if not


@needs_ukcore
def test_every_ukcore_file_is_imported_or_rejected_by_name():
    """Each of the examples either gives resources or is rejected with a reason naming its file."""
    for path in UKCORE_FILES:
        resources, rejected = read(path)
        assert resources or rejected, path.name
        assert all(item.source == str(path) and item.reason for item in rejected)
    _, rejected = read(UKCORE / "UKCore-OperationOutcome-DateError-Example.xml")
    assert rejected[0].reason.startswith("OperationOutcome, not imported")


@needs_ukcore
def test_ukcore_values_survive_as_written():
    """Values read from the XML are the ones written there: the 24-hour blood pressure's
    components, a medicine's dm+d code, an allergy's entered-in-error status."""
    bp = fhir_xml.parse((UKCORE / "UKCore-Observation-24HourBloodPressure-Example.xml").read_text())
    assert [(c["code"]["coding"][0]["code"], c["valueQuantity"]["value"]) for c in bp["component"]] == [
        ("314464000", 102), ("314465004", 84)]
    allergy = fhir_xml.parse((UKCORE / "UKCore-AllergyIntolerance-EnteredInError-Example.xml").read_text())
    assert allergy["verificationStatus"]["coding"][0]["code"] == "entered-in-error"


def test_a_folder_mixing_xml_json_and_other_files_accounts_for_every_file(tmp_path):
    """XML and JSON files in one folder are both read; a file that is neither is rejected by name."""
    (tmp_path / "a.xml").write_text((XML / "bundle_shapes.xml").read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "b.json").write_text((JSON_FIXTURES / "single_observation.json").read_text(encoding="utf-8"))
    (tmp_path / "c.xml.gz").write_bytes(gzip.compress((XML / "bundle_shapes.xml").read_bytes()))
    (tmp_path / "d.txt").write_text("shopping list", encoding="utf-8")
    (tmp_path / "e").write_text('<?xml version="1.0"?><Patient xmlns="http://hl7.org/fhir"><id value="no-suffix"/></Patient>')
    resources, rejected = read(tmp_path)
    assert [r["id"] for r in resources] == ["xml-pat", "xml-hba1c", "hba1c-1", "xml-pat", "xml-hba1c", "no-suffix"]
    assert rejected == [Rejected(str(tmp_path / "d.txt"), "file", "neither FHIR JSON nor FHIR XML")]


BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<Patient xmlns="http://hl7.org/fhir"><id value="x"/><gender value="&lol3;"/></Patient>"""


@pytest.mark.parametrize("document, reason", [
    (BILLION_LAUGHS, "XML with a document type declaration or entities is not read"),
    ('<?xml version="1.0"?><!DOCTYPE p [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
     '<Patient xmlns="http://hl7.org/fhir"><id value="x"/><gender value="&x;"/></Patient>',
     "XML with a document type declaration or entities is not read"),
    ('<Patient><id value="x"/></Patient>', "not FHIR XML: the root element is not in the FHIR namespace"),
    ('<Patient xmlns="http://hl7.org/fhir"><id value="x"/><shoeSize value="9"/></Patient>',
     "Patient: unknown element 'shoeSize'"),
    ('<Patient xmlns="http://hl7.org/fhir"><id value="x"/><gender value="female"/><gender value="male"/></Patient>',
     "Patient.gender: appears more than once, but holds one value"),
    ('<Patient xmlns="http://hl7.org/fhir"><id value="x"/><active value="yes"/></Patient>',
     "Patient.active: 'yes' is not true or false"),
    ('<Observation xmlns="http://hl7.org/fhir"><id value="x"/><valueQuantity><value value="1e999"/>'
     '</valueQuantity></Observation>', "Observation.valueQuantity.value: '1e999' is too large a number"),
    ('<Spaceship xmlns="http://hl7.org/fhir"><id value="x"/></Spaceship>', "'Spaceship' is not a FHIR R4 resource type"),
    ('<Patient xmlns="http://hl7.org/fhir"><id value="x"/>', "invalid XML at line 1 column 53"),
    ('<Patient xmlns="http://hl7.org/fhir"><id value="x"/><contained><Patient><id value="a"/></Patient>'
     '<Patient><id value="b"/></Patient></contained></Patient>', "Patient.contained: must hold exactly one resource"),
    ('<Patient xmlns="http://hl7.org/fhir"><id value="x"/><multipleBirthInteger value="2147483648"/></Patient>',
     "Patient.multipleBirthInteger: '2147483648' is too large a whole number (FHIR's are 32-bit)"),
    ('<Patient xmlns="http://hl7.org/fhir"><id value="x"/><multipleBirthInteger value="' + "0" * 5000 + '1x"/></Patient>',
     "Patient.multipleBirthInteger: '00000000000000000000' is not a whole number"),
])
def test_documents_that_cannot_be_read_are_rejected_with_a_specific_reason(tmp_path, document, reason):
    """Entity tricks, other namespaces, unknown or doubled elements and bad values are each
    rejected whole, with a reason that says what is wrong, and nothing is imported."""
    path = tmp_path / "bad.xml"
    path.write_text(document, encoding="utf-8")
    resources, rejected = read(path)
    assert resources == []
    assert rejected == [Rejected(str(path), "file", reason)]


def test_deep_nesting_is_refused_not_walked(tmp_path):
    """An extension nested thousands deep is rejected with a reason, never a crash."""
    depth = 5000
    document = ('<Patient xmlns="http://hl7.org/fhir"><id value="x"/>'
                + '<extension url="u">' * depth + '</extension>' * depth + "</Patient>")
    path = tmp_path / "deep.xml"
    path.write_text(document, encoding="utf-8")
    resources, rejected = read(path)
    assert resources == [] and rejected[0].reason.endswith("nested too deeply")


def test_ltc_import_reads_xml_and_names_each_rejected_file(capsys, db_path, tmp_path):
    """`ltc import` on a folder of XML imports what it can, exits 1 and names the file it could not read."""
    (tmp_path / "good.xml").write_text((XML / "bundle_shapes.xml").read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "bad.xml").write_text(BILLION_LAUGHS, encoding="utf-8")
    code = main(["import", str(tmp_path), "--db", str(db_path)])
    out, err = capsys.readouterr()
    assert code == 1
    assert "Observation" in out and "Patient" in out
    assert f"rejected: {tmp_path / 'bad.xml'} (file): XML with a document type declaration" in err


@pytest.mark.parametrize("text, value", [("2147483647", 2147483647), ("-2147483648", -2147483648),
                                         ("+007", 7), ("0" * 5000 + "3", 3)])
def test_whole_numbers_in_the_32_bit_range_are_read_however_they_are_written(tmp_path, text, value):
    """A whole number FHIR allows is read, leading zeros and all, without asking Python to read 5,000 digits."""
    path = tmp_path / "p.xml"
    path.write_text(f'<Patient xmlns="http://hl7.org/fhir"><id value="x"/><multipleBirthInteger value="{text}"/></Patient>')
    resources, rejected = read(path)
    assert rejected == [] and resources[0]["multipleBirthInteger"] == value


@pytest.mark.parametrize("depth, refused", [(fhir_xml.MAX_XHTML_DEPTH, False), (fhir_xml.MAX_XHTML_DEPTH + 1, True)])
def test_narrative_xhtml_is_read_up_to_its_depth_limit(tmp_path, depth, refused):
    """A narrative nested MAX_XHTML_DEPTH levels inside its div is read; one level more is refused by reason."""
    path = tmp_path / "p.xml"
    path.write_text('<Patient xmlns="http://hl7.org/fhir"><id value="x"/><text><status value="generated"/>'
                    '<div xmlns="http://www.w3.org/1999/xhtml">' + "<b>" * depth + "x" + "</b>" * depth
                    + "</div></text></Patient>")
    resources, rejected = read(path)
    if refused:
        assert resources == [] and rejected == [Rejected(str(path), "file", "Patient.text.div: the narrative's XHTML"
                                                         f" is nested too deeply (more than {depth - 1} levels)")]
    else:
        assert rejected == [] and resources[0]["text"]["div"].count("<b>") == depth


RICHARD = "UKCore-Patient-RichardSmith-Example"


def _to_one_patient(node) -> None:
    """Point every Patient or urn:uuid reference at Richard Smith (the examples each imagine their
    own patient, some by urn:uuid ids no file resolves)."""
    if isinstance(node, dict):
        ref = node.get("reference")
        if isinstance(ref, str) and (ref.startswith("Patient/") or ref.startswith("urn:uuid:")):
            node["reference"] = f"Patient/{RICHARD}"
        for value in node.values():
            _to_one_patient(value)
    elif isinstance(node, list):
        for value in node:
            _to_one_patient(value)


@needs_ukcore
def test_the_ukcore_examples_as_one_record_read_value_by_value(tmp_path, fresh_store):
    """The UK Core examples, read from XML with every patient reference rewritten to Richard Smith
    and the other example patients left out, import and map to the values written in their XML:
    each measure's value, unit and date, the 24-hour blood pressure apart from the clinic one, and
    the intravenous and oral paracetamol as two medicines."""
    from ltc_dashboard.intake.ingest import import_paths
    from ltc_dashboard.gate.access import Viewer
    from ltc_dashboard.service.core import Service

    lines = []
    for path in UKCORE_FILES:
        resource = fhir_xml.parse(path.read_text(encoding="utf-8"))
        if resource["resourceType"] == "Patient" and resource["id"] != RICHARD:
            continue
        _to_one_patient(resource)
        lines.append(json.dumps(resource))
    (tmp_path / "ukcore.ndjson").write_text("\n".join(lines), encoding="utf-8")
    import_paths(fresh_store, [tmp_path / "ukcore.ndjson"])
    service = Service(fresh_store)
    viewer = Viewer(kind="patient", patient_id=RICHARD)
    import datetime as dt
    record = service.record(viewer, dt.date(2026, 11, 25))
    singles = {"UKCore-Observation-VitalSigns-BloodPressure-Example", "UKCore-Observation-24HourBloodPressure-Example",
               "UKCore-Observation-VitalSigns-BMI-Example", "UKCore-Observation-VitalSigns-BodyHeight-Example",
               "UKCore-Observation-VitalSigns-BodyWeight-Example", "UKCore-Observation-VitalSigns-HeartRate-Example",
               "UKCore-Observation-Lab-Albumin-Example"}  # one example each (the Bundles add more readings)
    found = {m: [(r.value, r.unit, r.date.isoformat()) for r in record.results_for(m) if r.id.split("#")[0] in singles]
             for m in ("bp_systolic", "bp_diastolic", "bp_24h_systolic", "bp_24h_diastolic", "bmi", "height",
                       "weight", "pulse", "albumin")}
    assert found == {  # each value as its example's XML writes it
        "bp_systolic": [(142, "mm[Hg]", "2023-08-10")], "bp_diastolic": [(94, "mm[Hg]", "2023-08-10")],
        "bp_24h_systolic": [(102, "mm[Hg]", "2023-03-10")], "bp_24h_diastolic": [(84, "mm[Hg]", "2023-03-10")],
        "bmi": [(46, "kg/m2", "2023-08-10")], "height": [(1.64, "m", "2023-08-10")],
        "weight": [(90, "kg", "2023-08-10")], "pulse": [(104, "/min", "2023-08-10")],
        "albumin": [(47, "g/L", "2022-03-08")],
    }
    assert len(record.results_for("bp_systolic")) > 1  # the NEWS2 and other Bundles' readings are read too
    paracetamol = [m for m in record.medications if m.name.casefold().startswith("paracetamol")]
    assert sorted((m.route or "").casefold() for m in paracetamol) == ["intravenous", "oral"]
    summary = service.summary(viewer, dt.date(2026, 11, 25))
    assert summary.patient.name and "Richard" in summary.patient.name
