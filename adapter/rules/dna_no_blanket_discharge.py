"""dna-no-blanket-discharge (rules.md §5.6): no discharge back to the GP after a single
missed appointment, and never for a child.

Read as the spec: every DNA is found (`dnas`) and numbered on its referral (`Numbering`);
the subjects are the DNAs followed by a discharge back to the practice; each gets one
`Verdict` (unknown age or date, child, too few DNAs, or allowed), and the verdict words the
one obligation."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal, cast

from adapter.facts import Attendance, Booking, Ref
from adapter.instants import london_date
from adapter.link import World
from adapter.model import Obligation, Status
from adapter.params import DnaDischarge, Params
from adapter.rules.base import WITHDRAWN, Board, Context, Parties, Rule
from adapter.rules.narrative import findings


@dataclass(frozen=True, slots=True)
class Dna:
    """A missed appointment: a cancelled did-not-attend Encounter or a no-show Appointment."""

    key: str
    when: datetime | None
    patient: Ref | None
    provider: str | None
    referral: str | None
    discharged: tuple[str, ...]  # evidence of a discharge back to the practice


def dnas(world: World) -> list[Dna]:
    """Every DNA: the subjects, and the earlier ones they are counted against."""
    codes = world.policy.codes["did-not-attend"]
    found = [
        _attendance_dna(a, world)
        for a in world.of_type(Attendance)
        if a.status == "cancelled" and any(r.has_code(codes) for r in a.reasons)
    ]
    found += [_booking_dna(b, world) for b in world.of_type(Booking) if b.status == "noshow"]
    return found


def _attendance_dna(a: Attendance, world: World) -> Dna:
    letters = [
        x.head.key
        for x in world.letters_by_encounter.get(a.head.key, [])
        if x.status not in WITHDRAWN and findings(x, world.policy).discharged
    ]
    discharged = ([a.head.key] if a.discharged_outcome else []) + letters
    referral = _referral(a.based_on, world)
    return Dna(
        a.head.key, a.start, a.patient, world.trust_of_encounter(a), referral, tuple(discharged)
    )


def _booking_dna(b: Booking, world: World) -> Dna:
    discharged = (b.head.key,) if b.discharged_outcome else ()
    referral = _referral(b.based_on, world)
    owner = world.trust_of_booking(b)
    return Dna(b.head.key, b.start, world.booking_patient(b), owner, referral, discharged)


def _referral(based_on: tuple[Ref, ...], world: World) -> str | None:
    return next((key for ref in based_on if (key := world.key_of(ref))), None)


class Numbering:
    """Which DNA each one is: on the same referral (`basedOn`), else for the same patient
    and provider within the window."""

    def __init__(self, found: list[Dna], world: World, window: timedelta) -> None:
        self.world, self.window = world, window
        self.groups: dict[object, list[Dna]] = defaultdict(list)
        for dna in found:
            self.groups[self._group(dna)].append(dna)

    def _group(self, dna: Dna) -> object:
        if dna.referral is not None:
            return ("referral", dna.referral)
        return ("patient", self.world.patient_key(dna.patient), dna.provider)

    def number(self, dna: Dna, when: datetime) -> int:
        earlier = [d.when for d in self.groups[self._group(dna)] if d.when is not None]
        if dna.referral is not None:
            return sum(1 for w in earlier if w <= when)
        return sum(1 for w in earlier if when - self.window <= w <= when)


Kind = Literal["unknown", "child", "too-few", "allowed"]
_STATUS: dict[Kind, Status] = {
    "unknown": "not-assessable",
    "child": "breached",
    "too-few": "breached",
    "allowed": "met",
}


@dataclass(frozen=True, slots=True)
class Verdict:
    """What the spec says of one discharged DNA."""

    kind: Kind
    missing: str = ""  # what is unknown, for `unknown`
    age: int = 0
    number: int = 0


def verdict(dna: Dna, numbering: Numbering, world: World, params: DnaDischarge) -> Verdict:
    patient = world.patient(dna.patient)
    born = patient.birth_date if patient else None
    if born is None or dna.when is None:
        return Verdict("unknown", "birth date" if born is None else "appointment date")
    age = _age_on(born, london_date(dna.when))
    number = numbering.number(dna, dna.when)
    if age < params.adult_age_years:
        return Verdict("child", age=age, number=number)
    kind: Kind = "allowed" if number >= params.min_dnas_before_discharge else "too-few"
    return Verdict(kind, age=age, number=number)


def _age_on(born: date, day: date) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def _detail(found: Verdict, params: DnaDischarge) -> str:
    least = params.min_dnas_before_discharge
    if found.kind == "unknown":
        return (
            f"Discharged after a missed appointment, but the patient's {found.missing} is unknown."
        )
    if found.kind == "child":
        return f"A child (aged {found.age}) was discharged to the GP after a missed appointment."
    if found.kind == "too-few":
        return (
            f"Discharged to the GP after missed appointment number {found.number}; at least "
            f"{least} are required."
        )
    return (
        f"Discharged to the GP after missed appointment number {found.number}; the policy "
        f"allows it from number {least} for adults."
    )


def evaluate(ctx: Context[Params]) -> Iterator[Obligation]:
    world, params = ctx.world, cast(DnaDischarge, ctx.params)
    found = dnas(world)
    numbering = Numbering(found, world, timedelta(days=params.same_referral_window_days))
    for dna in found:
        if not dna.discharged:
            continue  # only DNAs followed by a discharge are subjects
        decided = verdict(dna, numbering, world, params)
        parties = Parties(
            patient=world.patient_label(dna.patient),
            owner=dna.provider,
            owed_to=world.practice_of_patient(dna.patient),
            evidence=dna.discharged,
        )
        yield RULE.obligation(_STATUS[decided.kind], dna.key, _detail(decided, params), parties)


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
    definition="A patient who did not attend is discharged back to the GP only when an adult and "
    "after at least {min_dnas_before_discharge} missed appointments on the same referral "
    "(parameter min_dnas_before_discharge), under a published access policy.",
    board=Board(
        "No blanket discharge after a missed appointment",
        "A patient who did not attend is discharged back to the GP only if an adult (aged "
        "{adult_age_years} or over) and after at least min_dnas_before_discharge "
        "({min_dnas_before_discharge}) missed appointments on the referral.",
        deadline=False,
    ),
    params=DnaDischarge,
    evaluate=evaluate,
    codes=("did-not-attend", "outcome-discharged"),
    phrases=("discharged-after-dna",),
)
