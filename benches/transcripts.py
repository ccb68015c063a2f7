#!/usr/bin/env python3
"""Bulk transcripts benchmark, side by side: `convo luware transcripts --out
DIR` (8 downloads at a time) against what a user would otherwise write
(benches/peers/luware_transcripts.py, a sequential `requests` loop), both into
an empty directory, against the same `convo sandbox serve --records N
--latency-ms L`, alternating turn by turn. Prints medians of wall time and
the ratio, for each latency given.

    cargo build --release --features cli && python3 benches/transcripts.py [RECORDS] [LATENCY_MS ...]

Defaults: 1000 records (about 500 with audio, so 500 transcripts), latencies 0 and 50.
"""

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

from sandbox import CONVO, ROOT, serve as serve_api

ROUNDS = int(os.environ.get("ROUNDS", "3"))
PEER = os.path.join(ROOT, "benches", "peers", "luware_transcripts.py")


def run(argv, env):
    start = time.monotonic()
    proc = subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    if proc.returncode != 0:
        raise SystemExit(f"{argv[0]} failed: {proc.stderr.decode()}")
    return time.monotonic() - start


def main():
    records = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    latencies = [int(a) for a in sys.argv[2:]] or [0, 50]
    if not os.path.exists(CONVO):
        raise SystemExit("build first: cargo build --release --features cli")
    print(f"{records} conversations, {ROUNDS} rounds each, alternating; medians")
    print(f"{'latency':>8}  {'transcripts':>11}  {'convo s':>8} {'python s':>9} {'ratio':>6}")
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "out")
        for latency in latencies:
            server, env = serve_api("luware", ["--records", str(records), "--latency-ms", str(latency)])
            tools = {
                "convo": [CONVO, "luware", "transcripts", "--out", out],
                "python": [sys.executable, PEER, out],
            }
            times = {name: [] for name in tools}
            count = None
            for round_ in range(ROUNDS):
                for name in (tools if round_ % 2 == 0 else reversed(list(tools))):
                    shutil.rmtree(out, ignore_errors=True)
                    times[name].append(run(tools[name], env))
                    files = len(os.listdir(out))
                    if count is None:
                        count = files
                    elif files != count:
                        raise SystemExit(f"{name} wrote {files} transcripts, not {count}")
            server.send_signal(2)
            server.wait()
            convo, python = statistics.median(times["convo"]), statistics.median(times["python"])
            print(f"{latency:>6}ms  {count:>11}  {convo:>8.2f} {python:>9.2f} {convo / python:>6.2f}")


if __name__ == "__main__":
    main()
