"""The patient-partitioned engine (docs/architecture.md "Partitions").

Every obligation lies within one patient's story plus shared context. So facts are routed
by their tokens (`route`: references, keys, identifiers, messages, patient labels), facts
that share a token are grouped (`Grouping`), shared context (organisations, practitioners,
roles, services, locations, medications) goes to every partition, each partition is linked
and judged on its own (`judge_partition`), and the answers merge into exactly the answer of
one partition (`merge`). `Partitioner` runs it in one process, spilling to disk when the
input is large; `adapter.partition.jobs` runs it in N processes.

The public API (used by the Spark engine, /work/coord/partition-api.md): `route`, `Route`,
`token`, `is_shared`, `SHARED_TYPES`, `Grouping`, `judge_partition`, `Judged`, `merge`.
"""

from adapter.partition.group import Grouping
from adapter.partition.judge import Judged, Placed, Seq, judge_partition, merge
from adapter.partition.local import Partitioner
from adapter.partition.route import SHARED_TYPES, Route, is_shared, route, token

__all__ = [
    "SHARED_TYPES",
    "Grouping",
    "Judged",
    "Partitioner",
    "Placed",
    "Route",
    "Seq",
    "is_shared",
    "judge_partition",
    "merge",
    "route",
    "token",
]
