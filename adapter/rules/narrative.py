"""What a letter's narrative says, by the phrase lists (rules.md §5 "Narrative", §6).

The translator keeps neutral facts: each section's heading code and its sentences
(`Letter.sections`). Reading them is a judgement, so it lives here, with the rules that
decide by it: each rule declares the phrase lists it uses (`Rule.phrases`) and asks
`findings(letter, policy)` for what they say.

Letters are built from templates, so most sentences and whole section lists recur: a
sentence is classified once per policy (`read_sentence`), and the findings of a list of
sections are remembered by that list.
"""

from __future__ import annotations

from dataclasses import dataclass

from adapter.facts import Letter, Sections
from adapter.policy import Policy

FIT_NOTE_KINDS = ("not-needed", "asked-of-gp", "issued", "needed")
_CACHE_LIMIT = 100_000  # distinct sentences (or section lists) remembered per policy


@dataclass(frozen=True, slots=True)
class Findings:
    """What a letter's narrative says, by the phrase lists."""

    fit_note: frozenset[str] = frozenset()  # not-needed, asked-of-gp, issued, needed
    discharged: bool = False
    refer_asks: tuple[tuple[str, bool, bool], ...] = ()  # sentence, urgent, unrelated
    test_asks: tuple[str, ...] = ()
    contact_section: bool = False
    fit_note_sentence: str | None = None
    query_to_gp: tuple[str, ...] = ()  # sentences sending the patient to the GP (§11.3)
    query_to_trust: bool = False  # a route back to the trust for queries and results


@dataclass(frozen=True, slots=True)
class Reading:
    """What the phrase lists say of one sentence."""

    fit: frozenset[str]
    discharged: bool
    refer: bool
    urgent: bool
    unrelated: bool
    test: bool
    contact: bool
    query_gp: bool = False
    query_trust: bool = False


_NOTHING = Reading(frozenset(), False, False, False, False, False, False)


def read_sentence(sentence: str, policy: Policy) -> Reading:
    """Classify one sentence, once per policy."""
    cache: dict[str, Reading] = policy.cache.setdefault("sentences", {})
    found = cache.get(sentence)
    if found is None:
        if len(cache) >= _CACHE_LIMIT:
            cache.clear()
        found = cache[sentence] = _classify(sentence, policy)
    return found


def _classify(sentence: str, policy: Policy) -> Reading:
    p = policy.phrases
    contact = bool(p["phone"].search(sentence) or p["email"].search(sentence))
    if not p["any"].search(sentence):
        # most sentences match no list: one search rules them all out
        return _NOTHING if not contact else Reading(frozenset(), *(False,) * 5, True)
    return Reading(
        fit=frozenset(k for k in FIT_NOTE_KINDS if p[f"fit-note-{k}"].search(sentence)),
        discharged=bool(p["discharged-after-dna"].search(sentence)),
        refer=bool(p["gp-asked-to-refer"].search(sentence)),
        urgent=bool(p["urgent"].search(sentence)),
        unrelated=bool(p["unrelated"].search(sentence)),
        test=bool(p["gp-asked-to-test"].search(sentence)),
        contact=contact,
        # negated, quoted or "referred by" GP sentences do not send anyone to the GP (§11.3)
        query_gp=bool(p["patient-query-to-gp"].search(sentence))
        and not p["patient-query-not-to-gp"].search(sentence),
        query_trust=bool(p["patient-query-to-trust"].search(sentence)),
    )


def findings(letter: Letter, policy: Policy) -> Findings:
    """What the letter's narrative says, sentence by sentence (rules.md §5, §6)."""
    cache: dict[Sections, Findings] = policy.cache.setdefault("findings", {})
    found = cache.get(letter.sections)
    if found is None:
        if len(cache) >= _CACHE_LIMIT:
            cache.clear()
        found = cache[letter.sections] = read_findings(letter.sections, policy)
    return found


def read_findings(sections: Sections, policy: Policy) -> Findings:
    """Findings of (heading code, sentences) pairs: a test request counts only in the plan
    section when the letter has one; a phone or email counts only in the contact section."""
    plan = policy.codes.values["plan-section"]
    contact = policy.codes.values["contact-section"]
    has_plan = any(code == plan for code, _ in sections)
    fit: set[str] = set()
    fit_sentence = None
    refer: list[tuple[str, bool, bool]] = []
    tests: list[str] = []
    to_gp: list[str] = []
    discharged = contact_found = to_trust = False
    for code, texts in sections:
        for sentence in texts:
            reading = read_sentence(sentence, policy)
            if reading is _NOTHING:
                continue
            contact_found = contact_found or (code == contact and reading.contact)
            if reading.fit and fit_sentence is None:
                fit_sentence = sentence
            fit |= reading.fit
            discharged = discharged or reading.discharged
            if reading.refer:
                refer.append((sentence, reading.urgent, reading.unrelated))
            if reading.test and (code == plan or not has_plan):
                tests.append(sentence)
            if reading.query_gp:
                to_gp.append(sentence)
            to_trust = to_trust or reading.query_trust
    return Findings(
        frozenset(fit),
        discharged,
        tuple(refer),
        tuple(tests),
        contact_found,
        fit_sentence,
        tuple(to_gp),
        to_trust,
    )
