#!/usr/bin/env python3
"""What a user would otherwise write: every Luware conversation as JSON
lines, with `requests` (one Session, keep-alive), token first, then the
search and its `nextPageToken` chain."""

import json
import sys

from luware import pages, session

out = sys.stdout
for conversations in pages(session()):
    for conversation in conversations:
        out.write(json.dumps(conversation) + "\n")
