"""`referee synth`: write synthetic UK Core R4 traffic for an ICB, and the known truth."""

from __future__ import annotations

import argparse
from pathlib import Path

from adapter.commands.options import add_as_of, say_as_of
from adapter.errors import UsageError
from adapter.synth import DEFAULT_BREACH_RATES, default_truth_path, generate

EPILOG = """\
The FHIR is written to DIR in the Bulk Data layout (Patient.ndjson, Encounter.ndjson, ...);
the truth (one {"rule", "subject", "status"} line per obligation that
`referee check DIR --as-of <the same instant>` must report) is written beside it, to
DIR.truth.ndjson unless --truth says otherwise. Same seed, same bytes.

example:
  referee synth --patients 2000 --months 12 --seed 7 --out /tmp/icb \\
      --as-of 2026-06-30T12:00:00Z --breach-rate discharge-summary-24h=0.5 \\
      --trust-quality RZ1=0.2
  referee check /tmp/icb --as-of 2026-06-30T12:00:00Z --format json
"""


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "synth",
        help="generate synthetic ICB FHIR data with known obligations (for tests, benchmarks)",
        description=(
            "Generate realistic synthetic UK Core R4 traffic between GP practices and trusts\n"
            "(referrals, attendances, stays, letters, medicines, tasks), exercising every rule\n"
            "with met, breached, pending and not-assessable cases, and the exact obligations\n"
            "`referee check` must find in it. All identifiers are made up: NHS numbers from\n"
            "the 999 test range, invented ODS codes."
        ),
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--patients",
        type=int,
        default=1000,
        metavar="N",
        help="number of patients (default 1000; about 12 resources each a year)",
    )
    parser.add_argument(
        "--months",
        type=int,
        default=12,
        metavar="M",
        help="months of history ending at --as-of (default 12)",
    )
    parser.add_argument(
        "--seed",
        type=int,
        default=0,
        metavar="S",
        help="random seed; the same seed gives byte-identical files (default 0)",
    )
    parser.add_argument(
        "--out",
        "-o",
        type=Path,
        required=True,
        metavar="DIR",
        help="folder for the NDJSON files (created; old *.ndjson removed)",
    )
    parser.add_argument(
        "--truth",
        type=Path,
        metavar="FILE",
        help="where to write the truth (default DIR.truth.ndjson, beside DIR)",
    )
    add_as_of(parser)
    parser.add_argument(
        "--breach-rate",
        action="append",
        default=[],
        metavar="RULE=RATE",
        help="base share of subjects of RULE that breach, 0..1 (repeatable; "
        "defaults: " + ", ".join(f"{k}={v}" for k, v in DEFAULT_BREACH_RATES.items()) + ")",
    )
    parser.add_argument(
        "--trust-quality",
        action="append",
        default=[],
        metavar="ODS=FACTOR",
        help="multiply every breach rate at trust ODS (RZ1..RZ5) by FACTOR "
        "(repeatable; default RZ1 0.4, RZ2 1.0, RZ3 1.6, RZ4 0.7, RZ5 1.3)",
    )
    parser.add_argument(
        "--local-times",
        action="store_true",
        help="write some dateTimes zone-less (Europe/London local time), as "
        "some senders do; valid for `referee check`, not for strict R4",
    )
    parser.add_argument(
        "--medication-statements",
        type=float,
        default=0.0,
        metavar="SHARE",
        help="share of inpatient discharges, 0..1, whose medicines are sent as Transfer of "
        "Care does: MedicationStatements in a discharge medication List, each based on an "
        "inpatient TTO order (default 0)",
    )
    parser.add_argument(
        "--document-references",
        type=float,
        default=0.0,
        metavar="SHARE",
        help="share of letters, 0..1, whose narrative carries nothing a rule reads, sent as a "
        "DocumentReference with a PDF attachment instead of a Composition (default 0)",
    )
    parser.add_argument(
        "--later-rules",
        type=float,
        default=0.0,
        metavar="SHARE",
        help="share of episodes, 0..1, given to the rules added after the first ten: Advice & "
        "Guidance requests and answers, rejected or returned referrals, letters that say "
        "where the patient takes queries and results (default 0)",
    )
    parser.add_argument(
        "--stu3-share",
        type=float,
        default=0.0,
        metavar="SHARE",
        help="share of Encounters, Compositions and MedicationRequests, 0..1, written in FHIR "
        "STU3 as Transfer of Care (ITK3) senders do; `referee check` reads them as R4 "
        "(default 0)",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress on stderr")
    parser.set_defaults(run=run)


def _pairs(values: list[str], option: str) -> dict[str, float]:
    out: dict[str, float] = {}
    for value in values:
        key, sep, number = value.partition("=")
        try:
            if not sep:
                raise ValueError(value)
            out[key.strip()] = float(number)
        except ValueError:
            raise UsageError(f"{option} expects NAME=NUMBER, got {value!r}") from None
    return out


def run(args: argparse.Namespace) -> int:
    if args.patients < 0 or args.months < 1:
        raise UsageError("--patients must be 0 or more and --months 1 or more")
    say_as_of(args.as_of_text, args.as_of)
    as_of = args.as_of
    rates = _pairs(args.breach_rate, "--breach-rate")
    try:
        summary = generate(
            args.out,
            patients=args.patients,
            months=args.months,
            seed=args.seed,
            as_of=as_of,
            breach_rates=rates,
            trust_quality=_pairs(args.trust_quality, "--trust-quality"),
            truth_path=args.truth or default_truth_path(args.out),
            local_times=args.local_times,
            progress=not args.quiet,
            statements=args.medication_statements,
            stu3=args.stu3_share,
            documents=args.document_references,
            later_rules=args.later_rules,
        )
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    print(summary.line())  # noqa: T201
    return 0
