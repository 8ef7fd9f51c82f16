"""The real public examples in `shared/data/` (UK Core R4 XML, e-RS R4 JSON) are read with no
internal error, nothing lost and nothing unreadable; and the UK Core discharge Composition
gives what rules.md implies from its content."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import pytest

from adapter.engine import check, evaluate
from adapter.facts import Letter
from adapter.ingest import Received, read_paths
from adapter.model import Counts, Location, Result
from adapter.policy import load_policy
from adapter.translate import translate
from adapter.xml import fhir_xml_to_json

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
REAL = DATA.parent / "real-traffic"
STU3 = REAL / "transfer-of-care-stu3"
# Published with a Jekyll template line before the XML: unreadable, and said so.
TEMPLATED = STU3 / "gpconnect-senddocument" / "consultation_report.xml"
UKCORE = DATA / "ukcore-r4-examples"
ERS = DATA / "ers-r4-examples"
AS_OF = datetime(2024, 1, 1, tzinfo=UTC)
DISCHARGE_SUMMARY = frozenset({"http://snomed.info/sct|373942005"})

COMPOSITION = UKCORE / "UKCore-Composition-Discharge-Example.xml"
ENCOUNTER = UKCORE / "UKCore-Encounter-InpatientEncounter-Example.xml"
TRUST = UKCORE / "UKCore-Organization-LeedsTeachingHospital-Example.xml"
PRACTICE = UKCORE / "UKCore-Organization-WhiteRoseMedicalCentre-Example.xml"
PATIENT = UKCORE / "UKCore-Patient-RichardSmith-Example.xml"
# the references the Composition makes, none of which is a fullUrl anywhere in shared/data
COMPOSITION_ENCOUNTER = "urn:uuid:9a20cb92-354a-4015-82ec-ab0252efc5b9"
COMPOSITION_CUSTODIAN = "urn:uuid:120633ae-1a20-4e0e-b807-b78fb59679cc"

pytestmark = pytest.mark.skipif(
    not DATA.is_dir(), reason=f"shared example data not found at {DATA}"
)


def data_files() -> list[Path]:
    if not DATA.is_dir():
        return []
    return sorted(p for p in DATA.rglob("*") if p.is_file() and not p.name.startswith("."))


def assert_balanced(result: Result) -> None:
    total = Counts()
    for file_counts in result.files.values():
        assert file_counts.received == file_counts.accepted + file_counts.rejected
        total.merge(file_counts)
    assert result.counts.received == result.counts.accepted + result.counts.rejected
    assert total.to_json() == result.counts.to_json()


# -- every file ----------------------------------------------------------------------------------


def every_example_file() -> list[Path]:
    roots = [root for root in (DATA, REAL) if root.is_dir()]
    return sorted(
        p
        for root in roots
        for p in root.rglob("*")
        if p.is_file() and p.suffix in (".xml", ".json") and not p.name.startswith(".")
    )


@pytest.mark.parametrize("validate", ["rules", pytest.param("full", marks=pytest.mark.slow)])
def test_every_real_and_shared_file_is_read_alone_with_no_crash_and_balanced_counts(
    validate: Literal["rules", "full"],
) -> None:
    """Issue 9 "done when": each file of shared/data and shared/real-traffic, one at a time
    (their examples reuse ids), in both validation modes."""
    files = every_example_file()
    assert len(files) >= 370
    unreadable, stu3 = [], []
    for path in files:
        result = check([path], as_of=AS_OF, validate=validate)  # an exception fails the test

        assert_balanced(result)
        assert result.files.get(str(path), Counts()).to_json() == result.counts.to_json()
        rejected = {i.location.entry for i in result.issues if i.severity == "error"}
        assert result.counts.rejected == len(rejected), path
        if result.unreadable_files:
            unreadable.append(path)
        if any("read as FHIR STU3" in i.message for i in result.issues):
            stu3.append(path)
    assert unreadable == [TEMPLATED]
    # every STU3 file but the unreadable one says so, once; no R4 file does
    assert stu3 == sorted(p for p in STU3.rglob("*.xml") if p != TEMPLATED)


def test_templated_stu3_file_is_unreadable_with_a_message() -> None:
    result = check([TEMPLATED], as_of=AS_OF)

    assert result.counts.to_json() == {"received": 0, "accepted": 0, "rejected": 0}
    [issue] = result.issues
    assert issue.severity == "fatal"
    assert issue.message.startswith(f"{TEMPLATED}: is not valid JSON")


def test_shared_data_folder_holds_the_examples() -> None:
    assert len(list(UKCORE.glob("*.xml"))) >= 40
    assert len(list(ERS.glob("*.json"))) >= 20


@pytest.mark.parametrize("path", data_files(), ids=lambda p: p.name)
def test_every_shared_example_file_is_read_and_nothing_is_lost(path: Path) -> None:
    result = check([path], as_of=AS_OF)

    assert result.unreadable_files == 0
    assert [i for i in result.issues if i.severity == "fatal"] == []
    assert_balanced(result)
    mine = result.files.get(str(path), Counts())
    assert mine.to_json() == result.counts.to_json()
    assert mine.rejected == len({i.location.entry for i in result.issues if i.severity == "error"})


def test_whole_shared_data_folder_is_read_in_one_run(tmp_path: Path) -> None:
    result = check([DATA], as_of=AS_OF)

    assert result.unreadable_files == 0
    assert_balanced(result)
    assert set(result.files) <= {str(p) for p in data_files()}
    assert result.counts.accepted >= 70
    # the one invalid resource: an e-RS example sends Practitioner.identifier (0..*) as one object
    bad = ERS / "retrieveOboUsers-PractitionerBundle.json"
    assert result.counts.rejected == 1
    assert [i.message for i in result.issues] == [
        f"{bad} entry[0] Practitioner/111111111111: identifier must be an array "
        "(0..* in FHIR R4) (got an object)"
    ]


def test_batch_bundle_of_requests_only_counts_nothing_and_is_not_an_error() -> None:
    result = check([UKCORE / "UKCore-Bundle-Batch-Example.xml"], as_of=AS_OF)

    assert result.counts.to_json() == {"received": 0, "accepted": 0, "rejected": 0}
    assert result.issues == []
    assert result.unreadable_files == 0


def test_empty_searchset_counts_nothing_and_is_not_an_error() -> None:
    result = check([ERS / "searchServiceRequest-ResponseExampleEmpty.json"], as_of=AS_OF)

    assert result.counts.to_json() == {"received": 0, "accepted": 0, "rejected": 0}
    assert result.issues == []
    assert result.unreadable_files == 0


def test_xml_bundle_of_posts_counts_each_entry() -> None:
    result = check([UKCORE / "UKCore-Bundle-BatchPOST-Example.xml"], as_of=AS_OF)

    assert result.counts.to_json() == {"received": 5, "accepted": 5, "rejected": 0}
    assert result.issues == []


# -- the UK Core discharge Composition --------------------------------------------------------------


def composition_letter() -> Letter:
    [item] = list(read_paths([COMPOSITION]))
    assert isinstance(item, Received)
    translated = translate(item, load_policy())
    assert translated.issues == ()
    assert isinstance(translated.fact, Letter)
    return translated.fact


def test_ukcore_discharge_composition_translates_to_a_final_discharge_summary() -> None:
    letter = composition_letter()

    assert letter.head.key == "Composition/UKCore-Composition-Discharge-Example"
    assert letter.status == "final"
    assert any(t.has_code(DISCHARGE_SUMMARY) for t in letter.types)


def test_ukcore_discharge_composition_is_sent_at_its_date() -> None:
    assert composition_letter().sent == datetime(2021, 2, 12, 19, 0, tzinfo=UTC)


def test_ukcore_discharge_composition_contact_section_has_a_phone_number() -> None:
    # "Dr Paul Rastall Tel: 0113 6323200" under contact-for-further-information
    from adapter.rules.narrative import findings

    assert findings(composition_letter(), load_policy()).contact_section is True


def test_ukcore_discharge_composition_references_are_urn_uuids() -> None:
    letter = composition_letter()

    assert letter.encounter is not None and letter.encounter.reference == COMPOSITION_ENCOUNTER
    assert letter.custodian is not None and letter.custodian.reference == COMPOSITION_CUSTODIAN


def test_ukcore_discharge_composition_alone_owes_nothing() -> None:
    result = check([COMPOSITION], as_of=AS_OF)

    assert result.counts.to_json() == {"received": 1, "accepted": 1, "rejected": 0}
    assert result.issues == []
    # its Encounter and custodian are urn:uuid references that resolve to nothing: no
    # discharge-summary subject, and not the letter of any Encounter for point-of-contact
    assert result.obligations == []


def test_ukcore_inpatient_encounter_is_not_fulfilled_by_the_unlinked_composition() -> None:
    result = check([COMPOSITION, ENCOUNTER, TRUST, PRACTICE, PATIENT], as_of=AS_OF)

    assert result.counts.to_json() == {"received": 5, "accepted": 5, "rejected": 0}
    assert result.issues == []
    [obligation] = result.obligations
    assert obligation.rule == "discharge-summary-24h"
    assert obligation.subject == "Encounter/UKCore-Encounter-InpatientEncounter-Example"
    assert obligation.status == "breached"
    assert obligation.due == datetime(2019, 12, 12, 13, 0, tzinfo=UTC)
    assert (obligation.fulfilled_at, obligation.evidence) == (None, ())
    assert obligation.owner == "RR8"  # serviceProvider: Leeds Teaching Hospitals
    assert obligation.patient == "9912003888"
    assert obligation.owed_to is None  # the example Patient names no generalPractitioner


def xml_resource(path: Path) -> dict[str, Any]:
    return fhir_xml_to_json(path.read_bytes())


def test_ukcore_composition_in_a_document_with_its_encounter_fulfils_it_at_the_timestamp() -> None:
    """Delivered as a document whose entries carry the fullUrls it points at, the same
    Composition is the (late) discharge summary of the Encounter, sent at the Bundle
    timestamp (rules.md §3), and its contact section meets point-of-contact (§5.9)."""
    document = {
        "resourceType": "Bundle",
        "type": "document",
        "timestamp": "2021-02-12T19:30:00Z",
        "entry": [
            {
                "fullUrl": "urn:uuid:2d361270-039f-4a48-827b-ef255ff8b6c4",
                "resource": xml_resource(COMPOSITION),
            },
            {"fullUrl": COMPOSITION_ENCOUNTER, "resource": xml_resource(ENCOUNTER)},
            {"fullUrl": COMPOSITION_CUSTODIAN, "resource": xml_resource(TRUST)},
        ],
    }

    result = evaluate([(document, Location(file="document"))], as_of=AS_OF)

    assert result.counts.to_json() == {"received": 3, "accepted": 3, "rejected": 0}
    by_rule = {o.rule: o for o in result.obligations}
    assert sorted(by_rule) == ["discharge-summary-24h", "point-of-contact"]
    summary = by_rule["discharge-summary-24h"]
    assert summary.status == "breached"
    assert summary.fulfilled_at == datetime(2021, 2, 12, 19, 30, tzinfo=UTC)
    assert summary.evidence == ("Composition/UKCore-Composition-Discharge-Example",)
    contact = by_rule["point-of-contact"]
    assert (contact.subject, contact.status, contact.owner) == (
        "Composition/UKCore-Composition-Discharge-Example",
        "met",
        "RR8",
    )
