"""What the benchmark scripts share: the release `convo` binary and a
`convo sandbox serve` child with the settings it printed."""

import os
import subprocess

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
