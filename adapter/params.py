"""Each rule's parameters as a typed model. Unknown keys and wrong types fail at load time
(style.md "extra=forbid"), so a typo in a policy file is an error, not a silent default."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field, field_validator


class Params(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class NoParams(Params):
    pass


class DischargeSummary(Params):
    max_hours: float = Field(24, gt=0)


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


class DischargeMedication(Params):
    min_days: float = Field(7, gt=0)


class DnaDischarge(Params):
    min_dnas_before_discharge: int = Field(2, ge=1)
    adult_age_years: int = Field(18, ge=0)
    same_referral_window_days: int = Field(365, ge=1)


PARAMS: dict[str, type[Params]] = {
    "discharge-summary-24h": DischargeSummary,
    "clinic-letter-7d": ClinicLetter,
    "discharge-medication-7d": DischargeMedication,
    "shared-care-gp-agreement": NoParams,
    "fit-note-issued": NoParams,
    "dna-no-blanket-discharge": DnaDischarge,
    "onward-referral-by-trust": NoParams,
    "trust-arranges-own-tests": NoParams,
    "point-of-contact": NoParams,
    "referral-complete": NoParams,
}
