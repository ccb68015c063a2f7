#!/usr/bin/env python3
"""Large transcript benchmark, side by side: `convo luware transcript ID
--output json` against what a user would otherwise write
(benches/peers/luware_transcript_json.py: requests, zipfile and json), both
fetching one `.vtr` from the same `convo sandbox serve
--transcript-utterances N` and writing indented JSON to a file, alternating
turn by turn. Prints medians of wall time, CPU time and peak resident memory,
convo's ratio to the peer, and each tool's peak memory as a multiple of the
transcript JSON's size (the goal for convo: at most 2.5).

    cargo build --release --features cli && python3 benches/transcript_decode.py [UTTERANCES]

Default: 50000 utterances, a transcript of about 50 MB of JSON (5 MB zipped).
The emulator keeps the last transcript it built, so after a first warming
request both tools measure the download and the decoding, not its building.
"""

import io
import os
import statistics
import subprocess
import sys
import tempfile
import zipfile

from sandbox import CONVO, ROOT, measure, serve as serve_api

ROUNDS = int(os.environ.get("ROUNDS", "5"))
PEER = os.path.join(ROOT, "benches", "peers", "luware_transcript_json.py")


def main():
    utterances = int(sys.argv[1]) if len(sys.argv) > 1 else 50_000
    if not os.path.exists(CONVO):
        raise SystemExit("build first: cargo build --release --features cli")
    server, env = serve_api("luware", ["--records", "20", "--transcript-utterances", str(utterances)])
    ccdr_id = env["LUWARE_CCDR_ID"]
    raw = subprocess.run([CONVO, "luware", "transcript", ccdr_id, "--raw"], env=env, capture_output=True, check=True)
    with zipfile.ZipFile(io.BytesIO(raw.stdout)) as archive:
        json_mib = sum(info.file_size for info in archive.infolist()) / (1 << 20)
    print(f"transcript: {len(raw.stdout) / (1 << 20):.1f} MiB zipped, {json_mib:.1f} MiB of JSON; "
          f"{ROUNDS} rounds each, alternating; medians")
    tools = {
        "convo": [CONVO, "luware", "transcript", ccdr_id, "--output", "json"],
        "python requests": [sys.executable, PEER, ccdr_id],
    }
    results = {name: [] for name in tools}
    with tempfile.TemporaryDirectory() as tmp:
        out_path = os.path.join(tmp, "out.json")
        for round_ in range(ROUNDS):
            for name in (tools if round_ % 2 == 0 else reversed(list(tools))):
                results[name].append(measure(tools[name], env, out_path))
    server.send_signal(2)  # Ctrl-C
    server.wait()
    print(f"{'tool':<16} {'wall s':>7} {'CPU s':>7} {'peak RSS':>10} {'RSS/JSON':>9}")
    medians = {name: [statistics.median(r[i] for r in runs) for i in range(3)] for name, runs in results.items()}
    for name, (wall, cpu, rss) in medians.items():
        print(f"{name:<16} {wall:>7.2f} {cpu:>7.2f} {rss:>6.1f} MiB {rss / json_mib:>9.2f}")
    convo, peer = medians["convo"], medians["python requests"]
    print(f"{'ratio':<16} {convo[0] / peer[0]:>7.2f} {convo[1] / peer[1]:>7.2f} {convo[2] / peer[2]:>10.2f}")


if __name__ == "__main__":
    main()
