"""What the benchmark scripts share: the release `convo` binary and a
`convo sandbox serve` child with the settings it printed."""

import os
import subprocess
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CONVO = os.path.join(ROOT, "target", "release", "convo")


def serve(api, flags):
    """Starts `convo sandbox serve --api API FLAGS…`; returns the process and
    the environment with the API's settings it printed."""
    proc = subprocess.Popen(
        [CONVO, "sandbox", "serve", "--api", api, "--port", "0", *flags],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )
    env = dict(os.environ)
    for line in proc.stdout:
        line = line.strip()
        if line.startswith("export "):
            key, _, value = line[len("export "):].partition("=")
            env[key] = value.strip("'")
        if line.startswith("# serving"):
            return proc, env
    raise SystemExit(f"{api}: sandbox did not start")


def measure(argv, env, out_path):
    """Wall seconds, CPU seconds and peak RSS (MiB) of one run of `argv`,
    its standard output written to `out_path`."""
    with open(out_path, "wb") as out:
        start = time.monotonic()
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.PIPE, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.monotonic() - start
    if status != 0:
        raise SystemExit(f"{argv[0]} failed: {proc.stderr.read().decode()}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def lines(path):
    """Newlines in the file at `path`."""
    with open(path, "rb") as f:
        return sum(chunk.count(b"\n") for chunk in iter(lambda: f.read(1 << 20), b""))
