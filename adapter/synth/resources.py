"""FHIR R4 (UK Core) resource builders for the generator: plain dicts, ready for orjson.

Each builder takes already-decided values; the scenarios decide, these only spell FHIR.
"""

from __future__ import annotations

from typing import Any

from adapter.synth.population import UK_CORE

Resource = dict[str, Any]

SNOMED = "http://snomed.info/sct"
UCUM = "http://unitsofmeasure.org"
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
MR_CATEGORY = "http://terminology.hl7.org/CodeSystem/medicationrequest-category"
ERS_CATEGORY = "https://fhir.nhs.uk/CodeSystem/message-category-servicerequest"
ERS_PRIORITY_EXT = "https://fhir.nhs.uk/StructureDefinition/Extension-ServiceRequest-Priority"
ERS_PRIORITY_CS = "https://fhir.nhs.uk/CodeSystem/eRS-Priority"
UBRN = "https://fhir.nhs.uk/Id/UBRN"
OUTCOME_EXT = "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-OutcomeOfAttendance"
OUTCOME_CS = "https://fhir.hl7.org.uk/CodeSystem/UKCore-OutcomeOfAttendanceEngland"
OUTCOME_CS_DD = "https://fhir.hl7.org.uk/CodeSystem/NHSDataModelAndDictionary-OutcomeOfAttendance"
DMD = "https://dmd.nhs.uk"

CLASS_DISPLAY = {
    "IMP": "inpatient encounter",
    "ACUTE": "inpatient acute",
    "NONAC": "inpatient non-acute",
    "SS": "short stay",
    "EMER": "emergency",
    "AMB": "ambulatory",
    "VR": "virtual",
}

DISCHARGE_SUMMARY = {"system": SNOMED, "code": "373942005", "display": "Discharge summary"}
CLINIC_LETTER = {"system": SNOMED, "code": "371531000", "display": "Report of clinical encounter"}
DNA_REASON = {"system": SNOMED, "code": "281399006", "display": "Did not attend"}
REFERRAL_SNOMED = {"system": SNOMED, "code": "3457005", "display": "Patient referral"}
LAB_CATEGORY = {"system": SNOMED, "code": "108252007", "display": "Laboratory procedure"}
IMAGING_CATEGORY = {"system": SNOMED, "code": "363679005", "display": "Imaging"}


def ref(target: str) -> dict[str, str]:
    return {"reference": target}


def concept(*codings: dict[str, str], text: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if codings:
        out["coding"] = list(codings)
    if text is not None:
        out["text"] = text
    return out


def encounter(
    eid: str,
    patient: str,
    cls: str,
    status: str,
    provider: str,
    period: dict[str, str],
    **extra: Any,
) -> Resource:
    res: Resource = {
        "resourceType": "Encounter",
        "id": eid,
        "meta": {"profile": [UK_CORE + "Encounter"]},
        "status": status,
        "class": {"system": ACT_CODE, "code": cls, "display": CLASS_DISPLAY[cls]},
        "subject": ref(patient),
        "serviceProvider": ref(provider),
    }
    if period:
        res["period"] = period
    res.update(extra)
    return res


def outcome_discharged(rng_pick: int) -> list[dict[str, Any]]:
    system = OUTCOME_CS if rng_pick % 2 == 0 else OUTCOME_CS_DD
    return [
        {
            "url": OUTCOME_EXT,
            "valueCodeableConcept": concept(
                {"system": system, "code": "1", "display": "Discharged from consultant's care"}
            ),
        }
    ]


def composition(
    cid: str,
    patient: str,
    encounter_id: str,
    type_coding: dict[str, str],
    status: str,
    date: str,
    authors: list[str],
    custodian: str | None,
    title: str,
    sections: list[dict[str, Any]],
) -> Resource:
    res: Resource = {
        "resourceType": "Composition",
        "id": cid,
        "meta": {"profile": [UK_CORE + "Composition"]},
        "status": status,
        "type": concept(type_coding),
        "subject": ref(patient),
        "encounter": ref(f"Encounter/{encounter_id}"),
        "date": date,
        "author": [ref(a) for a in authors],
        "title": title,
        "section": sections,
    }
    if custodian is not None:
        res["custodian"] = ref(custodian)
    return res


def letter_document(
    did: str,
    patient: str,
    encounter_id: str,
    type_coding: dict[str, str],
    status: str,
    date: str,
    authors: list[str],
    custodian: str | None,
    title: str,
) -> Resource:
    """A letter sent as a PDF (NRL, MESH/Docman): a DocumentReference, dated by `date`."""
    res: Resource = {
        "resourceType": "DocumentReference",
        "id": did,
        "meta": {"profile": [UK_CORE + "DocumentReference"]},
        "status": "current",
        "docStatus": status,
        "type": concept(type_coding),
        "subject": ref(patient),
        "date": date,
        "author": [ref(a) for a in authors],
        "content": [
            {
                "attachment": {
                    "contentType": "application/pdf",
                    "url": f"https://documents.example.nhs.uk/{did}.pdf",
                    "title": title,
                }
            }
        ],
        "context": {"encounter": [ref(f"Encounter/{encounter_id}")]},
    }
    if custodian is not None:
        res["custodian"] = ref(custodian)
    return res


def service_request(
    sid: str,
    subject: dict[str, Any],
    requester: str,
    category: dict[str, Any],
    code: dict[str, Any],
    authored: str,
    **extra: Any,
) -> Resource:
    res: Resource = {
        "resourceType": "ServiceRequest",
        "id": sid,
        "meta": {"profile": [UK_CORE + "ServiceRequest"]},
        "status": "active",
        "intent": "order",
        "category": [category],
        "code": code,
        "subject": subject,
        "authoredOn": authored,
        "requester": ref(requester),
    }
    res.update(extra)
    return res


def ers_priority(code: str) -> list[dict[str, Any]]:
    return [
        {
            "url": ERS_PRIORITY_EXT,
            "valueCodeableConcept": concept({"system": ERS_PRIORITY_CS, "code": code}),
        }
    ]


def medication_request(
    mid: str,
    patient: str,
    requester: str,
    authored: str,
    medication: dict[str, Any],
    category: list[dict[str, Any]],
    **extra: Any,
) -> Resource:
    res: Resource = {
        "resourceType": "MedicationRequest",
        "id": mid,
        "meta": {"profile": [UK_CORE + "MedicationRequest"]},
        "status": "active",
        "intent": "order",
        "category": category,
        "medicationCodeableConcept": medication,
        "subject": ref(patient),
        "authoredOn": authored,
        "requester": ref(requester),
    }
    res.update(extra)
    return res


def medication_statement(
    sid: str,
    patient: str,
    encounter: str,
    status: str,
    medication: dict[str, Any],
    based_on: str,
    dosage: list[dict[str, Any]],
    asserted: str,
) -> Resource:
    """A Transfer of Care discharge medicine (R4 MedicationStatement), based on its order."""
    res: Resource = {
        "resourceType": "MedicationStatement",
        "id": sid,
        "meta": {"profile": [UK_CORE + "MedicationStatement"]},
        "basedOn": [ref(based_on)],
        "status": status,
        "medicationCodeableConcept": medication,
        "subject": ref(patient),
        "context": ref(f"Encounter/{encounter}"),
        "dateAsserted": asserted,
    }
    if dosage:
        res["dosage"] = dosage
    return res


def medication_list(lid: str, patient: str, encounter: str, entries: list[Any]) -> Resource:
    """The discharge medication List (LOINC 10183-2 Hospital discharge medications)."""
    return {
        "resourceType": "List",
        "id": lid,
        "meta": {"profile": [UK_CORE + "List"]},
        "status": "current",
        "mode": "snapshot",
        "code": concept(
            {
                "system": "http://loinc.org",
                "code": "10183-2",
                "display": "Hospital discharge medications",
            }
        ),
        "subject": ref(patient),
        "encounter": ref(f"Encounter/{encounter}"),
        "entry": entries,
    }


def dosage(
    dose: dict[str, Any],
    frequency: int,
    period: float,
    unit: str,
    bounds: dict[str, Any] | None = None,
    text: str | None = None,
) -> dict[str, Any]:
    repeat: dict[str, Any] = {"frequency": frequency, "period": period, "periodUnit": unit}
    if bounds:
        repeat.update(bounds)
    out: dict[str, Any] = {"timing": {"repeat": repeat}, "doseAndRate": [{"doseQuantity": dose}]}
    if text:
        out["text"] = text
    return out


def task(
    tid: str, status: str, focus: str, patient: str, owner: str, authored: str, **extra: Any
) -> Resource:
    res: Resource = {
        "resourceType": "Task",
        "id": tid,
        "status": status,
        "intent": "order",
        "focus": ref(focus),
        "for": ref(patient),
        "owner": ref(owner),
        "authoredOn": authored,
    }
    res.update(extra)
    return res


def observation(
    oid: str, patient: str, encounter_id: str, code: dict[str, Any], effective: str, **extra: Any
) -> Resource:
    res: Resource = {
        "resourceType": "Observation",
        "id": oid,
        "meta": {"profile": [UK_CORE + "Observation"]},
        "status": "final",
        "code": code,
        "subject": ref(patient),
        "effectiveDateTime": effective,
    }
    if encounter_id:
        res["encounter"] = ref(f"Encounter/{encounter_id}")
    res.update(extra)
    return res


def document_reference(
    did: str, patient: str, encounter_id: str, type_: dict[str, Any], date: str, title: str
) -> Resource:
    return {
        "resourceType": "DocumentReference",
        "id": did,
        "status": "current",
        "type": type_,
        "subject": ref(patient),
        "date": date,
        "content": [
            {
                "attachment": {
                    "contentType": "application/pdf",
                    "title": title,
                    "url": f"https://documents.example.nhs.uk/{did}.pdf",
                }
            }
        ],
        "context": {"encounter": [ref(f"Encounter/{encounter_id}")]},
    }


def care_plan(pid: str, patient: str, category_text: str, created: str) -> Resource:
    return {
        "resourceType": "CarePlan",
        "id": pid,
        "status": "active",
        "intent": "plan",
        "category": [{"text": category_text}],
        "subject": ref(patient),
        "created": created,
    }


def appointment(
    aid: str, patient: str, status: str, start: str, end: str, based_on: str | None
) -> Resource:
    res: Resource = {
        "resourceType": "Appointment",
        "id": aid,
        "status": status,
        "start": start,
        "end": end,
        "participant": [{"actor": ref(patient), "status": "accepted"}],
    }
    if based_on:
        res["basedOn"] = [ref(based_on)]
    return res
