"""FHIR Bulk Data Access 2.0 export, as a client: kick-off (`GET [base]/$export` or
`[base]/Group/[id]/$export` with `Prefer: respond-async`), polling the status URL (202 with
`X-Progress`, waiting as `Retry-After` says) until the completion manifest, then each output
file downloaded (resumably, gzip accepted) and, when all are in, `DELETE` on the status URL
so the server may free them.

The status URL and then the server's manifest are kept in our manifest as soon as they are
known: a rerun polls the same job, or downloads only the files it does not have yet; nothing
is kicked off twice. Error files (OperationOutcome NDJSON) are fetched as
`export-errors.NNN.ndjson.log`, a name `referee check` does not read as traffic."""

from __future__ import annotations

import contextlib
import time
from typing import Any
from urllib.parse import urlencode, urljoin

import orjson

from adapter.pull.download import download
from adapter.pull.folder import Folder, safe_type
from adapter.pull.session import (
    MAX_WAIT,
    PullError,
    Say,
    Session,
    counted,
    read_body,
    retry_after,
    where,
)

POLL_START, POLL_MOST = 1.0, 30.0  # seconds between polls when the server names none


def kick_off_url(base: str, *, group: str | None, types: tuple[str, ...], since: str | None) -> str:
    params = {"_outputFormat": "application/fhir+ndjson"}
    if since:
        params["_since"] = since
    if types:
        params["_type"] = ",".join(types)
    where_from = f"{base}/Group/{group}/$export" if group else f"{base}/$export"
    return f"{where_from}?{urlencode(params, safe=',:')}"


def export(
    session: Session,
    folder: Folder,
    base: str,
    *,
    group: str | None,
    types: tuple[str, ...],
    since: str | None,
    say: Say,
) -> int:
    """Run (or continue) the export into the folder; returns files fetched in this run."""
    job = folder.state["bulk"]
    if "outputs" not in job:
        if "status" not in job:
            url = kick_off_url(base, group=group, types=types, since=since)
            folder.data["request"] = url
            job["status"] = _kick_off(session, url)
            folder.save()
            say("export accepted; waiting for the server to prepare the files")
        manifest = _poll(session, job["status"], say)
        _adopt(folder, manifest, job)
    fetched = 0
    for output in job["outputs"]:
        name = output["name"]
        if folder.recorded(name):
            continue
        if not (folder.path / name).exists():
            download(
                session,
                output["url"],
                folder.path / name,
                authorise=folder.data["requiresAccessToken"],
                say=say,
                label=name,
            )
            fetched += 1
        count = folder.record(name, output["type"], where(output["url"]), error=output["error"])
        say(f"{name}: {counted(count, 'error' if output['error'] else 'resource')}")
    if not job.get("deleted"):
        _delete(session, job["status"])
        job["deleted"] = True
        folder.save()
    return fetched


def _kick_off(session: Session, url: str) -> str:
    headers = {"Accept": "application/fhir+json", "Prefer": "respond-async"}
    response = session.get(url, headers=headers, ok=(202,))
    location = response.headers.get("Content-Location")
    response.close()
    if not location:
        raise PullError(f"GET {where(url)}: 202 without a Content-Location status URL")
    return urljoin(url, location)


def _poll(session: Session, status: str, say: Say) -> dict[str, Any]:
    wait, shown = POLL_START, None
    while True:
        response = session.get(
            status, headers={"Accept": "application/json"}, ok=(200, 202), stream=True
        )
        if response.status_code == 200:
            try:
                manifest = orjson.loads(read_body(response))
            except orjson.JSONDecodeError:
                manifest = None
            if not isinstance(manifest, dict) or not isinstance(manifest.get("output"), list):
                raise PullError(f"GET {where(status)}: the completion manifest is not JSON")
            return manifest
        progress = response.headers.get("X-Progress", "").strip()[:100]
        if progress and progress != shown:
            say(f"export in progress: {progress}")
            shown = progress
        asked = retry_after(response.headers.get("Retry-After"))
        response.close()
        if asked is not None:
            time.sleep(min(asked, MAX_WAIT))
        else:
            time.sleep(wait)
            wait = min(POLL_MOST, wait * 2)


def _adopt(folder: Folder, manifest: dict[str, Any], job: dict[str, Any]) -> None:
    """The server's outputs with their local names, kept before any download starts."""
    outputs: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    for error, entries in ((False, manifest.get("output")), (True, manifest.get("error"))):
        for entry in entries or []:
            if not isinstance(entry, dict) or not isinstance(entry.get("url"), str):
                raise PullError("the completion manifest has an output without a url")
            kind = safe_type(entry.get("type"))
            key = "errors" if error else kind
            seen[key] = seen.get(key, 0) + 1
            name = (
                f"export-errors.{seen[key]:03d}.ndjson.log"
                if error
                else f"{kind}.{seen[key]:03d}.ndjson"
            )
            url = urljoin(job["status"], entry["url"])
            outputs.append({"name": name, "type": kind, "url": url, "error": error})
    folder.data["transactionTime"] = manifest.get("transactionTime")
    folder.data["requiresAccessToken"] = bool(manifest.get("requiresAccessToken"))
    job["outputs"] = outputs
    folder.save()


def _delete(session: Session, status: str) -> None:
    """Tell the server the files are no longer needed; a refusal changes nothing here."""
    with contextlib.suppress(PullError):
        session.request("DELETE", status, ok=(200, 202, 204, 404)).close()
