#!/usr/bin/env python3
"""What a user would otherwise write: every Luware conversation as JSON
lines, with `requests` (one Session, keep-alive), token first, then the
search and its `nextPageToken` chain. Settings from the environment that
`convo sandbox serve` prints."""

import json
import os
import sys

import requests

base = os.environ["LUWARE_BASE_URL"]
session = requests.Session()
session.headers["Ocp-Apim-Subscription-Key"] = os.environ["LUWARE_SUBSCRIPTION_KEY"]
token = session.post(f"{base}/vfcrest/v1/auth/token", data={
    "eid": os.environ["LUWARE_EID"],
    "client_id": os.environ["LUWARE_CLIENT_ID"],
    "client_secret": os.environ["LUWARE_CLIENT_SECRET"],
})
token.raise_for_status()
session.headers["Authorization"] = f"Bearer {token.json()['access_token']}"

filters = {"filtersList": [{"field": "startTime", "operator": "GREATER_THAN_OR_EQUAL",
                            "values": ["2000-01-01 00:00:00.000"]}]}
params = {"limit": 100, "filters": json.dumps(filters), "sortBy": "startTime"}
out = sys.stdout
while True:
    page = session.get(f"{base}/vfcrest/v1/conversations", params=params)
    page.raise_for_status()
    body = page.json()
    for conversation in body["conversations"]:
        out.write(json.dumps(conversation) + "\n")
    if not body.get("nextPageToken"):
        break
    params = {"nextPageToken": body["nextPageToken"]}
