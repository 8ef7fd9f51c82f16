"""Which medicines are discharge medicines, and who supplied them (docs/contract.md §7).

A MedicationRequest or MedicationStatement is a discharge medicine when it is

    coded     its category is `discharge` (R4 or STU3 system), or
    listed    it is an entry (directly, or through a List) of a medication section of a
              discharge document: a Composition whose Encounter is an inpatient or day-case
              stay, or (when its Encounter was not read) typed as a discharge summary; or
              an entry of a List coded as discharge medications,

and no category says someone else supplies it (`community`, `outpatient`,
`patientspecified`: EPS and GP Connect orders), and no change status says it was stopped.
The Encounter alone never makes a medicine a discharge medicine (an order during a stay is
not a supply on discharge); it makes the document a discharge document.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from adapter.facts import Concept, Letter, ListFact, MedicationOrder, MedicationUse
from adapter.link import World
from adapter.policy import Codes
from adapter.rules.base import WITHDRAWN


@dataclass(frozen=True, slots=True)
class Listing:
    """Where a medicine was listed as a discharge medicine."""

    letter: Letter | None
    flag: Concept | None


class DischargeMedicines:
    """The discharge listings of one run, indexed by the listed resource's key."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.codes: Codes = world.policy.codes
        self.listings: dict[str, list[Listing]] = defaultdict(list)
        for letter in world.of_type(Letter):
            if letter.medicines and self._is_discharge_document(letter):
                for ref in letter.medicines:
                    self._list(world.resolve(ref), world.key_of(ref), letter)
        for found in world.of_type(ListFact):
            if found.code is not None and found.code.has_code(
                self.codes["discharge-medication-list-codes"]
            ):
                self._list(found, found.head.key, None)

    def _is_discharge_document(self, letter: Letter) -> bool:
        """The Encounter's class decides when it is known (an A&E "discharge summary" lists
        the medicines the patient already takes); else the document type."""
        if letter.status in WITHDRAWN:
            return False
        stay = self.world.encounter(letter.encounter)
        if stay is not None and stay.klass:
            return stay.klass in self.codes["discharge-medicine-classes"]
        return any(t.has_code(self.codes["discharge-summary-types"]) for t in letter.types)

    def _list(self, target: object, key: str | None, letter: Letter | None) -> None:
        if isinstance(target, ListFact):
            if target.status in WITHDRAWN:
                return
            for entry in target.entries:
                item = self.world.key_of(entry.item)
                if item is not None:
                    self.listings[item].append(Listing(letter, entry.flag))
        elif key is not None:
            self.listings[key].append(Listing(letter, None))

    # -- questions the rule asks --------------------------------------------------------

    def is_discharge(self, fact: MedicationOrder | MedicationUse) -> bool:
        if _category_has(fact.categories, self.codes, "not-discharge-category-codes"):
            return False
        return (self.coded(fact) or fact.head.key in self.listings) and not self.stopped(fact)

    def coded(self, fact: MedicationOrder | MedicationUse) -> bool:
        """Its category says discharge (rules.md §5.3)."""
        return _category_has(fact.categories, self.codes, "discharge-category-codes")

    def stopped(self, fact: MedicationOrder | MedicationUse) -> bool:
        flags = [listing.flag for listing in self.listings.get(fact.head.key, [])]
        if isinstance(fact, MedicationUse):
            flags.extend(fact.changes)
        return any(flag is not None and self._says_stopped(flag) for flag in flags)

    def _says_stopped(self, flag: Concept) -> bool:
        if flag.has_code(self.codes["stopped-change-codes"]):
            return True
        words = " ".join([flag.words()] + [c or "" for _, c, _ in flag.codings]).lower()
        return any(word in words for word in self.codes["stopped-change-words"])

    def letter_of(self, fact: MedicationOrder | MedicationUse) -> Letter | None:
        """The discharge document that lists it, if any (the first read)."""
        return next((x.letter for x in self.listings.get(fact.head.key, []) if x.letter), None)


def _category_has(categories: tuple[Concept, ...], codes: Codes, table: str) -> bool:
    systems = codes["medication-category-systems"]
    return any(
        code in codes[table] and (system in systems or system is None)
        for concept in categories
        for system, code, _ in concept.codings
    )
