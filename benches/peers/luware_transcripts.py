#!/usr/bin/env python3
"""What a user would otherwise write: the transcript (.vtr) of every
conversation a search finds, into a directory (the first argument), one
download after another, with `requests` (one Session, keep-alive).
Conversations without Speech Analytics output (404) are skipped."""

import os
import sys

from luware import BASE, pages, session

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
s = session()
ids = [c["ccdrId"] for conversations in pages(s) for c in conversations]
for ccdr_id in ids:
    media = s.get(f"{BASE}/vfcrest/v1/conversations/{ccdr_id}/media", params={"fileExtension": "vtr"})
    if media.status_code == 404:
        continue
    media.raise_for_status()
    with open(os.path.join(out, f"{ccdr_id}.vtr"), "wb") as f:
        f.write(media.content)
