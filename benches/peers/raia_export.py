#!/usr/bin/env python3
"""What a user would otherwise write: every raia agent conversation as JSON
lines, with `requests` (one Session, keep-alive), page after page of 100
until `hasNextPage` is false."""

import json
import os
import sys

import requests

base = os.environ["RAIA_BASE_URL"]
s = requests.Session()
s.headers["Agent-Secret-Key"] = os.environ["RAIA_AGENT_SECRET_KEY"]
out = sys.stdout
page = 1
while True:
    r = s.get(f"{base}/external/conversations", params={"page": page, "pageSize": 100})
    r.raise_for_status()
    body = r.json()
    for conversation in body["data"]:
        out.write(json.dumps(conversation) + "\n")
    if not body["hasNextPage"]:
        break
    page += 1
