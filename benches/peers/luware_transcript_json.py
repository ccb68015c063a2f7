#!/usr/bin/env python3
"""What a user would otherwise write: one conversation's transcript (the
first argument, a ccdrId) fetched as a `.vtr` (a ZIP) with `requests`,
unpacked with zipfile and printed as indented JSON."""

import io
import json
import sys
import zipfile

from luware import BASE, session

media = session().get(f"{BASE}/vfcrest/v1/conversations/{sys.argv[1]}/media", params={"fileExtension": "vtr"})
media.raise_for_status()
with zipfile.ZipFile(io.BytesIO(media.content)) as archive:
    name = next(n for n in archive.namelist() if n.lower().endswith((".vtr", ".json")))
    transcript = json.loads(archive.read(name))
sys.stdout.write(json.dumps(transcript, indent=2) + "\n")
