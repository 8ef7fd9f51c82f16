"""Rule parameters, phrase lists and code mappings: national defaults from `mappings/`,
overridden by a local policy file (`--policy FILE`, TOML)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Policy:
    name: str = "national defaults"
    params: dict[str, dict[str, Any]] = field(default_factory=dict)
    overrides: dict[str, Any] = field(default_factory=dict)
