#!/usr/bin/env python3
"""What a user would otherwise write: every Salesloft conversation as JSON
lines, with `requests` (one Session, keep-alive), following
`metadata.paging.next_page`, 100 a page."""

import json
import os
import sys

import requests

base = os.environ["SALESLOFT_BASE_URL"]
s = requests.Session()
s.headers["Authorization"] = f"Bearer {os.environ['SALESLOFT_API_KEY']}"
out = sys.stdout
page = 1
while page:
    r = s.get(f"{base}/v2/conversations", params={"per_page": 100, "page": page})
    r.raise_for_status()
    body = r.json()
    for conversation in body["data"]:
        out.write(json.dumps(conversation) + "\n")
    page = body["metadata"]["paging"]["next_page"]
