#!/usr/bin/env python3
"""Export benchmark, side by side: `convo luware conversations list --all`
against what a user would otherwise write (benches/peers/luware_export.py, a
plain `requests` script), both writing JSON lines to a file, against the same
`convo sandbox serve --records N`, alternating turn by turn. Prints medians of
wall time, CPU time (user + system) and peak resident memory (from wait4's
rusage, so no extra tools), and convo's ratio to the peer.

    cargo build --release --features cli && python3 benches/export.py 10000 100000

Results are written down in BENCHMARKS.md.
"""

import os
import statistics
import subprocess
import sys
import tempfile
import time

from sandbox import CONVO, ROOT, serve as serve_api

ROUNDS = int(os.environ.get("ROUNDS", "5"))
PEER = os.path.join(ROOT, "benches", "peers", "luware_export.py")


def run(argv, env, out_path):
    """Wall seconds, CPU seconds and peak RSS (MiB) of one run; its output
    goes to `out_path`, whose line count is checked by the caller."""
    with open(out_path, "wb") as out:
        start = time.monotonic()
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.PIPE, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.monotonic() - start
    if status != 0:
        raise SystemExit(f"{argv[0]} failed: {proc.stderr.read().decode()}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def lines(path):
    with open(path, "rb") as f:
        return sum(chunk.count(b"\n") for chunk in iter(lambda: f.read(1 << 20), b""))


def main():
    counts = [int(a) for a in sys.argv[1:]] or [10_000, 100_000]
    if not os.path.exists(CONVO):
        raise SystemExit("build first: cargo build --release --features cli")
    tools = {
        "convo": [CONVO, "luware", "conversations", "list", "--all", "--output", "jsonl"],
        "python requests": [sys.executable, PEER],
    }
    print(f"{ROUNDS} rounds each, alternating; medians")
    print(f"{'records':>9}  {'tool':<16} {'wall s':>7} {'CPU s':>7} {'peak RSS':>10}")
    with tempfile.TemporaryDirectory() as tmp:
        out_path = os.path.join(tmp, "out.jsonl")
        for count in counts:
            server, env = serve_api("luware", ["--records", str(count)])
            results = {name: [] for name in tools}
            for round_ in range(ROUNDS):
                order = list(tools) if round_ % 2 == 0 else list(reversed(tools))
                for name in order:
                    results[name].append(run(tools[name], env, out_path))
                    got = lines(out_path)
                    if got != count:
                        raise SystemExit(f"{name} wrote {got} records, not {count}")
            server.send_signal(2)  # Ctrl-C
            server.wait()
            medians = {name: [statistics.median(r[i] for r in runs) for i in range(3)]
                       for name, runs in results.items()}
            for name, (wall, cpu, rss) in medians.items():
                print(f"{count:>9}  {name:<16} {wall:>7.2f} {cpu:>7.2f} {rss:>6.1f} MiB")
            convo, peer = medians["convo"], medians["python requests"]
            print(f"{count:>9}  {'ratio':<16} {convo[0] / peer[0]:>7.2f} {convo[1] / peer[1]:>7.2f} "
                  f"{convo[2] / peer[2]:>10.2f}")


if __name__ == "__main__":
    main()
