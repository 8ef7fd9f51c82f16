"""The standing population of a synthetic ICB: practices, trusts and their sites, other
providers, clinicians, and patients with test-range NHS numbers.

Every identifier is made up: practices are `Y` + five digits, trusts `RZ` + a digit, sites the
trust code + two digits, other providers `NX` + a digit, NHS numbers 999 + six digits + a
Modulus 11 check digit (the range NHS England reserves for tests).
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import date
from typing import Any

ODS_ORG = "https://fhir.nhs.uk/Id/ods-organization-code"
ODS_SITE = "https://fhir.nhs.uk/Id/ods-site-code"
NHS_NUMBER = "https://fhir.nhs.uk/Id/nhs-number"
ORG_ROLE = "https://fhir.nhs.uk/CodeSystem/organisation-role"
UK_CORE = "https://fhir.hl7.org.uk/StructureDefinition/UKCore-"

Resource = dict[str, Any]

GIVEN = (
    "Alex",
    "Sam",
    "Jo",
    "Chris",
    "Pat",
    "Robin",
    "Jamie",
    "Morgan",
    "Taylor",
    "Casey",
    "Avery",
    "Riley",
    "Jordan",
    "Charlie",
    "Frankie",
    "Hayden",
    "Kit",
    "Rowan",
    "Sky",
)
FAMILY = (
    "Testpatient",
    "Example",
    "Sample",
    "Fixture",
    "Synthetic",
    "Dummy",
    "Madeup",
    "Placeholder",
    "Specimen",
    "Mockley",
    "Fakeham",
    "Notreal",
)
CLINICIAN_FAMILY = (
    "Ashdown",
    "Brierley",
    "Carrow",
    "Dunmore",
    "Elstow",
    "Fairlie",
    "Garside",
    "Holroyd",
    "Ingleby",
    "Jessop",
    "Kettle",
    "Lowther",
    "Marsden",
    "Nuttall",
)
SPECIALTIES = (
    "cardiology",
    "dermatology",
    "respiratory medicine",
    "gastroenterology",
    "orthopaedics",
    "rheumatology",
    "diabetes and endocrinology",
    "general surgery",
)


def new_id(rng: random.Random) -> str:
    """A deterministic UUID4 drawn from the generator's own random stream."""
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def nhs_check_digit(nine: str) -> int | None:
    """The Modulus 11 check digit for nine digits, or None when the number is not issuable."""
    total = sum(int(d) * w for d, w in zip(nine, range(10, 1, -1), strict=True))
    check = 11 - total % 11
    if check == 11:
        return 0
    return None if check == 10 else check


def is_valid_nhs_number(value: str) -> bool:
    if len(value) != 10 or not value.isdigit():
        return False
    return nhs_check_digit(value[:9]) == int(value[9])


class NhsNumbers:
    """Distinct valid 999-range NHS numbers, walking from a random start."""

    def __init__(self, rng: random.Random) -> None:
        self._next = rng.randrange(1_000_000)
        self._issued = 0

    def take(self) -> str:
        while True:
            if self._issued >= 1_000_000:
                raise ValueError("the 999 test range has no more NHS numbers")
            six = f"{self._next % 1_000_000:06d}"
            self._next += 1
            self._issued += 1
            check = nhs_check_digit("999" + six)
            if check is not None:
                return f"999{six}{check}"


@dataclass(frozen=True)
class Clinician:
    practitioner_id: str
    role_id: str
    org_code: str
    contactable: bool

    def ref(self, use_role: bool) -> str:
        return (
            f"PractitionerRole/{self.role_id}"
            if use_role
            else (f"Practitioner/{self.practitioner_id}")
        )


@dataclass(frozen=True)
class Org:
    id: str
    code: str
    kind: str  # practice | trust | site | other
    name: str

    @property
    def ref(self) -> str:
        return f"Organization/{self.id}"


@dataclass
class Trust:
    org: Org
    sites: list[Org]
    consultants: list[Clinician]
    quality: float


@dataclass
class Practice:
    org: Org
    gps: list[Clinician]


@dataclass
class Population:
    practices: list[Practice]
    trusts: list[Trust]
    others: list[Org]
    resources: list[Resource] = field(default_factory=list)


def _organization(org: Org, type_code: str, type_display: str, part_of: Org | None) -> Resource:
    system = ODS_SITE if org.kind == "site" else ODS_ORG
    res: Resource = {
        "resourceType": "Organization",
        "id": org.id,
        "meta": {"profile": [UK_CORE + "Organization"]},
        "identifier": [{"system": system, "value": org.code}],
        "active": True,
        "type": [{"coding": [{"system": ORG_ROLE, "code": type_code, "display": type_display}]}],
        "name": org.name,
        "telecom": [
            {"system": "phone", "value": "0300 555 0" + org.code[-3:].rjust(3, "0"), "use": "work"}
        ],
    }
    if part_of is not None:
        res["partOf"] = {"reference": part_of.ref}
    return res


_ORG_TYPES = {
    "practice": ("76", "GP PRACTICE"),
    "trust": ("197", "NHS TRUST"),
    "site": ("198", "NHS TRUST SITE"),
}


def _clinician(
    rng: random.Random, org: Org, role: str, contactable: bool, out: list[Resource]
) -> Clinician:
    clin = Clinician(new_id(rng), new_id(rng), org.code, contactable)
    family = rng.choice(CLINICIAN_FAMILY)
    telecom = [
        {"system": "phone", "value": f"0113 555 {rng.randrange(1000, 9999)}", "use": "work"},
        {"system": "email", "value": f"{family.lower()}.team@{org.code.lower()}.example"},
    ]
    practitioner: Resource = {
        "resourceType": "Practitioner",
        "id": clin.practitioner_id,
        "meta": {"profile": [UK_CORE + "Practitioner"]},
        "name": [{"family": family, "given": [rng.choice(GIVEN)], "prefix": ["Dr"]}],
    }
    role_res: Resource = {
        "resourceType": "PractitionerRole",
        "id": clin.role_id,
        "meta": {"profile": [UK_CORE + "PractitionerRole"]},
        "active": True,
        "practitioner": {"reference": f"Practitioner/{clin.practitioner_id}"},
        "organization": {"reference": org.ref},
        "code": [{"text": role}],
    }
    if contactable:
        practitioner["telecom"] = telecom
        role_res["telecom"] = telecom
    out.extend([practitioner, role_res])
    return clin


def build_population(
    rng: random.Random, n_patients: int, trust_quality: dict[str, float]
) -> Population:
    """Practices (about one per 400 patients, at least 3), 3 to 5 trusts with two sites
    each, two other providers, and their clinicians."""
    out: list[Resource] = []
    practices: list[Practice] = []
    codes = rng.sample(range(10000, 99999), max(3, min(200, n_patients // 400 + 3)))
    for n, number in enumerate(sorted(codes)):
        org = Org(new_id(rng), f"Y{number:05d}", "practice", f"Synthetic Practice {n + 1}")
        out.append(_organization(org, *_ORG_TYPES["practice"], None))
        gps = [_clinician(rng, org, "General practitioner", True, out) for _ in range(2)]
        practices.append(Practice(org, gps))
    trusts: list[Trust] = []
    default_quality = (0.4, 1.0, 1.6, 0.7, 1.3)
    for n in range(rng.randint(3, 5)):
        code = f"RZ{n + 1}"
        org = Org(new_id(rng), code, "trust", f"Synthetic Hospitals NHS Trust {n + 1}")
        out.append(_organization(org, *_ORG_TYPES["trust"], None))
        sites = []
        for s in range(2):
            site = Org(new_id(rng), f"{code}{s + 1:02d}", "site", f"{org.name} site {s + 1}")
            out.append(_organization(site, *_ORG_TYPES["site"], org))
            sites.append(site)
        consultants = [
            _clinician(rng, org, f"Consultant in {spec}", i % 2 == 0, out)
            for i, spec in enumerate(SPECIALTIES[:4])
        ]
        quality = trust_quality.get(code, default_quality[n])
        trusts.append(Trust(org, sites, consultants, quality))
    others = []
    for n in range(2):
        org = Org(new_id(rng), f"NX{n + 1}", "other", f"Synthetic Independent Clinic {n + 1}")
        res = _organization(org, "", "", None)
        del res["type"]
        out.append(res)
        others.append(org)
    return Population(practices, trusts, others, out)


@dataclass(frozen=True)
class PatientInfo:
    id: str
    nhs: str
    birth: date | None
    practice: Practice
    gp_ref: str

    @property
    def ref(self) -> str:
        return f"Patient/{self.id}"


def make_patient(
    rng: random.Random, numbers: NhsNumbers, pop: Population, today: date
) -> tuple[PatientInfo, Resource]:
    """One patient: a fifth are children, one in twenty has no recorded birth date."""
    practice = rng.choice(pop.practices)
    roll = rng.random()
    if roll < 0.05:
        birth = None
    elif roll < 0.25:
        birth = date(today.year - rng.randint(4, 15), rng.randint(1, 12), rng.randint(1, 28))
    else:
        birth = date(today.year - rng.randint(20, 95), rng.randint(1, 12), rng.randint(1, 28))
    gp_ref = (
        practice.org.ref
        if rng.random() < 0.6
        else (f"PractitionerRole/{rng.choice(practice.gps).role_id}")
    )
    info = PatientInfo(new_id(rng), numbers.take(), birth, practice, gp_ref)
    res: Resource = {
        "resourceType": "Patient",
        "id": info.id,
        "meta": {"profile": [UK_CORE + "Patient"]},
        "identifier": [{"system": NHS_NUMBER, "value": info.nhs}],
        "name": [{"use": "official", "family": rng.choice(FAMILY), "given": [rng.choice(GIVEN)]}],
        "gender": rng.choice(("female", "male")),
        "generalPractitioner": [{"reference": gp_ref}],
    }
    if birth is not None:
        res["birthDate"] = birth.isoformat()
    return info, res
