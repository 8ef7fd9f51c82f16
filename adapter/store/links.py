"""Tokens that tie stored resources together, so a new resource re-evaluates only what it
can affect.

A resource's *identities* are `Type/id`, its Bundle fullUrl and `ident:system|value` for each
identifier. Its *references* are every `reference` it holds (relative, absolute URL ending
`Type/id`, `urn:uuid:`) and every logical reference (`identifier`). Two resources belong to
the same group when one references the other or both reference the same thing (say, the same
Patient). Shared context (organisations, practitioners, locations...) is a *hub*: it never
joins groups, but a group takes along the hubs it references. A `urn:uuid:` reference does
not name its type, so it counts both ways: it may join a group and may lead to a hub.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

HUB_TYPES = frozenset(
    {
        "Organization",
        "Practitioner",
        "PractitionerRole",
        "Location",
        "HealthcareService",
        "Endpoint",
        "Medication",
        "Device",
    }
)
HUB_SYSTEMS = frozenset(
    {
        "https://fhir.nhs.uk/Id/ods-organization-code",
        "https://fhir.nhs.uk/Id/ods-site-code",
        "https://fhir.nhs.uk/Id/sds-user-id",
        "https://fhir.nhs.uk/Id/sds-role-profile-id",
    }
)
_TYPED_REF = re.compile(r"(?:^|/)([A-Z][A-Za-z]+)/([A-Za-z0-9\-.]{1,64})(?:/_history/[^/]+)?$")


@dataclass(frozen=True, slots=True)
class Links:
    """The tokens of one resource, by kind: `id`, `ref`, `hubid`, `hubref`."""

    identities: frozenset[str]
    refs: frozenset[str]
    hub_refs: frozenset[str]

    def rows(self, hub: bool) -> set[tuple[str, str]]:
        """(token, kind) pairs to store."""
        if hub:  # a hub's references all lead to context (urn:uuid ones included)
            return {(t, "hubid") for t in self.identities} | {
                (t, "hubref") for t in self.hub_refs | self.refs
            }
        pairs = {(t, "id") for t in self.identities} | {(t, "hubref") for t in self.hub_refs}
        return pairs | {(t, "ref") for t in self.refs}


def is_hub(resource_type: str) -> bool:
    return resource_type in HUB_TYPES


def normalise_reference(text: str) -> str:
    """`Type/id` for a relative or absolute reference (history dropped); else the text."""
    match = _TYPED_REF.search(text)
    return f"{match[1]}/{match[2]}" if match else text


def links_of(resource: dict[str, Any], full_url: str | None, message: str | None = None) -> Links:
    """Identities and references of one resource (contained resources read as part of it).
    A resource that arrived in a message refers to its MessageHeader, and an ITK3 response
    to the MessageHeader it answers, so a message and its acknowledgement are judged
    together (docs/contract.md §2)."""
    kind = str(resource.get("resourceType", ""))
    identities = {f"ident:{t}" for t in _identifier_tokens(resource.get("identifier"))}
    if isinstance(resource.get("id"), str):
        identities.add(f"{kind}/{resource['id']}")
    if full_url:
        identities.add(normalise_reference(full_url))
    refs: set[str] = set()
    hub_refs: set[str] = set()
    for token, hub in _references(resource, top=True):
        (hub_refs if hub else refs).add(token)
    if message:
        refs.add(normalise_reference(message))
    answered = _response_to(resource)
    if answered:
        refs.add(f"MessageHeader/{answered}")
    return Links(frozenset(identities), frozenset(refs - identities), frozenset(hub_refs))


def _identifier_tokens(value: Any) -> Iterator[str]:
    items = value if isinstance(value, list) else [value]
    for item in items:
        if isinstance(item, dict) and isinstance(item.get("value"), str):
            yield f"{item.get('system', '')}|{item['value']}"


def _references(node: Any, top: bool = False) -> Iterator[tuple[str, bool]]:
    """(token, is-hub) for every Reference in `node`, recursively (a Reference is a dict
    with a `reference`, or with a single `identifier`: a logical reference)."""
    if isinstance(node, list):
        for item in node:
            yield from _references(item)
        return
    if not isinstance(node, dict):
        return
    ref = node.get("reference")
    if isinstance(ref, str) and not ref.startswith("#"):
        token = normalise_reference(ref)
        yield token, token.split("/", 1)[0] in HUB_TYPES
    ident = node.get("identifier")
    if not top and isinstance(ident, dict):
        for token in _identifier_tokens(ident):
            hub = ident.get("system") in HUB_SYSTEMS or node.get("type") in HUB_TYPES
            yield f"ident:{token}", hub
    for key, value in node.items():
        if (
            key != "reference"
            and (key != "identifier" or not top)
            and isinstance(value, dict | list)
        ):
            yield from _references(value)


def _response_to(resource: dict[str, Any]) -> str | None:
    if resource.get("resourceType") != "MessageHeader":
        return None
    response = resource.get("response")
    answered = response.get("identifier") if isinstance(response, dict) else None
    return answered if isinstance(answered, str) and answered else None
