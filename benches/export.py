#!/usr/bin/env python3
"""Export benchmark: `convo luware conversations list --all` to /dev/null.

Starts `convo sandbox serve` with N conversations, runs the export against it
as a separate process, and reports wall time, records per second and the peak
resident memory of both processes (from wait4's rusage, so no extra tools).

    cargo build --release --features cli && python3 benches/export.py 10000 100000

Results are written down in BENCHMARKS.md.
"""

import os
import subprocess
import sys
import time

from sandbox import CONVO, serve as serve_api


def serve(count):
    return serve_api("luware", ["--records", str(count)])


def run_export(env, limit):
    start = time.monotonic()
    proc = subprocess.Popen(
        [CONVO, "luware", "conversations", "list", "--all", "--limit", str(limit), "--output", "jsonl"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env,
    )
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.monotonic() - start
    if status != 0:
        raise SystemExit(f"export failed: {proc.stderr.read().decode()}")
    return elapsed, usage.ru_maxrss  # KiB on Linux


def main():
    counts = [int(a) for a in sys.argv[1:]] or [10_000, 100_000]
    if not os.path.exists(CONVO):
        raise SystemExit("build first: cargo build --release --features cli")
    print(f"{'records':>9} {'seconds':>8} {'records/s':>10} {'client peak RSS':>16} {'server peak RSS':>16}")
    for count in counts:
        server, env = serve(count)
        elapsed, client_rss = run_export(env, 100)
        server.send_signal(2)  # Ctrl-C
        _, _, server_usage = os.wait4(server.pid, 0)
        print(f"{count:>9} {elapsed:>8.2f} {count / elapsed:>10.0f} {client_rss / 1024:>13.1f} MiB "
              f"{server_usage.ru_maxrss / 1024:>13.1f} MiB")


if __name__ == "__main__":
    main()
