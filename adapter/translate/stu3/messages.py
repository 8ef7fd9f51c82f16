"""MessageHeader (STU3) → R4: http://hl7.org/fhir/STU3/messageheader.html.

`event` (Coding) → `eventCoding`; `receiver` → `destination[0].receiver` (R4 moved it);
`timestamp` (R4 dropped it; the R4 message time is the Bundle's `timestamp`) is kept for
the message translator, which reads it as the time the message was sent.
"""

from __future__ import annotations

from adapter.translate.stu3.common import JSON, Renames, move


def message_header(resource: JSON) -> tuple[JSON, Renames]:
    out = dict(resource)
    renames: Renames = {}
    move(out, renames, "event", "eventCoding")
    receiver = out.get("receiver")
    if isinstance(receiver, dict):
        destinations = out.get("destination")
        first = dict(destinations[0]) if isinstance(destinations, list) and destinations else {}
        if "receiver" not in first:
            first["receiver"] = out.pop("receiver")
            rest = destinations[1:] if isinstance(destinations, list) else []
            out["destination"] = [first, *rest]
            renames["destination[0].receiver"] = "receiver"
    return out, renames
