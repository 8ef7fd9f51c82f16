"""The service gives what `referee check` gives on the golden cases from real traffic
(fixtures/real/), including STU3 XML posted as XML and messages whose parties and
acknowledgements come from their MessageHeader (docs/contract.md §1, §2), in either
posting order."""

from __future__ import annotations

from pathlib import Path

import pytest

import api.test_matches_check as matches
from adapter import engine
from adapter.api.app import create_app
from adapter.api.settings import Settings
from adapter.instants import parse_instant
from adapter.policy import load_policy
from adapter.store.service import Store
from api.conftest import TestClient

REAL = Path(__file__).resolve().parents[2] / "fixtures" / "real"
CASES = sorted(
    p
    for p in REAL.glob("3*/")
    if (p / "case.toml").is_file()
    and all(f.suffix in (".json", ".xml", ".toml") for f in p.iterdir())
)
ACK = REAL / "34-itk3-business-ack-delivery-time"


@pytest.mark.parametrize("folder", CASES, ids=lambda p: p.name[:2])
def test_real_case_gives_the_same_obligations_in_the_service(folder: Path, tmp_path: Path) -> None:
    matches.test_the_service_gives_the_obligations_referee_check_gives(folder, tmp_path)


def test_an_ack_posted_after_its_letter_re_judges_the_letter(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'ack.sqlite'}"
    store = Store(url, policy=load_policy())
    token = store.create_key("feed", "admin", None)
    with TestClient(create_app(Settings(database_url=url), store=store)) as client:
        matches.post_file(client, ACK / "message.xml", token)
        matches.post_file(client, ACK / "ack.xml", token)
        served = matches.read_all(client, token)
    store.close()
    checked = engine.check([ACK / "message.xml", ACK / "ack.xml"])
    for ob in served:
        del ob["id"]
    assert served == [o.to_json() for o in checked.obligations]
    summary = next(o for o in served if o["rule"] == "discharge-summary-24h")
    assert "acknowledged by the practice 20.5 h after discharge" in summary["detail"]
    assert parse_instant(summary["fulfilled_at"]) == parse_instant("2015-02-17T10:00:00Z")
