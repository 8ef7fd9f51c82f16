"""Letter narrative: UK Core RecordStandardHeadings sections with XHTML text.

Two kinds of sentence. *Filler* sentences make a letter read like a letter and are kept
clear of every phrase list of rules.md §6 (a test checks this), so they never create or
decide an obligation. *Rule* sentences each say exactly one thing a rule reads (a fit note
asked of the GP, a request to refer, a test to chase, a contact number), so the truth of a
letter is known by construction.
"""

from __future__ import annotations

import random
from html import escape
from typing import Any

HEADINGS = "https://fhir.hl7.org.uk/CodeSystem/UKCore-RecordStandardHeadings"

HEADING_DISPLAY = {
    "history": "History",
    "diagnoses": "Diagnoses",
    "clinical-summary": "Clinical summary",
    "procedures": "Procedures",
    "medications-and-medical-devices": "Medications and medical devices",
    "plan-and-requested-actions": "Plan and requested actions",
    "information-and-advice-given": "Information and advice given",
    "contact-for-further-information": "Contact for further information",
}

OPENING_CLINIC = "Thank you for asking us to see this patient in clinic."
FILLER_HISTORY = (
    "She describes three months of intermittent chest tightness on exertion.",
    "He reports a gradual increase in joint stiffness over the past year.",
    "The symptoms are worse in the mornings and ease with rest.",
    "There is a family history of type 2 diabetes.",
    "She lives with her partner and is independent with daily activities.",
    "He is a lifelong non-smoker and drinks little alcohol.",
)
FILLER_SUMMARY = (
    "Examination today was unremarkable apart from mild ankle swelling.",
    "Blood pressure in clinic was 138/84 mmHg.",
    "The working diagnosis is stable angina.",
    "The appearances are in keeping with mild osteoarthritis of both knees.",
    "Her symptoms have improved considerably since the last visit.",
    "We discussed the likely diagnosis and the treatment options in detail.",
)
FILLER_INPATIENT = (
    "She was admitted with community acquired pneumonia.",
    "He presented to the emergency department with an exacerbation of asthma.",
    "She was treated with intravenous antibiotics and fluids and improved steadily.",
    "He was mobilised with the physiotherapy team and regained his usual mobility.",
    "A chest radiograph on admission showed right lower lobe consolidation.",
    "She was discharged home with support from her family.",
)
FILLER_AE = (
    "He attended A&E after a fall at home.",
    "She attended with a laceration to the left forearm, which was closed with steri-strips.",
    "Observations were within normal limits throughout the attendance.",
    "He was able to walk unaided before leaving the department.",
)
FILLER_PLAN = (
    "We will review her in the outpatient clinic in three months.",
    "No changes have been made to his regular medicines.",
    "We have started a short course of physiotherapy.",
    "She will be seen again by the specialist nurse in six weeks.",
    "We have explained the warning signs that should prompt a return visit.",
)
FILLER_ADVICE = (
    "We have given written information about the condition.",
    "She understands the plan and is happy with it.",
    "He was advised to stay well hydrated and to rest.",
)
FILLER_DNA = (
    "Unfortunately this patient did not attend the appointment offered today.",
    "We were unable to make contact by telephone before the clinic.",
)
FILLER_DNA_REBOOK = (
    "A further appointment will be sent in the post.",
    "We will offer one more appointment at a time that suits the patient.",
)
CONTACT_NONE = (
    "Please contact the ward through the main hospital switchboard.",
    "The team can be reached through the hospital switchboard during working hours.",
)
DIAGNOSES_CLINIC = (
    "Stable angina",
    "Osteoarthritis of both knees",
    "Plaque psoriasis",
    "Gastro-oesophageal reflux disease",
    "Paroxysmal atrial fibrillation",
)
DIAGNOSES_STAY = (
    "Community acquired pneumonia",
    "Exacerbation of asthma",
    "Laceration of left forearm",
    "Fall at home without fracture",
    "Urinary tract infection",
)
MEDICATION_LINES = (
    "Amoxicillin 500 mg capsules, one three times a day for five days",
    "Ramipril 2.5 mg tablets, one each morning",
    "Atorvastatin 20 mg tablets, one at night",
    "Paracetamol 500 mg tablets, two up to four times a day when required",
)

# Rule sentences, one list per thing a rule reads (rules.md §5 with the phrases of §6).
FIT_NOT_NEEDED = ("No fit note is required.", "A fit note is not needed as she is retired.")
FIT_ASKED_OF_GP = (
    "Please could the GP issue a fit note for the next four weeks.",
    "We would be grateful if his general practitioner could provide a sick note.",
)
FIT_ISSUED = (
    "A fit note was issued for two weeks.",
    "She was given a fit note covering the next four weeks.",
    "Med3 issued on the ward for one month.",
)
FIT_NEEDED = (
    "She remains unfit for work while the wound heals.",
    "He should refrain from work for the next fortnight.",
    "He will need a sick note when the current one runs out.",
)
DNA_DISCHARGED = (
    "As the patient has not attended, we have discharged them from the clinic.",
    "We have now discharged this patient from our care.",
    "Please re-refer if there are any further concerns.",
)
ASK_REFER_UNRELATED = (
    "Please could the GP refer her to dermatology for the unrelated skin lesion.",
    "The GP may wish to refer the incidental hernia to general surgery.",
    "For the varicose veins, which are not related to this admission, the GP may refer.",
)
ASK_REFER_RELATED = (
    "We would be grateful if the GP could refer him to the pain clinic.",
    "Please could the GP re-refer to the clinic if the symptoms return.",
)
ASK_REFER_URGENT = (
    "Please could the GP refer her urgently under the two week wait pathway.",
    "Please could the GP refer him for suspected cancer, which is unrelated to the knee.",
)
ASK_TEST = (
    "Please could the GP arrange a repeat blood test in six weeks.",
    "We would be grateful if the GP could check her potassium level in one week.",
    "Please ask the general practitioner to chase the outstanding scan result.",
    "Please could the GP repeat the U&E in two weeks.",
)


def phone_sentence(rng: random.Random, specialty: str) -> str:
    number = f"0113 392 {rng.randrange(1000, 9999)}"
    return f"For any questions please contact the {specialty} secretaries on {number}."


def email_sentence(rng: random.Random, trust_code: str) -> str:
    team = rng.choice(("cardiology", "medicine", "surgery", "outpatients"))
    return f"Queries can be sent by email to {team}.letters@{trust_code.lower()}.example.nhs.uk."


def xhtml(paragraphs: list[list[str]], items: list[str] | None = None) -> str:
    """A narrative div: one `<p>` per paragraph, then an optional `<ul>`."""
    body = "".join("<p>" + escape(" ".join(p), quote=False) + "</p>" for p in paragraphs if p)
    if items:
        body += "<ul>" + "".join(f"<li>{escape(i, quote=False)}</li>" for i in items) + "</ul>"
    return f'<div xmlns="http://www.w3.org/1999/xhtml">{body}</div>'


def section(code: str, sentences: list[str], items: list[str] | None = None) -> dict[str, Any]:
    """A Composition.section with a RecordStandardHeadings code; sentences are split into
    paragraphs of at most two."""
    paragraphs = [sentences[i : i + 2] for i in range(0, len(sentences), 2)]
    display = HEADING_DISPLAY[code]
    return {
        "title": display,
        "code": {"coding": [{"system": HEADINGS, "code": code, "display": display}]},
        "text": {"status": "generated", "div": xhtml(paragraphs, items)},
    }


def pick(rng: random.Random, pool: tuple[str, ...], n: int) -> list[str]:
    return rng.sample(pool, min(n, len(pool)))


# Where a letter sends the patient with queries and results (contract §11.3): no digits,
# so the point-of-contact truth is unchanged; no test verb, so no test is asked of the GP.
QUERY_TO_GP = (
    "Please contact your GP for your results.",
    "Your GP will explain the results to you.",
    "Please see your GP about your appointment.",
)
QUERY_TO_TRUST = (
    "If you have any questions about your results, please contact the clinic.",
    "We will write to you with the results.",
    "For any queries about your appointment, please call the department.",
)
