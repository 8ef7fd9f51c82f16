"""A small FHIR server for the `referee pull` tests: a real `http.server` on an ephemeral
127.0.0.1 port, in a thread, that serves FHIR search (paged by `_count`, next links), a Bulk
Data export (kick-off, polling with Retry-After and X-Progress, manifest, NDJSON files with
gzip and Range), a SMART Backend Services token endpoint that verifies the client's JWT with
PyJWT, and faults on demand: 429/503 with Retry-After, a connection that dies mid-file, a
file sent slowly (so a client can be killed mid-download). Every request is logged, so the
tests can show what was fetched and how often."""

from __future__ import annotations

import gzip
import hashlib
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
import orjson


@dataclass
class Hit:
    method: str
    path: str
    query: dict[str, list[str]]
    range: str | None
    authorization: str | None
    status: int = 0
    sent: int = 0  # body bytes written before the connection ended
    at: float = field(default_factory=time.monotonic)


@dataclass
class Behaviour:
    bulk: bool = True
    gzip: bool = True
    polls: int = 0  # 202 answers before the manifest
    retry_after: str = "0"
    token: str | None = None  # a static bearer token every FHIR request must carry
    smart_key: Any = None  # a public key: the SMART token endpoint verifies with it
    smart_client: str = "puller"
    token_lifetime: int = 300
    faults: dict[str, list[tuple[int, str | None]]] = field(default_factory=dict)
    die_after: dict[str, int] = field(default_factory=dict)  # file → bytes, first GET only
    slow: dict[str, float] = field(default_factory=dict)  # file → seconds per 8 KiB
    page_size_cap: int = 1000
    next_base: str | None = None  # next links to another server's FHIR base (absolute)


class FhirServer:
    def __init__(
        self,
        files: dict[str, bytes],
        behaviour: Behaviour | None = None,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        self.files = files  # type → NDJSON
        self.behaviour = behaviour or Behaviour()
        self.hits: list[Hit] = []
        self.kicked_off = 0
        self.jobs_deleted = 0
        self.jtis: set[str] = set()
        self.tokens: dict[str, float] = {}  # issued token → expiry
        self.lock = threading.Lock()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.httpd.daemon_threads = True
        if tls is not None:  # https; the handshake happens as each connection is accepted
            self.httpd.socket = tls.wrap_socket(self.httpd.socket, server_side=True)
        scheme = "https" if tls else "http"
        self.base = f"{scheme}://127.0.0.1:{self.httpd.server_address[1]}"
        self.fhir = f"{self.base}/fhir"
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    # ---- what it serves ------------------------------------------------------------------
    def resources(self, kind: str) -> list[bytes]:
        return [line for line in self.files.get(kind, b"").splitlines() if line.strip()]

    def body(self, kind: str, gzipped: bool) -> bytes:
        raw = self.files[kind]
        return gzip.compress(raw, mtime=0) if gzipped else raw

    def fetched(self, path: str) -> list[Hit]:
        return [h for h in self.hits if h.path == path]

    @property
    def token_url(self) -> str:
        return f"{self.base}/auth/token"


@contextmanager
def serving(
    files: dict[str, bytes], behaviour: Behaviour | None = None, tls: ssl.SSLContext | None = None
) -> Iterator[FhirServer]:
    server = FhirServer(files, behaviour, tls)
    server.thread.start()
    try:
        yield server
    finally:
        server.httpd.shutdown()
        server.httpd.server_close()
        server.thread.join(timeout=10)


def _handler(server: FhirServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # no 40 ms delayed-ACK stall per response

        def log_message(self, *args: Any) -> None:  # quiet: the hits are the log
            pass

        def do_GET(self) -> None:
            self._serve("GET")

        def do_POST(self) -> None:
            self._serve("POST")

        def do_DELETE(self) -> None:
            self._serve("DELETE")

        # ---- dispatch ----------------------------------------------------------------------
        def _serve(self, method: str) -> None:
            parts = urlsplit(self.path)
            hit = Hit(
                method,
                parts.path,
                parse_qs(parts.query),
                self.headers.get("Range"),
                self.headers.get("Authorization"),
            )
            with server.lock:
                server.hits.append(hit)
            self.hit = hit
            length = int(self.headers.get("Content-Length") or 0)
            self.sent_body = self.rfile.read(length) if length else b""
            b = server.behaviour
            queued = b.faults.get(parts.path)
            if queued:
                status, after = queued.pop(0)
                self._json(status, _outcome("transient", "try again"), after)
                return
            path = parts.path
            if path == "/auth/token" and method == "POST":
                return self._token()
            if path == "/fhir/.well-known/smart-configuration":
                if b.smart_key is None:
                    return self._json(404, _outcome("not-found", "no SMART"))
                return self._json(200, {"token_endpoint": server.token_url})
            if path == "/fhir/metadata":
                return self._json(200, _capability(b.bulk))
            if not self._authorised():
                return self._json(401, _outcome("login", "no valid token"))
            if path in ("/fhir/$export", "/fhir/Group/G1/$export") and method == "GET":
                return self._kick_off()
            if path == "/jobs/1" and method == "GET":
                return self._status()
            if path == "/jobs/1" and method == "DELETE":
                server.jobs_deleted += 1
                return self._json(202, _outcome("informational", "deleted"))
            if path.startswith("/files/") and path.endswith(".ndjson"):
                return self._file(path.removeprefix("/files/").removesuffix(".ndjson"))
            if path.startswith("/fhir/") and path.count("/") == 2:
                return self._search(path.removeprefix("/fhir/"), hit.query)
            self._json(404, _outcome("not-found", "no such route"))

        def _authorised(self) -> bool:
            b = server.behaviour
            if b.token is None and b.smart_key is None:
                return True
            header = self.headers.get("Authorization", "")
            token = header.removeprefix("Bearer ").strip()
            if b.token is not None and token == b.token:
                return True
            with server.lock:
                expiry = server.tokens.get(token)
            return expiry is not None and time.time() < expiry

        # ---- SMART -------------------------------------------------------------------------
        def _token(self) -> None:
            b = server.behaviour
            form = {k: v[0] for k, v in parse_qs(self.sent_body.decode()).items()}
            if form.get("grant_type") != "client_credentials":
                return self._json(400, {"error": "unsupported_grant_type"})
            try:
                claims = jwt.decode(
                    form.get("client_assertion", ""),
                    b.smart_key,
                    algorithms=["ES384"] if hasattr(b.smart_key, "curve") else ["RS384"],
                    audience=server.token_url,
                    options={"require": ["exp", "iss", "sub", "aud", "jti"]},
                )
            except jwt.PyJWTError as exc:
                return self._json(400, {"error": "invalid_client", "error_description": str(exc)})
            if claims["iss"] != b.smart_client or claims["sub"] != b.smart_client:
                return self._json(400, {"error": "invalid_client"})
            if claims["exp"] > time.time() + 300 or claims["jti"] in server.jtis:
                return self._json(400, {"error": "invalid_grant"})
            with server.lock:
                server.jtis.add(claims["jti"])
                token = f"tok-{len(server.jtis)}"
                server.tokens[token] = time.time() + b.token_lifetime
            self._json(
                200,
                {
                    "access_token": token,
                    "token_type": "bearer",
                    "expires_in": b.token_lifetime,
                    "scope": form.get("scope"),
                },
            )

        # ---- search ------------------------------------------------------------------------
        def _search(self, kind: str, query: dict[str, list[str]]) -> None:
            count = min(int(query.get("_count", ["100"])[0]), server.behaviour.page_size_cap)
            offset = int(query.get("_offset", ["0"])[0])
            rows = server.resources(kind)
            page = rows[offset : offset + count]
            links = [{"relation": "self", "url": f"{server.fhir}{self.path[5:]}"}]
            if offset + count < len(rows):
                # relative on purpose: a client must resolve it against the page's URL
                after = f"{kind}?_count={count}&_offset={offset + count}"
                base = server.behaviour.next_base
                links.append({"relation": "next", "url": f"{base}/{after}" if base else after})
            entries: list[dict[str, Any]] = [
                {"resource": orjson.loads(r), "search": {"mode": "match"}} for r in page
            ]
            if offset == 0:
                outcome = _outcome("informational", "searched")
                entries.append({"resource": outcome, "search": {"mode": "outcome"}})
            bundle = {
                "resourceType": "Bundle",
                "type": "searchset",
                "total": len(rows),
                "link": links,
                "entry": entries,
            }
            self._json(200, bundle)

        # ---- bulk --------------------------------------------------------------------------
        def _kick_off(self) -> None:
            if self.headers.get("Prefer") != "respond-async":
                return self._json(400, _outcome("invalid", "Prefer: respond-async needed"))
            server.kicked_off += 1
            self._json(202, _outcome("informational", "accepted"), None,
                       {"Content-Location": f"{server.base}/jobs/1"})  # fmt: skip

        def _status(self) -> None:
            b = server.behaviour
            polls = len(server.fetched("/jobs/1"))
            if polls <= b.polls:
                headers = {"X-Progress": f"step {polls} of {b.polls + 1}"}
                return self._json(202, None, b.retry_after, headers)
            kick = [h for h in server.hits if h.path.endswith("$export")][-1]
            types = kick.query.get("_type", [",".join(server.files)])[0].split(",")
            output = [
                {
                    "type": t,
                    "url": f"{server.base}/files/{t}.ndjson",
                    "count": len(server.resources(t)),
                }
                for t in types
                if t in server.files
            ]
            manifest = {
                "transactionTime": "2025-04-01T00:00:00Z",
                "request": f"{server.fhir}/$export",
                "requiresAccessToken": bool(b.token or b.smart_key),
                "output": output,
                "error": [],
            }
            self._json(200, manifest)

        def _file(self, kind: str) -> None:
            b = server.behaviour
            if kind not in server.files:
                return self._json(404, _outcome("not-found", kind))
            gzipped = b.gzip and "gzip" in self.headers.get("Accept-Encoding", "")
            data = server.body(kind, gzipped)
            etag = '"' + hashlib.sha256(data).hexdigest()[:16] + '"'
            start, status = 0, 200
            asked = self.headers.get("Range")
            if asked and self.headers.get("If-Range", etag) == etag:
                start = int(asked.removeprefix("bytes=").split("-")[0])
                if start >= len(data):
                    self.send_response(416)
                    self.send_header("Content-Range", f"bytes */{len(data)}")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    self.hit.status = 416
                    return
                status = 206
            body = data[start:]
            self.send_response(status)
            self.send_header("Content-Type", "application/fhir+ndjson")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("ETag", etag)
            self.send_header("Accept-Ranges", "bytes")
            if gzipped:
                self.send_header("Content-Encoding", "gzip")
            if status == 206:
                self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
            self.end_headers()
            self.hit.status = status
            first = len(server.fetched(f"/files/{kind}.ndjson")) == 1
            cut = b.die_after.get(kind) if first else None
            delay = b.slow.get(kind, 0.0)
            for at in range(0, len(body), 8192):
                chunk = body[at : at + 8192]
                if cut is not None and self.hit.sent + len(chunk) > cut:
                    chunk = chunk[: cut - self.hit.sent]
                    self.wfile.write(chunk)
                    self.hit.sent += len(chunk)
                    self.wfile.flush()
                    self.close_connection = True
                    return  # the connection closes short of Content-Length
                try:
                    self.wfile.write(chunk)
                    self.wfile.flush()
                except (BrokenPipeError, ConnectionResetError):
                    return  # the client went away (killed)
                self.hit.sent += len(chunk)
                if delay:
                    time.sleep(delay)

        # ---- answers -----------------------------------------------------------------------
        def _json(
            self,
            status: int,
            body: Any,
            retry_after: str | None = None,
            headers: dict[str, str] | None = None,
        ) -> None:
            data = orjson.dumps(body) if body is not None else b""
            self.send_response(status)
            self.send_header("Content-Type", "application/fhir+json")
            self.send_header("Content-Length", str(len(data)))
            if retry_after is not None:
                self.send_header("Retry-After", retry_after)
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)
            self.hit.status = status

    return Handler


def _outcome(code: str, text: str) -> dict[str, Any]:
    severity = "information" if code == "informational" else "error"
    return {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": severity, "code": code, "diagnostics": text}],
    }


def _capability(bulk: bool) -> dict[str, Any]:
    operations = [
        {
            "name": "export",
            "definition": "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/export",
        }
    ]
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "kind": "instance",
        "fhirVersion": "4.0.1",
        "format": ["json"],
        "rest": [{"mode": "server", "operation": operations if bulk else []}],
    }
