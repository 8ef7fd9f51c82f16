"""Messages in the service: an ITK3 acknowledgement posted after its letter re-judges the
letter (docs/contract.md §2). Every golden case from real traffic, STU3 XML posted as XML
included, is checked through the service against `referee check` at several instants by
tests/api/test_one_answer.py."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from adapter import engine
from adapter.api.app import create_app
from adapter.api.settings import Settings
from adapter.instants import parse_instant
from adapter.store import Store
from api.conftest import TestClient

ACK = (
    Path(__file__).resolve().parents[2] / "fixtures" / "real" / "34-itk3-business-ack-delivery-time"
)


def test_an_ack_posted_after_its_letter_re_judges_the_letter(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'ack.sqlite'}"
    store = Store(url)
    token = store.create_key("feed", "admin", None)
    auth = {"Authorization": f"Bearer {token}"}
    xml = {**auth, "Content-Type": "application/fhir+xml"}
    with TestClient(create_app(Settings(database_url=url), store=store)) as client:
        for name in ("message.xml", "ack.xml"):
            posted = client.post("/fhir", content=(ACK / name).read_bytes(), headers=xml)
            assert posted.status_code == 200, posted.text
        body = client.get("/obligations", params={"limit": 1000}, headers=auth).json()
    store.close()
    served: list[dict[str, Any]] = [
        {k: v for k, v in o.items() if k != "id"} for o in body["obligations"]
    ]
    checked = engine.check([ACK / "message.xml", ACK / "ack.xml"])
    assert served == [o.to_json() for o in checked.obligations]
    summary = next(o for o in served if o["rule"] == "discharge-summary-24h")
    assert "acknowledged by the practice 20.5 h after discharge" in summary["detail"]
    assert parse_instant(summary["fulfilled_at"]) == parse_instant("2015-02-17T10:00:00Z")
