"""Background traffic that no rule counts: primary-care prescriptions and tests, stays still
in progress, hospital cancellations, observations and conditions. It keeps the rules honest:
a rule that fires on any of these is wrong."""

from __future__ import annotations

from datetime import timedelta

from adapter.synth import narrative as nv
from adapter.synth import resources as fhir
from adapter.synth.episode import Episode

SCT = fhir.SNOMED


def background(ep: Episode) -> None:
    rng = ep.rng
    roll = rng.random()
    gp = f"PractitionerRole/{rng.choice(ep.patient.practice.gps).role_id}"
    when = ep.at(0.1, 0.9)
    if roll < 0.3:
        ep.emit(
            fhir.medication_request(
                ep.id(),
                ep.patient.ref,
                gp,
                ep.t(when),
                fhir.concept(
                    {
                        "system": fhir.DMD,
                        "code": "42206511000001102",
                        "display": "Ramipril 2.5mg tablets",
                    }
                ),
                [
                    fhir.concept(
                        {"system": fhir.MR_CATEGORY, "code": "community", "display": "Community"}
                    )
                ],
                dispenseRequest={"quantity": {"value": 28, "unit": "tablet"}},
                dosageInstruction=[fhir.dosage({"value": 1, "unit": "tablet"}, 1, 1, "d")],
            )
        )
    elif roll < 0.5:
        ep.emit(
            fhir.service_request(
                ep.id(),
                fhir.ref(ep.patient.ref),
                gp,
                fhir.concept(fhir.LAB_CATEGORY),
                fhir.concept({"system": SCT, "code": "26604007", "display": "Full blood count"}),
                ep.t(when),
                performer=[fhir.ref(ep.trust.org.ref)],
            )
        )
    elif roll < 0.65:
        ep.emit(
            fhir.observation(
                ep.id(),
                ep.patient.ref,
                "",
                fhir.concept({"system": SCT, "code": "75367002", "display": "Blood pressure"}),
                ep.t(when),
                valueQuantity={"value": 132, "unit": "mmHg", "system": fhir.UCUM, "code": "mm[Hg]"},
            )
        )
    elif roll < 0.75:
        start = ep.as_of - timedelta(hours=rng.randint(2, 200))
        ep.emit(
            fhir.encounter(
                ep.id(),
                ep.patient.ref,
                rng.choice(("IMP", "ACUTE")),
                "in-progress",
                ep.trust.org.ref,
                {"start": ep.t(start)},
            )
        )
    elif roll < 0.85:
        eid = ep.id()
        ep.emit(
            fhir.encounter(
                eid,
                ep.patient.ref,
                "AMB",
                "cancelled",
                ep.trust.org.ref,
                {"start": ep.t(when)},
                reasonCode=[fhir.concept(text="Clinic cancelled by hospital")],
            )
        )
        ep.emit(
            fhir.composition(
                ep.id(),
                ep.patient.ref,
                eid,
                fhir.CLINIC_LETTER,
                "final",
                ep.t(min(when + timedelta(hours=2), ep.as_of)),
                [ep.consultant().ref(True)],
                ep.trust.org.ref,
                "Appointment cancelled",
                [nv.section("information-and-advice-given", list(nv.FILLER_DNA_REBOOK))],
            )
        )
    else:
        ep.emit(
            {
                "resourceType": "Condition",
                "id": ep.id(),
                "clinicalStatus": fhir.concept(
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                        "code": "active",
                    }
                ),
                "code": fhir.concept(
                    {"system": SCT, "code": "38341003", "display": "Hypertension"}
                ),
                "subject": fhir.ref(ep.patient.ref),
                "recordedDate": ep.t(when),
            }
        )
