"""dna-no-blanket-discharge: no discharge back to the GP after a single missed appointment,
and never for a child."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast

from adapter.facts import Attendance, Booking, PatientFact
from adapter.instants import london_date
from adapter.link import World
from adapter.model import Obligation
from adapter.params import DnaDischarge, Params
from adapter.rules.base import WITHDRAWN, Context, Parties, Rule


@dataclass(frozen=True, slots=True)
class Dna:
    key: str
    when: datetime | None
    patient: str | None
    patient_fact: PatientFact | None
    patient_label: str | None
    provider: str | None
    referral: str | None
    discharged: list[str]  # evidence of a discharge back to the practice
    practice: str | None


def dnas(world: World) -> list[Dna]:
    dna_codes = world.policy.codes["did-not-attend"]
    found = []
    for a in world.of_type(Attendance):
        if a.status == "cancelled" and any(r.has_code(dna_codes) for r in a.reasons):
            letters = [
                x.head.key
                for x in world.letters_by_encounter.get(a.head.key, [])
                if x.status not in WITHDRAWN and x.findings.discharged
            ]
            found.append(
                _dna(
                    world,
                    a.head.key,
                    a.start,
                    a.patient,
                    world.trust_of_encounter(a),
                    a.based_on,
                    ([a.head.key] if a.discharged_outcome else []) + letters,
                )
            )
    for b in world.of_type(Booking):
        if b.status == "noshow":
            found.append(
                _dna(
                    world,
                    b.head.key,
                    b.start,
                    world.booking_patient(b),
                    world.trust_of_booking(b),
                    b.based_on,
                    [b.head.key] if b.discharged_outcome else [],
                )
            )
    return found


def _dna(
    world: World,
    key: str,
    when: datetime | None,
    patient: object,
    provider: str | None,
    based_on: tuple[object, ...],
    discharged: list[str],
) -> Dna:
    from adapter.facts import Ref

    ref = patient if isinstance(patient, Ref) else None
    referral = next((k for r in based_on if isinstance(r, Ref) and (k := world.key_of(r))), None)
    return Dna(
        key,
        when,
        world.patient_key(ref),
        world.patient(ref),
        world.patient_label(ref),
        provider,
        referral,
        discharged,
        world.practice_of_patient(ref),
    )


def ordinal(dna: Dna, all_dnas: dict[object, list[Dna]], window: timedelta) -> int:
    """Which DNA this is on the same referral (or same patient and trust within the window)."""
    if dna.referral is not None:
        group = all_dnas[("referral", dna.referral)]
        return sum(
            1 for d in group if d.when is not None and dna.when is not None and d.when <= dna.when
        )
    group = all_dnas[("patient", dna.patient, dna.provider)]
    return sum(
        1
        for d in group
        if d.referral is None
        and d.when is not None
        and dna.when is not None
        and dna.when - window <= d.when <= dna.when
    )


def evaluate(ctx: Context[Params]) -> Iterator[Obligation]:
    params = cast(DnaDischarge, ctx.params)
    found = dnas(ctx.world)
    groups: dict[object, list[Dna]] = defaultdict(list)
    for d in found:
        groups[
            ("referral", d.referral) if d.referral else ("patient", d.patient, d.provider)
        ].append(d)
    window = timedelta(days=params.same_referral_window_days)
    for dna in found:
        if not dna.discharged:
            continue
        parties = Parties(
            patient=dna.patient_label,
            owner=dna.provider,
            owed_to=dna.practice,
            evidence=tuple(dna.discharged),
        )
        born = dna.patient_fact.birth_date if dna.patient_fact else None
        if born is None or dna.when is None:
            missing = "birth date" if born is None else "appointment date"
            yield RULE.obligation(
                "not-assessable",
                dna.key,
                f"Discharged after a missed appointment, but the patient's {missing} is unknown.",
                parties,
            )
            continue
        day = london_date(dna.when)
        age = day.year - born.year - ((day.month, day.day) < (born.month, born.day))
        count = ordinal(dna, groups, window)
        adult = age >= params.adult_age_years
        if adult and count >= params.min_dnas_before_discharge:
            detail = (
                f"Discharged to the GP after missed appointment number {count}; the policy "
                f"allows it from number {params.min_dnas_before_discharge} for adults."
            )
            yield RULE.obligation("met", dna.key, detail, parties)
        elif not adult:
            yield RULE.obligation(
                "breached",
                dna.key,
                f"A child (aged {age}) was discharged to the GP after a missed appointment.",
                parties,
            )
        else:
            yield RULE.obligation(
                "breached",
                dna.key,
                f"Discharged to the GP after missed "
                f"appointment number {count}; at least "
                f"{params.min_dnas_before_discharge} are required.",
                parties,
            )


RULE = Rule(
    id="dna-no-blanket-discharge",
    title="No blanket discharge to the GP after a missed appointment",
    side="trust",
    domain4="onward-referrals",
    clause="SC6",
    why="The NHS Standard Contract allows discharge after a did-not-attend only under a "
    "published access policy that protects children and vulnerable patients; blanket "
    "discharge after one DNA pushes the work back to the GP.",
    met_example="An adult misses a second appointment on the same referral and is discharged "
    "(outcome of attendance 1): met.",
    breached_example="A 12-year-old, or an adult after a first DNA, discharged with 'please "
    "re-refer if needed': breached.",
    evaluate=evaluate,
)
