"""Each rule's parameters as a typed model. Unknown keys and wrong types fail at load time
(style.md "extra=forbid"), so a typo in a policy file is an error, not a silent default.

The models hold no defaults: the national values are data, in `mappings/rules.toml`, and a
rule reads its defaults from there (`Rule.defaults`). `wording()` gives each value as the
board, the `referee rules` page and the FHIR definitions print it."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field, field_validator


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
    schedule: tuple[ScheduleEntry, ...]

    model_config = ConfigDict(extra="forbid", frozen=True, strict=False)

    @field_validator("schedule")
    @classmethod
    def _sorted_and_not_empty(cls, value: tuple[ScheduleEntry, ...]) -> tuple[ScheduleEntry, ...]:
        if not value:
            raise ValueError("schedule needs at least one {from, max_days} entry")
        return tuple(sorted(value, key=lambda e: e.from_))

    def max_days_on(self, day: date) -> float:
        """The limit in force on `day`; days before the first entry use the first entry."""
        chosen = self.schedule[0].max_days
        for entry in self.schedule:
            if entry.from_ <= day:
                chosen = entry.max_days
        return chosen

    def wording(self) -> dict[str, str]:
        """`max_days` and `since`: the latest entry; `schedule`: every entry in words
        ("14 days before April 2017, 10 days from April 2017, 7 days from April 2018")."""
        latest = self.schedule[-1]
        parts = [f"{_number(self.schedule[0].max_days)} days"]
        if len(self.schedule) > 1:
            parts[0] += f" before {_month(self.schedule[1].from_)}"
        parts += [f"{_number(e.max_days)} days from {_month(e.from_)}" for e in self.schedule[1:]]
        return {
            "max_days": _number(latest.max_days),
            "since": _month(latest.from_),
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
    payment_limit_invalid_from: date


def _number(value: object) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _month(day: date) -> str:
    return day.strftime("%B %Y")
