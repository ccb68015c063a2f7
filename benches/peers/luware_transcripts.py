#!/usr/bin/env python3
"""What a user would otherwise write: the transcript (.vtr) of every
conversation a search finds, into a directory, one download after another,
with `requests` (one Session, keep-alive). Conversations without Speech
Analytics output (404) are skipped. Settings from the environment that
`convo sandbox serve` prints; the directory is the first argument."""

import json
import os
import sys

import requests

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
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
ids = []
while True:
    page = session.get(f"{base}/vfcrest/v1/conversations", params=params)
    page.raise_for_status()
    body = page.json()
    ids.extend(c["ccdrId"] for c in body["conversations"])
    if not body.get("nextPageToken"):
        break
    params = {"nextPageToken": body["nextPageToken"]}

for ccdr_id in ids:
    media = session.get(f"{base}/vfcrest/v1/conversations/{ccdr_id}/media", params={"fileExtension": "vtr"})
    if media.status_code == 404:
        continue
    media.raise_for_status()
    with open(os.path.join(out, f"{ccdr_id}.vtr"), "wb") as f:
        f.write(media.content)
