"""Each licence family's openness rank, from policy/licences.yaml (`rank`: higher is looser, equal
ranks are equally open).

Read by the extractors (extract/licence_catalog.py) and by the database views (store/views.py):
here, so that the views need not import extract/, which costs every command that opens a
database about 0.8 s.
"""

from __future__ import annotations

from . import load

OPENNESS_RANK: dict[str, int] = {f["id"]: f["rank"] for f in load("licences")["families"]}
