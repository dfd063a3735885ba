"""Run an example against a freshly started local emulator: ``python examples/with_emulator.py EXAMPLE.py ...``.

Starts ``fleetfreedom emulator`` on a free port, reads the URL and demo login it prints, runs each example with
FLEETFREEDOM_URL / _USERNAME / _PASSWORD set, and stops the emulator. Exits with the first failing example's code.
"""

from __future__ import annotations

import os
import subprocess
import sys

START_TIMEOUT = 30.0


def start_emulator() -> tuple[subprocess.Popen[str], dict[str, str]]:
    emulator = subprocess.Popen(
        [sys.executable, "-c", "import sys; from fleetfreedom._cli import main; sys.exit(main(['emulator']))"],
        stdout=subprocess.PIPE,
        text=True,
    )
    env: dict[str, str] = {}
    assert emulator.stdout is not None
    for line in emulator.stdout:  # "url: ws://127.0.0.1:PORT/" then "login: LOGIN password: PASSWORD"
        key, _, value = line.strip().partition(": ")
        if key == "url":
            env["FLEETFREEDOM_URL"] = value
        elif key == "login":
            login, _, password = value.partition(" password: ")
            env["FLEETFREEDOM_USERNAME"], env["FLEETFREEDOM_PASSWORD"] = login, password
            break
    if "FLEETFREEDOM_URL" not in env:
        emulator.kill()
        raise SystemExit("the emulator did not start (no url line)")
    return emulator, env


def main(examples: list[str]) -> int:
    emulator, env = start_emulator()
    print(f"emulator at {env['FLEETFREEDOM_URL']}", flush=True)
    try:
        for example in examples:
            print(f"\n$ python {example}", flush=True)
            result = subprocess.run([sys.executable, example], env={**os.environ, **env}, timeout=120)
            if result.returncode:
                return result.returncode
        return 0
    finally:
        emulator.terminate()
        try:
            emulator.wait(timeout=10)
        except subprocess.TimeoutExpired:
            emulator.kill()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:] or ["examples/quickstart.py"]))
