"""`referee synth`: synthetic UK Core R4 traffic for an ICB, with the known truth.

    generate(out_dir, patients=, months=, seed=, as_of=)  → Summary

The FHIR goes to `out_dir` in the Bulk Data layout (one NDJSON file per resource type); the
truth, one `{"rule", "subject", "status"}` line per obligation that `referee check out_dir
--as-of <as_of>` must report, goes beside it (`<out_dir>.truth.ndjson` unless told), never
inside, so that the folder holds FHIR only. Deterministic for a seed: one `random.Random`,
no wall clock (unless `as_of` is left to default to now).

Each patient's months are cut into non-overlapping slots, one episode (scenario) per slot;
see `scenarios.py`, `requests.py`, `medicines.py`, `background.py`.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from adapter.synth.background import background
from adapter.synth.clock import london_date
from adapter.synth.episode import DEFAULT_BREACH_RATES, RULES, Episode
from adapter.synth.later import advice, queries, rejection
from adapter.synth.population import NhsNumbers, Population, build_population, make_patient
from adapter.synth.requests import practice_referral, shared_care
from adapter.synth.scenarios import dna, onward, outpatient, stay, tests
from adapter.synth.writer import BulkWriter

__all__ = ["DEFAULT_BREACH_RATES", "RULES", "Summary", "default_truth_path", "generate"]

MONTH = timedelta(days=30.44)
MIN_SLOT = timedelta(days=20)
EPISODES_PER_MONTH = 0.35


def _referral_only(ep: Episode) -> None:
    practice_referral(ep, ep.at(0.0, 0.9))


def _emergency(ep: Episode) -> None:
    stay(ep, emergency=True)


SCENARIOS: tuple[tuple[str, Callable[[Episode], None], float], ...] = (
    ("outpatient", outpatient, 0.30),
    ("inpatient", stay, 0.12),
    ("emergency", _emergency, 0.12),
    ("dna", dna, 0.06),
    ("shared-care", shared_care, 0.05),
    ("onward-referral", onward, 0.07),
    ("tests", tests, 0.08),
    ("referral", _referral_only, 0.08),
    ("background", background, 0.12),
)
# The rules added after the first ten (contract §11): drawn only with a `later_rules` share.
LATER: tuple[tuple[str, Callable[[Episode], None]], ...] = (
    ("advice-and-guidance", advice),
    ("rejected-referral", rejection),
    ("patient-queries", queries),
)


@dataclass(frozen=True)
class Summary:
    out_dir: Path
    truth_path: Path
    as_of: datetime
    patients: int
    resources: int
    by_type: dict[str, int]
    obligations: int
    by_status: dict[str, int]

    def line(self) -> str:
        statuses = ", ".join(f"{k} {v:,}" for k, v in sorted(self.by_status.items()))
        return (
            f"synth: wrote {self.resources:,} resources for {self.patients:,} patients "
            f"({len(self.by_type)} types) to {self.out_dir}; truth: {self.obligations:,} "
            f"obligations ({statuses}) in {self.truth_path}; as of "
            f"{self.as_of.isoformat().replace('+00:00', 'Z')}"
        )


def default_truth_path(out_dir: Path) -> Path:
    return out_dir.parent / f"{out_dir.name}.truth.ndjson"


def _poisson(rng: random.Random, lam: float) -> int:
    limit, k, p = math.exp(-lam), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


def generate(
    out_dir: Path,
    *,
    patients: int,
    months: int,
    seed: int,
    as_of: datetime | None = None,
    breach_rates: dict[str, float] | None = None,
    trust_quality: dict[str, float] | None = None,
    truth_path: Path | None = None,
    local_times: bool = False,
    progress: bool = True,
    statements: float = 0.0,
    stu3: float = 0.0,
    documents: float = 0.0,
    later_rules: float = 0.0,
) -> Summary:
    """Write `patients` patients' last `months` months of traffic, ending at `as_of`.
    With `local_times`, some dateTimes are zone-less London local time (rules.md §3).
    `statements` is the share of inpatient discharges whose medicines are sent as Transfer
    of Care does: MedicationStatements in a discharge medication List (docs/contract.md §7);
    at 0 no random draw is spent on it, so the default traffic is unchanged. `stu3` is the
    share of Encounters, Compositions and MedicationRequests written in STU3 as Transfer of
    Care senders do (adapter/synth/stu3.py); chosen by id, it spends no random draw.
    `documents` is the share of letters with nothing but filler in them sent as a
    DocumentReference with a PDF attachment instead of a Composition (docs/contract.md §3);
    also chosen by id, so the rest of the traffic is unchanged. `later_rules` is the share of
    episodes given to the rules of contract §11 (Advice & Guidance, rejected referrals,
    patients' queries; adapter/synth/later.py); at 0 no random draw is spent on it."""
    if not 0.0 <= statements <= 1.0:
        raise ValueError("the MedicationStatement share must be between 0 and 1")
    if not 0.0 <= stu3 <= 1.0:
        raise ValueError("the STU3 share must be between 0 and 1")
    if not 0.0 <= documents <= 1.0:
        raise ValueError("the DocumentReference share must be between 0 and 1")
    if not 0.0 <= later_rules <= 1.0:
        raise ValueError("the later-rules share must be between 0 and 1")
    unknown = set(breach_rates or {}) - set(RULES)
    if unknown:
        raise ValueError(f"unknown rule id(s) in breach rates: {', '.join(sorted(unknown))}")
    instant = (as_of or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    rates = {**DEFAULT_BREACH_RATES, **(breach_rates or {})}
    rng = random.Random(seed)
    pop = build_population(rng, patients, trust_quality or {})
    truth_path = truth_path or default_truth_path(out_dir)
    writer = BulkWriter(out_dir, truth_path, progress, stu3_share=stu3)
    try:
        for resource in pop.resources:
            writer.resource(resource)
        numbers = NhsNumbers(rng)
        for _ in range(patients):
            _patient(
                rng,
                pop,
                numbers,
                instant,
                months,
                rates,
                writer,
                local_times,
                statements,
                documents,
                later_rules,
            )
    finally:
        writer.close()
    return Summary(
        out_dir,
        truth_path,
        instant,
        patients,
        writer.total,
        dict(writer.counts),
        sum(writer.truth_counts.values()),
        dict(writer.truth_counts),
    )


def _patient(
    rng: random.Random,
    pop: Population,
    numbers: NhsNumbers,
    as_of: datetime,
    months: int,
    rates: dict[str, float],
    writer: BulkWriter,
    local_times: bool,
    statements: float = 0.0,
    documents: float = 0.0,
    later_rules: float = 0.0,
) -> None:
    info, resource = make_patient(rng, numbers, pop, london_date(as_of))
    writer.resource(resource)
    span = months * MONTH
    start = as_of - span
    slots = min(_poisson(rng, EPISODES_PER_MONTH * months), int(span / MIN_SLOT))
    if slots == 0:
        return
    length = span / slots
    names = [s[0] for s in SCENARIOS]
    weights = [s[2] for s in SCENARIOS]
    had_dna = False
    home = pop.trusts[pop.practices.index(info.practice) % len(pop.trusts)]
    for i in range(slots):
        name = rng.choices(names, weights)[0]
        if name == "dna":
            if had_dna:
                name = "outpatient"
            had_dna = True
        trust = home if rng.random() < 0.7 else rng.choice(pop.trusts)
        ep = Episode(
            rng,
            as_of,
            info,
            trust,
            pop,
            start + i * length,
            start + (i + 1) * length,
            rates,
            writer.resource,
            writer.truth,
            local_times,
            statements,
            document_share=documents,
        )
        if later_rules and rng.random() < later_rules:
            rng.choice(LATER)[1](ep)
            continue
        dict(zip(names, (s[1] for s in SCENARIOS), strict=True))[name](ep)
