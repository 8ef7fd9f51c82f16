"""FHIR search (R4 search.html), page by page: `GET [base]/[type]?_count=N` (and
`_lastUpdated=ge[since]`), then each `next` link the server gives, absolute or relative, until
there is none. Each page's resources become one NDJSON file (`Type.search.0001.ndjson`);
the next link is recorded in the manifest with it, so a rerun continues at the page after
the last one saved. Entries whose `search.mode` is `outcome` (the server's OperationOutcome
about the search) are not traffic and are not written."""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import urlencode, urljoin

import orjson

from adapter.pull.folder import Folder
from adapter.pull.session import PullError, Say, Session, counted, read_body, where

MAX_PAGES = 1_000_000  # a server whose next links go round in a circle is stopped


def search_type(
    session: Session,
    folder: Folder,
    base: str,
    kind: str,
    *,
    since: str | None,
    count: int,
    say: Say,
) -> int:
    """Fetch every page of one type's search; returns the pages fetched in this run."""
    progress = folder.state["search"].setdefault(kind, {"next": None, "pages": 0, "done": False})
    if progress["done"]:
        return 0
    params = {"_count": str(count)}
    if since:
        params["_lastUpdated"] = f"ge{since}"
    url: str | None = progress["next"] or f"{base}/{kind}?{urlencode(params)}"
    seen: set[str] = set()
    fetched = 0
    while url:
        if url in seen or len(seen) >= MAX_PAGES:
            raise PullError(f"{where(url)}: the server's next links go round in a circle")
        seen.add(url)
        response = session.get(url, headers={"Accept": "application/fhir+json"}, stream=True)
        bundle = _searchset(read_body(response), url)
        resources = [
            entry["resource"]
            for entry in bundle.get("entry") or []
            if isinstance(entry, dict)
            and isinstance(entry.get("resource"), dict)
            and (entry.get("search") or {}).get("mode") != "outcome"
        ]
        following = _next_link(bundle, response.url)
        page = progress["pages"] + 1
        name = f"{kind}.search.{page:04d}.ndjson"
        _write_page(folder, name, resources)
        progress.update(pages=page, next=following, done=following is None)
        count_now = folder.record(name, kind, where(url))
        fetched += 1
        total = bundle.get("total")
        of = f" (the search has {total:,})" if isinstance(total, int) else ""
        say(f"{kind}: page {page}, {counted(count_now, 'resource')}{of}")
        url = following
    progress["done"] = True
    folder.save()
    return fetched


def _searchset(content: bytes, url: str) -> dict[str, Any]:
    try:
        bundle = orjson.loads(content)
    except orjson.JSONDecodeError:
        raise PullError(f"GET {where(url)}: the answer is not JSON") from None
    if not isinstance(bundle, dict) or bundle.get("resourceType") != "Bundle":
        raise PullError(f"GET {where(url)}: the answer is not a FHIR Bundle")
    return bundle


def _next_link(bundle: dict[str, Any], url: str) -> str | None:
    for link in bundle.get("link") or []:
        if isinstance(link, dict) and link.get("relation") == "next" and link.get("url"):
            return urljoin(url, str(link["url"]))
    return None


def _write_page(folder: Folder, name: str, resources: list[dict[str, Any]]) -> None:
    temporary = folder.path / f".{name}.tmp"
    with temporary.open("wb") as out:
        for resource in resources:
            out.write(orjson.dumps(resource) + b"\n")
    os.replace(temporary, folder.path / name)
