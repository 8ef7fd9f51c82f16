"""Each rule's parameters as a typed model. Unknown keys and wrong types fail at load time
(style.md "extra=forbid"), so a typo in a policy file is an error, not a silent default.

The models hold no defaults: the national values are data, in `mappings/rules.toml`, and a
rule reads its defaults from there (`Rule.defaults`). `wording()` gives each value as the
board, the `referee rules` page and the FHIR definitions print it."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field, field_validator

from adapter.editions import editions


class Params(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    def wording(self) -> dict[str, str]:
        """Each parameter as text (`24`, `7.5`), by name, for wording templates."""
        return {name: _number(getattr(self, name)) for name in type(self).model_fields}


class NoParams(Params):
    pass


class DischargeSummary(Params):
    max_hours: float = Field(gt=0)


class ScheduleEntry(Params):
    from_: date = Field(alias="from")
    max_days: float = Field(gt=0)

    model_config = ConfigDict(extra="forbid", frozen=True, strict=False, populate_by_name=True)


class ClinicLetter(Params):
    """`max_days` is dated by contract edition (mappings/editions.toml); a local policy may
    set `max_days` for every edition, or a dated `schedule` of its own (rules.md §5), which
    then decides by the attendance date whatever the edition."""

    max_days: float = Field(gt=0)
    schedule: tuple[ScheduleEntry, ...]

    model_config = ConfigDict(extra="forbid", frozen=True, strict=False)

    @field_validator("schedule")
    @classmethod
    def _sorted(cls, value: tuple[ScheduleEntry, ...]) -> tuple[ScheduleEntry, ...]:
        return tuple(sorted(value, key=lambda e: e.from_))

    def max_days_on(self, day: date) -> float:
        """The limit on `day`: the local schedule's entry in force (days before its first
        entry use the first), else `max_days` (the edition's, or the local policy's)."""
        if not self.schedule:
            return self.max_days
        chosen = self.schedule[0].max_days
        for entry in self.schedule:
            if entry.from_ <= day:
                chosen = entry.max_days
        return chosen

    def wording(self) -> dict[str, str]:
        """`max_days` and `since`: the value in force now and when it began; `schedule`: every
        dated value in words ("14 days before April 2017, 10 days from April 2017, 7 days
        from April 2018"), from the local schedule or else the contract editions."""
        if self.schedule:
            steps = [(e.from_, e.max_days) for e in self.schedule]
        else:
            national = editions().history("clinic-letter-7d", "max_days")
            steps = [(term.start, float(value)) for term, value in national]
            if not steps or steps[-1][1] != self.max_days:  # a local value for every edition
                word = f"{_number(self.max_days)} days (local policy, every edition)"
                return {
                    "max_days": _number(self.max_days),
                    "since": "the local policy",
                    "schedule": word,
                }
        parts = [f"{_number(steps[0][1])} days"]
        if len(steps) > 1:
            parts[0] += f" before {_month(steps[1][0])}"
        parts += [f"{_number(days)} days from {_month(start)}" for start, days in steps[1:]]
        return {
            "max_days": _number(steps[-1][1]),
            "since": _month(steps[-1][0]),
            "schedule": ", ".join(parts),
        }


class DischargeMedication(Params):
    min_days: float = Field(gt=0)


class DnaDischarge(Params):
    min_dnas_before_discharge: int = Field(ge=1)
    adult_age_years: int = Field(ge=0)
    same_referral_window_days: int = Field(ge=1)


class AdviceResponse(Params):
    max_working_days: int = Field(ge=1, le=60)


class RejectionReasoned(Params):
    """`payment_limit_invalid` is dated by contract edition: true from 2025/26."""

    payment_limit_invalid: bool

    def wording(self) -> dict[str, str]:
        """`payment_limit`: when a payment limit stopped being a valid reason."""
        national = editions().history("referral-rejection-reasoned", "payment_limit_invalid")
        first_true = next((term for term, value in national if value), None)
        if not self.payment_limit_invalid:
            when = "never (local policy)"
        elif first_true is not None and national[-1][1]:
            when = f"from the {first_true.edition} edition ({_month(first_true.start)})"
        else:
            when = "in every edition (local policy)"
        return {
            "payment_limit_invalid": str(self.payment_limit_invalid).lower(),
            "payment_limit": when,
        }


def _number(value: object) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _month(day: date) -> str:
    return day.strftime("%B %Y")
