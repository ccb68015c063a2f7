#!/usr/bin/env python3
"""Rebuild time after a spec edit, what a spec maintainer waits for between
editing `specs/<api>.yaml` and trying the change: `cargo build
--all-features` (the library with every API, the sandbox and the `convo`
CLI, dev profile) after an edit of one spec (Luware's), then after an edit
of all five, alternating, each from an up-to-date build. The edit changes an
operation's summary, which reaches the generated client's docs, the CLI's
help and the sandbox's copy of the spec. Every spec is restored at the end.

    python3 benches/rebuild.py [ROUNDS]

Default: 3 rounds. Run it with nothing else building: it measures this
machine's cores.
"""

import os
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
APIS = ["luware", "raia", "salesloft", "liveperson", "llamadapro"]
BUILD = ["cargo", "build", "--all-features", "--quiet"]


def build():
    start = time.monotonic()
    subprocess.run(BUILD, cwd=ROOT, check=True)
    return time.monotonic() - start


def main():
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    paths = {api: os.path.join(ROOT, "specs", f"{api}.yaml") for api in APIS}
    originals = {api: open(path, encoding="utf-8").read() for api, path in paths.items()}
    scenarios = {"one spec (luware)": ["luware"], "all five specs": APIS}
    times = {name: [] for name in scenarios}
    try:
        build()  # up to date before the first edit
        for round_ in range(rounds):
            order = list(scenarios) if round_ % 2 == 0 else list(reversed(scenarios))
            for name in order:
                for api in scenarios[name]:
                    text = originals[api].replace("    summary: ", f"    summary: (edit {round_}) ", 1)
                    open(paths[api], "w", encoding="utf-8").write(text)
                times[name].append(build())
                for api in scenarios[name]:
                    open(paths[api], "w", encoding="utf-8").write(originals[api])
                build()  # back to the committed specs, untimed
    finally:
        for api, path in paths.items():
            open(path, "w", encoding="utf-8").write(originals[api])
    print(f"`{' '.join(BUILD)}` after a spec edit, {rounds} rounds, alternating; medians")
    for name, samples in times.items():
        print(f"{name:<20} {statistics.median(samples):>7.1f} s  (samples: {', '.join(f'{s:.1f}' for s in samples)})")


if __name__ == "__main__":
    main()
