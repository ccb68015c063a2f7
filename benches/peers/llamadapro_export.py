#!/usr/bin/env python3
"""What a user would otherwise write: every LlamadaPro contact as JSON lines,
with `requests` (one Session, keep-alive), 100 a page, following
`nextPageToken`."""

import json
import os
import sys

import requests

base = os.environ["LLAMADAPRO_BASE_URL"]
s = requests.Session()
s.headers["X-API-KEY"] = os.environ["LLAMADAPRO_API_KEY"]
out = sys.stdout
params = {"pageSize": 100}
while True:
    r = s.get(f"{base}/api/v1/contacts", params=params)
    r.raise_for_status()
    body = r.json()
    for contact in body["items"]:
        out.write(json.dumps(contact) + "\n")
    if not body.get("nextPageToken"):
        break
    params = {"pageSize": 100, "pageToken": body["nextPageToken"]}
