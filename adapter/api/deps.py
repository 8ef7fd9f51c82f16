"""What a route may be given, typed: the store (`StoreDep`), the settings (`SettingsDep`)
and the evaluation policy (`PolicyDep`), each taken from the app it runs in. Routes ask for
these instead of reaching into `request.app.state`."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from adapter.api.settings import Settings
from adapter.policy import Policy
from adapter.store import Store


def store_of(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


def settings_of(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def policy_of(request: Request) -> Policy:
    policy: Policy = request.app.state.policy
    return policy


StoreDep = Annotated[Store, Depends(store_of)]
SettingsDep = Annotated[Settings, Depends(settings_of)]
PolicyDep = Annotated[Policy, Depends(policy_of)]
