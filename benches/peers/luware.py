"""What both Luware peer scripts start with, as a user would write it once:
a `requests` Session (keep-alive) with the subscription key and a bearer
token, and the search of every conversation, settings from the environment
that `convo sandbox serve` prints."""

import json
import os

import requests

BASE = os.environ["LUWARE_BASE_URL"]


def session():
    s = requests.Session()
    s.headers["Ocp-Apim-Subscription-Key"] = os.environ["LUWARE_SUBSCRIPTION_KEY"]
    token = s.post(f"{BASE}/vfcrest/v1/auth/token", data={
        "eid": os.environ["LUWARE_EID"],
        "client_id": os.environ["LUWARE_CLIENT_ID"],
        "client_secret": os.environ["LUWARE_CLIENT_SECRET"],
    })
    token.raise_for_status()
    s.headers["Authorization"] = f"Bearer {token.json()['access_token']}"
    return s


def pages(s):
    """Every page of the search, following `nextPageToken`."""
    filters = {"filtersList": [{"field": "startTime", "operator": "GREATER_THAN_OR_EQUAL",
                                "values": ["2000-01-01 00:00:00.000"]}]}
    params = {"limit": 100, "filters": json.dumps(filters), "sortBy": "startTime"}
    while True:
        page = s.get(f"{BASE}/vfcrest/v1/conversations", params=params)
        page.raise_for_status()
        body = page.json()
        yield body["conversations"]
        if not body.get("nextPageToken"):
            return
        params = {"nextPageToken": body["nextPageToken"]}
