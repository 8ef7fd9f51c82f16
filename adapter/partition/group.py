"""Grouping: facts that share a token are judged in one partition (union-find over the
facts' positions), and the groups are packed into partitions of about equal size.

Memory is a few machine words per fact plus one dict entry per distinct token: the facts
themselves are elsewhere (in memory, or spilled to disk by `adapter.partition.spill`).
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable

from adapter.partition.route import Route


class Grouping:
    """Facts added in input order (their position is the order they were added)."""

    def __init__(self) -> None:
        self._parent = array("q")
        self._holder: dict[int, int] = {}  # token → a fact holding it (strongly)
        self._weak_fact = array("q")
        self._weak_token = array("q")

    def __len__(self) -> int:
        return len(self._parent)

    def add(self, route: Route) -> int:
        """Add one (not shared) fact; returns its position."""
        return self.add_tokens(route.tokens, route.weak)

    def add_tokens(self, tokens: Iterable[int], weak: Iterable[int] = ()) -> int:
        position = len(self._parent)
        self._parent.append(position)
        holder = self._holder
        for t in tokens:
            found = holder.setdefault(t, position)
            if found != position:
                self._union(position, found)
        for t in weak:
            self._weak_fact.append(position)
            self._weak_token.append(t)
        return position

    def _find(self, position: int) -> int:
        parent = self._parent
        while parent[position] != position:
            parent[position] = parent[parent[position]]  # path halving
            position = parent[position]
        return position

    def _union(self, a: int, b: int) -> None:
        a, b = self._find(a), self._find(b)
        if a != b:  # the earlier fact is the root: groups are named by their first fact
            self._parent[max(a, b)] = min(a, b)

    def partitions(self, count: int) -> list[array[int]]:
        """The facts' positions in `count` partitions (fewer when there are fewer groups),
        each ascending. A weak token joins only facts that hold it strongly. Called once:
        no fact can be added after."""
        for position, t in zip(self._weak_fact, self._weak_token, strict=True):
            found = self._holder.get(t)
            if found is not None:
                self._union(position, found)
        # the tokens are no longer needed: free them before the partitions are judged
        self._weak_fact, self._weak_token, self._holder = array("q"), array("q"), {}
        total = len(self._parent)
        roots = array("q", (self._find(p) for p in range(total)))
        sizes = array("q", bytes(8 * total))  # each group's size, at its root
        for root in roots:
            sizes[root] += 1
        target = -(-total // max(1, count))  # the size a partition is filled to
        bucket_of = array("q", bytes(8 * total))  # group root → partition + 1
        parts: list[array[int]] = [array("q")]
        filled = 0
        for position, root in enumerate(roots):
            if root == position:  # a group's first fact: it goes whole where there is room
                if filled >= target:
                    parts.append(array("q"))
                    filled = 0
                bucket_of[root] = len(parts)
                filled += sizes[root]
            parts[bucket_of[root] - 1].append(position)
        return [part for part in parts if part]
