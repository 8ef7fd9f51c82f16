"""The output folder of `referee pull` and its `manifest.json`.

The manifest has the shape of a Bulk Data completion manifest (`transactionTime`, `request`,
`requiresAccessToken`, `output[{type, url, count}]`, `error[]`) with `url` relative to the
folder, so the folder reads as an export; `referee check` skips such a manifest in a folder
walk. Under `referee` it keeps what a rerun needs to continue without fetching anything
twice: what was asked, each file's size and SHA-256, the export job's status URL and its
outputs, and each search's next page. It is rewritten atomically after every file or page,
so a run killed at any moment leaves a manifest that matches the files beside it (a file
completed but not yet recorded is recognised on the rerun and recorded then).
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from adapter.errors import UsageError

MANIFEST = "manifest.json"
FORMAT = "referee-pull/1"
_SAFE_TYPE = re.compile(r"[A-Z][A-Za-z]{0,63}")


@dataclass(frozen=True)
class Asked:
    """What a pull asks for; a rerun into the same folder must ask the same."""

    source: str
    via: str
    since: str | None
    types: tuple[str, ...]
    group: str | None

    def as_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "via": self.via,
            "since": self.since,
            "types": list(self.types),
            "group": self.group,
        }


def now_text() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def safe_type(name: object) -> str:
    """A resource type usable in a file name ("Resource" when the server's is odd)."""
    return name if isinstance(name, str) and _SAFE_TYPE.fullmatch(name) else "Resource"


def summarise(path: Path) -> tuple[int, str, int]:
    """Bytes, SHA-256 and non-blank lines (resources) of an NDJSON file."""
    digest, size, lines = hashlib.sha256(), 0, 0
    with path.open("rb") as handle:
        for line in handle:
            digest.update(line)
            size += len(line)
            lines += bool(line.strip())
    return size, digest.hexdigest(), lines


class Folder:
    def __init__(self, path: Path, asked: Asked) -> None:
        self.path = path
        self.asked = asked
        self.data: dict[str, Any] = self._load()

    # ---- opening -------------------------------------------------------------------------
    def _load(self) -> dict[str, Any]:
        path = self.path
        if path.exists() and not path.is_dir():
            raise UsageError(f"--out {path}: is a file; give a folder")
        manifest = path / MANIFEST
        if manifest.exists():
            try:
                data = orjson.loads(manifest.read_bytes())
                state = data["referee"]
                ours = state["format"] == FORMAT
            except (OSError, orjson.JSONDecodeError, KeyError, TypeError):
                ours = False
            if not ours:
                raise UsageError(
                    f"--out {path}: holds a {MANIFEST} that is not from referee pull; "
                    "give an empty or new folder"
                )
            if state["asked"] != self.asked.as_json():
                raise UsageError(
                    f"--out {path}: holds a pull of {state['asked']['source']} with other "
                    "options (URL, --since, --type, --group or --via); give a new folder, or "
                    "the same options to continue it"
                )
            return dict(data)
        if path.exists() and any(p for p in path.iterdir() if not p.name.startswith(".")):
            raise UsageError(f"--out {path}: is not empty; give an empty or new folder")
        try:
            path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise UsageError(f"--out {path}: cannot be created: {exc.strerror}") from None
        if not os.access(path, os.W_OK):
            raise UsageError(f"--out {path}: cannot write there; choose a writable place")
        data = {
            "transactionTime": None,
            "request": None,
            "requiresAccessToken": False,
            "output": [],
            "error": [],
            "referee": {
                "format": FORMAT,
                "asked": self.asked.as_json(),
                "started": now_text(),
                "finished": None,
                "complete": False,
                "files": {},
                "bulk": {},
                "search": {},
            },
        }
        self.data = data
        self.save()
        return data

    # ---- state ---------------------------------------------------------------------------
    @property
    def state(self) -> dict[str, Any]:
        state: dict[str, Any] = self.data["referee"]
        return state

    @property
    def complete(self) -> bool:
        return bool(self.state["complete"])

    def save(self) -> None:
        temporary = self.path / f".{MANIFEST}.tmp"
        temporary.write_bytes(orjson.dumps(self.data, option=orjson.OPT_INDENT_2))
        os.replace(temporary, self.path / MANIFEST)

    def recorded(self, name: str) -> bool:
        return name in self.state["files"]

    def record(self, name: str, kind: str, source: str, *, error: bool = False) -> int:
        """Record a completed file (already in place); returns its resource count."""
        size, sha256, count = summarise(self.path / name)
        self.state["files"][name] = {"from": source, "bytes": size, "sha256": sha256}
        entry = {"type": kind, "url": name, "count": count}
        self.data["error" if error else "output"].append(entry)
        self.save()
        return count

    def finish(self) -> None:
        self.state["complete"] = True
        self.state["finished"] = now_text()
        self.save()

    def totals(self) -> tuple[int, int, int]:
        """Files, resources and bytes fetched (export errors aside)."""
        files = self.data["output"]
        size = sum(self.state["files"][f["url"]]["bytes"] for f in files)
        return len(files), sum(f["count"] for f in files), size
