#!/usr/bin/env python3
"""Export benchmark, side by side: `convo <api> … list --all` against what a
user would otherwise write (benches/peers/<api>_export.py, a plain
`requests` script), both writing JSON lines to a file, 100 records a page,
against the same `convo sandbox serve --records N`, alternating turn by turn.
Prints medians of wall time, CPU time (user + system) and peak resident
memory (from wait4's rusage, so no extra tools), and convo's ratio to the
peer. LivePerson has no list to export.

    cargo build --release --features cli
    python3 benches/export.py [--api luware|salesloft|raia|llamadapro|all] [RECORDS ...]

Defaults: every API, 10000 and 100000 records. Results are written down in
BENCHMARKS.md.
"""

import os
import statistics
import sys
import tempfile

from sandbox import CONVO, ROOT, lines, measure, serve as serve_api

ROUNDS = int(os.environ.get("ROUNDS", "5"))
# Each API's export command, its peer, and what its emulator needs besides
# the record count. Salesloft's budget is raised so that deep pages (which
# cost up to 30 a request) measure the clients, not the wait for the next
# minute; pacing under the documented budget is tested in tests/it/pacing.rs.
APIS = {
    "luware": (["luware", "conversations", "list"], []),
    "salesloft": (["salesloft", "conversations", "list", "--page-size", "100"], ["--rate-limit-budget", "1000000000"]),
    "raia": (["raia", "conversations", "list", "--page-size", "100"], []),
    "llamadapro": (["llamadapro", "contacts", "list", "--page-size", "100"], []),
}


def main():
    args = sys.argv[1:]
    apis = list(APIS)
    if args[:1] == ["--api"] and len(args) > 1:
        apis = apis if args[1] == "all" else [args[1]]
        args = args[2:]
    if any(api not in APIS for api in apis):
        raise SystemExit(f"--api: one of all, {', '.join(APIS)}")
    counts = [int(a) for a in args] or [10_000, 100_000]
    if not os.path.exists(CONVO):
        raise SystemExit("build first: cargo build --release --features cli")
    print(f"{ROUNDS} rounds each, alternating; medians")
    print(f"{'api':<11} {'records':>9}  {'tool':<16} {'wall s':>7} {'CPU s':>7} {'peak RSS':>10}")
    with tempfile.TemporaryDirectory() as tmp:
        out_path = os.path.join(tmp, "out.jsonl")
        for api in apis:
            command, serve_flags = APIS[api]
            tools = {
                "convo": [CONVO, *command, "--all", "--output", "jsonl"],
                "python requests": [sys.executable, os.path.join(ROOT, "benches", "peers", f"{api}_export.py")],
            }
            for count in counts:
                server, env = serve_api(api, ["--records", str(count), *serve_flags])
                results = {name: [] for name in tools}
                # Every run must write the same records: N, or for LlamadaPro
                # the N less its archived contacts (every tenth), which its
                # list leaves out.
                expected = count - count // 10 if api == "llamadapro" else count
                for round_ in range(ROUNDS):
                    order = list(tools) if round_ % 2 == 0 else list(reversed(tools))
                    for name in order:
                        results[name].append(measure(tools[name], env, out_path))
                        got = lines(out_path)
                        if got != expected:
                            raise SystemExit(f"{api}: {name} wrote {got} records, not {expected}")
                server.send_signal(2)  # Ctrl-C
                server.wait()
                medians = {name: [statistics.median(r[i] for r in runs) for i in range(3)]
                           for name, runs in results.items()}
                for name, (wall, cpu, rss) in medians.items():
                    print(f"{api:<11} {count:>9}  {name:<16} {wall:>7.2f} {cpu:>7.2f} {rss:>6.1f} MiB")
                convo, peer = medians["convo"], medians["python requests"]
                print(f"{api:<11} {count:>9}  {'ratio':<16} {convo[0] / peer[0]:>7.2f} {convo[1] / peer[1]:>7.2f} "
                      f"{convo[2] / peer[2]:>10.2f}", flush=True)


if __name__ == "__main__":
    main()
