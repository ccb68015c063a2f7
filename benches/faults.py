#!/usr/bin/env python3
"""Exports through a bad network: every API's `--all` list, through the fault
proxy (`examples/fault_proxy.rs`) at a given fault rate, compared record by
record with the same export made without faults.

Each run exports with `--checkpoint`; if an export still stops (every retry
of one request failed), the same command is run again and continues from the
checkpoint. A run counts as complete when the export ends with exit 0; lost
and duplicated records are counted against the clean export.

    cargo build --release --features cli --bin convo --example fault_proxy
    python3 benches/faults.py [RATE] [RUNS]        # defaults: 0.1, 5

Results are written down in BENCHMARKS.md.
"""

import json
import os
import subprocess
import sys
import tempfile
import time

from sandbox import CONVO, ROOT, serve

PROXY = os.path.join(ROOT, "target", "release", "examples", "fault_proxy")

# (api, serve flags, base URL variable, export command, record id field)
LISTS = [
    ("luware", ["--records", "100000"], "LUWARE_BASE_URL",
     ["luware", "conversations", "list", "--all"], "ccdrId"),
    ("salesloft", ["--records", "2000"], "SALESLOFT_BASE_URL",
     ["salesloft", "conversations", "list", "--all", "--page-size", "100"], "id"),
    ("raia", [], "RAIA_BASE_URL",
     ["raia", "conversations", "list", "--all", "--page-size", "2"], "id"),
    ("llamadapro", [], "LLAMADAPRO_BASE_URL",
     ["llamadapro", "contacts", "list", "--all", "--page-size", "2"], "id"),
]


def start_proxy(upstream, rate, seed):
    proc = subprocess.Popen([PROXY, upstream, str(rate), str(seed)],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    line = proc.stdout.readline().split()
    assert line[0] == "proxy", line
    return proc, line[1]


def stop_proxy(proc):
    out, _ = proc.communicate()
    words = out.split()
    return int(words[words.index("faults") + 1])


def export(command, env, out, checkpoint=None):
    args = [CONVO, *command, "--output", "jsonl"]
    if checkpoint:
        args += ["--checkpoint", checkpoint]
    with open(out, "ab") as sink:
        return subprocess.run(args, stdout=sink, stderr=subprocess.PIPE, env=env).returncode


def ids(path, field):
    with open(path) as f:
        return [json.loads(line)[field] for line in f if line.strip()]


def main():
    rate = float(sys.argv[1]) if len(sys.argv) > 1 else 0.1
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    for binary in (CONVO, PROXY):
        if not os.path.exists(binary):
            raise SystemExit("build first: cargo build --release --features cli --bin convo --example fault_proxy")
    print(f"fault rate {rate:.0%}, {runs} runs per list")
    print(f"| list | records | runs | completed | resumed | lost | duplicated | faults injected (retried) | wall, median |")
    print("|---|---|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for api, flags, var, command, field in LISTS:
            server, env = serve(api, flags)
            clean = os.path.join(tmp, f"{api}.clean")
            if export(command, env, clean) != 0:
                raise SystemExit(f"{api}: the clean export failed")
            expected = ids(clean, field)
            completed = resumed = lost = duplicated = faults = 0
            walls = []
            for run in range(runs):
                proxy, url = start_proxy(env[var], rate, run + 1)
                faulty = dict(env, **{var: url})
                out = os.path.join(tmp, f"{api}.{run}")
                checkpoint = os.path.join(tmp, f"{api}.{run}.checkpoint")
                start = time.monotonic()
                status = export(command, faulty, out, checkpoint)
                attempts = 1
                while status != 0 and attempts < 5:
                    resumed += 1
                    attempts += 1
                    status = export(command, faulty, out, checkpoint)
                walls.append(time.monotonic() - start)
                faults += stop_proxy(proxy)
                got = ids(out, field)
                completed += status == 0
                lost += len(set(expected) - set(got))
                duplicated += len(got) - len(set(got))
            server.send_signal(2)
            server.wait()
            walls.sort()
            print(f"| {api} | {len(expected)} | {runs} | {completed} | {resumed} | {lost} | {duplicated} "
                  f"| {faults} | {walls[len(walls) // 2]:.1f} s |")


if __name__ == "__main__":
    main()
