"""One file downloaded so that a dropped connection or a killed run loses nothing: the bytes
go to a hidden `.NAME.part` (raw, as sent: gzip stays gzip until the end), what the server
said about them to `.NAME.part.json`, and a retry or rerun asks only for the rest with
`Range` (and `If-Range` with the ETag, so a changed file starts again). When the body is
complete it is decoded (gzip, by `Content-Encoding` or by its magic bytes) into NAME."""

from __future__ import annotations

import gzip
import os
import shutil
from pathlib import Path
from typing import Any

import orjson
import requests
import urllib3

from adapter.pull.session import PullError, Say, Session, where

CHUNK = 256 * 1024
GZIP_MAGIC = b"\x1f\x8b"
# A body cut short: the server died or the network dropped (urllib3 raises its own errors
# while streaming the raw body; a reset socket is a ConnectionError).
DROPPED = (urllib3.exceptions.HTTPError, requests.RequestException, ConnectionError)


def download(
    session: Session, url: str, dest: Path, *, authorise: bool, say: Say, label: str
) -> int:
    """Fetch `url` into `dest`; returns the bytes received in this run."""
    part = dest.with_name(f".{dest.name}.part")
    meta_file = dest.with_name(f".{dest.name}.part.json")
    meta: dict[str, Any] = _read_meta(meta_file, url)
    received = 0
    attempt = 0
    while True:
        have = part.stat().st_size if part.exists() else 0
        headers = {"Accept": "application/fhir+ndjson", "Accept-Encoding": "gzip"}
        if have:
            headers["Range"] = f"bytes={have}-"
            if meta.get("etag"):
                headers["If-Range"] = meta["etag"]
            say(f"{label}: resuming at {have:,} bytes")
        response = session.get(
            url, headers=headers, authorise=authorise, stream=True, ok=(200, 206, 416)
        )
        with response:
            if response.status_code == 416 and have:
                break  # nothing after what we have: the part is the whole file
            if response.status_code == 416:
                raise PullError(f"GET {where(url)}: 416 for a request without Range")
            append = response.status_code == 206 and _starts_at(response, have)
            if have and not append:
                say(f"{label}: the server sent the whole file again; starting it afresh")
            encoding = response.headers.get("Content-Encoding", "").strip().lower()
            if append and encoding != meta.get("encoding", ""):
                raise PullError(f"GET {where(url)}: the file's encoding changed mid-download")
            meta = {
                "url": url,
                "etag": meta.get("etag") if append else response.headers.get("ETag"),
                "encoding": encoding,
            }
            meta_file.write_bytes(orjson.dumps(meta))
            try:
                received += _write(response, part, append=append)
                break
            except DROPPED:
                attempt += 1
                if attempt > session.retries:
                    raise PullError(
                        f"GET {where(url)}: the connection kept dropping mid-file "
                        f"({attempt} tries); run again to continue"
                    ) from None
                say(f"{label}: connection dropped mid-file; retry {attempt} of {session.retries}")
    _decode(part, dest, meta.get("encoding", ""))
    meta_file.unlink(missing_ok=True)
    return received


def _read_meta(meta_file: Path, url: str) -> dict[str, Any]:
    try:
        meta = orjson.loads(meta_file.read_bytes())
    except (OSError, orjson.JSONDecodeError):
        return {}
    if not isinstance(meta, dict) or meta.get("url") != url:
        return {}
    return meta


def _starts_at(response: requests.Response, have: int) -> bool:
    """A 206 whose Content-Range starts where our part ends."""
    content_range = response.headers.get("Content-Range", "")
    try:
        start = int(content_range.split()[1].split("-")[0])
    except (IndexError, ValueError):
        return False
    return start == have


def _write(response: requests.Response, part: Path, *, append: bool) -> int:
    """The raw body (not decoded) to `part`, each piece as it arrives (read1), flushed, so
    that what a killed run received is on disk and never asked for again."""
    written = 0
    raw = response.raw
    with part.open("ab" if append else "wb") as out:
        while chunk := raw.read1(CHUNK, decode_content=False):
            out.write(chunk)
            out.flush()
            written += len(chunk)
    if raw.length_remaining:  # the body ended short of its Content-Length
        raise urllib3.exceptions.IncompleteRead(written, raw.length_remaining)
    return written


def _decode(part: Path, dest: Path, encoding: str) -> None:
    with part.open("rb") as handle:
        gzipped = encoding == "gzip" or handle.read(2) == GZIP_MAGIC
    temporary = dest.with_name(f".{dest.name}.tmp")
    if gzipped:
        try:
            with gzip.open(part, "rb") as source, temporary.open("wb") as out:
                shutil.copyfileobj(source, out, CHUNK)
        except (OSError, EOFError) as exc:
            temporary.unlink(missing_ok=True)
            part.unlink(missing_ok=True)
            raise PullError(f"{dest.name}: the gzip body is damaged ({exc}); run again") from None
        os.replace(temporary, dest)
        part.unlink()
    else:
        os.replace(part, dest)
