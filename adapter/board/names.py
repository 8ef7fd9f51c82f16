"""Organisation names from the data: each `Organization` with an ODS code and a `name`, noted
as resources stream past on their way into the engine (the input is read once). The board
shows "Name (ODS)"; a name in the policy file wins over the data's."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from adapter.ingest import Item, Received

ODS_SYSTEMS = (
    "https://fhir.nhs.uk/Id/ods-organization-code",
    "https://fhir.nhs.uk/Id/ods-site-code",
)


class OrganisationNames(dict[str, str]):
    """ODS code → the organisation's name, as the data gives it."""

    def watch(self, items: Iterable[Item]) -> Iterator[Item]:
        """Pass every item through unchanged, noting organisation names."""
        for item in items:
            if isinstance(item, Received) and item.resource.get("resourceType") == "Organization":
                self.note(item.resource)
            yield item

    def note(self, resource: dict[str, Any]) -> None:
        name = resource.get("name")
        if not isinstance(name, str) or not name.strip():
            return
        for identifier in resource.get("identifier") or []:
            if isinstance(identifier, dict) and identifier.get("system") in ODS_SYSTEMS:
                code = identifier.get("value")
                if isinstance(code, str) and code:
                    self.setdefault(code, name.strip())


def with_names(
    trusts: dict[str, dict[str, str]], names: dict[str, str]
) -> dict[str, dict[str, str]]:
    """The policy's trust table, with a name from the data for every organisation it does
    not name."""
    merged = {ods: {"name": name} for ods, name in names.items()}
    for ods, entry in trusts.items():
        merged[ods] = {**merged.get(ods, {}), **entry}
    return merged


def stored_names(database_url: str) -> OrganisationNames:
    """The same names, from the Organizations in the service's store (read-only, through
    the store's public interface)."""
    from adapter.store import stored_resources

    names = OrganisationNames()
    for resource in stored_resources(database_url, "Organization"):
        names.note(resource)
    return names
