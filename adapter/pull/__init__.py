"""`referee pull`: fetch FHIR traffic from a server into a folder that `referee check` reads.

session.py   the one HTTP session: timeouts, retries on 429/5xx honouring Retry-After,
             bearer tokens, SMART Backend Services, mutual TLS
smart.py     SMART Backend Services: a signed JWT client assertion → an access token
folder.py    the output folder and its manifest.json (what was fetched; the state a
             rerun continues from)
download.py  one file, resumable (Range), gzip decoded on completion
search.py    FHIR search, following `next` links page by page
bulk.py      Bulk Data `$export`: kick-off, poll, download
run.py       the whole pull from its options
"""

from adapter.pull.run import PullOptions, pull

__all__ = ["PullOptions", "pull"]
