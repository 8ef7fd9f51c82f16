"""`python -m adapter` is `referee`."""

from adapter.cli import entry

entry()
