"""Ingest: bytes, files, folders and stdin → one item per resource, never dropped.

    read_paths(paths)  → Received | Refused | Unreadable, in input order
    read_ndjson(handle, label) → the same, from an open NDJSON stream (the service's loads)
    unpack(obj, where) → the resources of a parsed JSON value (Bundles opened recursively)

`Received` is a resource to translate; `Refused` is an entry that is not a resource at all
(counted as received and rejected); `Unreadable` is a whole file that could not be read
(it counts nothing, rules.md §1).
"""

from adapter.ingest.items import Item, Limits, Received, Refused, Unreadable
from adapter.ingest.sources import read_bytes, read_ndjson, read_paths
from adapter.ingest.unpack import resource_key, unpack

__all__ = [
    "Item",
    "Limits",
    "Received",
    "Refused",
    "Unreadable",
    "read_bytes",
    "read_ndjson",
    "read_paths",
    "resource_key",
    "unpack",
]
