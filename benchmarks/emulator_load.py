"""Load figures of the emulator (issue 17): a simulated fleet's delivery rate and CPU share, memory under a
client that never reads, and the login-throttle rate. Run: ``.venv/bin/python benchmarks/emulator_load.py``.

Each figure runs ``fleetfreedom emulator`` as a subprocess and reads its CPU time and memory from ``/proc`` (Linux),
so the numbers are the server's own, not the measuring client's.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import subprocess
import sys
import time
from pathlib import Path

from websockets.asyncio.client import connect

CLI = [sys.executable, "-c", "from fleetfreedom._cli import main; raise SystemExit(main())", "emulator"]
TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime


def rss_mb(pid: int, key: str = "VmRSS") -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) / 1024
    return 0.0


def start(*args: str) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen([*CLI, *args], stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    url = process.stdout.readline().split()[1]
    return process, url


async def login(url: str, user: str = "demo@acme.example", password: str = "demo-pass-42") -> object:
    ws = await connect(url, max_size=None)
    await ws.recv()
    await ws.send("login " + json.dumps({"reqId": 1, "username": user, "password": password}))
    await ws.recv()
    return ws


async def simulate(count: int, seconds: float) -> None:
    process, url = start("--simulate", str(count))
    try:
        ws = await connect(url, max_size=None)
        await ws.recv()
        await ws.send('login {"reqId":1,"username":"demo@acme.example","password":"demo-pass-42"}')
        await ws.recv()
        await ws.send('subscribe {"reqId":2,"company":{"id":42},"subscriptionTypes":["assetAdvanced"]}')
        await asyncio.sleep(2.0)  # settle: the first reports after start-up
        frames, cpu0, t0 = 0, cpu_seconds(process.pid), time.monotonic()
        while (elapsed := time.monotonic() - t0) < seconds:
            try:
                await asyncio.wait_for(ws.recv(), seconds - elapsed)
                frames += 1
            except TimeoutError:
                break
        wall = time.monotonic() - t0
        cpu = cpu_seconds(process.pid) - cpu0
        print(
            f"--simulate {count} for {wall:.0f} s: {frames / wall:.0f} frames/s delivered to one subscriber, "
            f"emulator CPU {100 * cpu / wall:.0f}% of one core, RSS {rss_mb(process.pid):.0f} MB"
        )
        await ws.close()
    finally:
        process.terminate()
        process.wait(10)


async def never_reads(requests: int) -> None:
    seed = Path(os.environ.get("TMPDIR", "/tmp")) / "emulator-load-seed.json"
    noise = random.Random(3)  # names that do not compress, so permessage-deflate cannot hide the volume
    assets = [
        {"id": 1000 + i, "company": 42, "kind": "vehicle", "name": f"Truck {i} " + noise.randbytes(200).hex()}
        for i in range(400)
    ]
    seed.write_text(
        json.dumps(
            {
                "Company": [{"id": 42, "parent": 42, "name": "Big"}],
                "User": [{"login": "big@example", "password": "big-pass-1", "company": 42, "enabled": True}],
                "Asset": assets,
            }
        )
    )
    process, url = start("--seed", str(seed))
    try:
        before = rss_mb(process.pid)
        # a reader that really stops: never calls recv() (websockets then stops reading after 16 frames) and has a
        # small socket buffer, so the kernel does not absorb the flood for it
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
        host, port = url.split("//")[1].rstrip("/").rsplit(":", 1)
        sock.connect((host, int(port)))
        ws = await connect(url, sock=sock, max_size=None)
        await ws.recv()
        await ws.send('login {"reqId":1,"username":"big@example","password":"big-pass-1"}')
        await ws.recv()
        probe = await login(url, "big@example", "big-pass-1")
        for req_id in range(2, requests + 2):
            await ws.send(f'getAssetsList {{"reqId":{req_id},"company":{{"id":42}}}}')
        peak, stalls = before, []
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            peak = max(peak, rss_mb(process.pid))
            started = time.monotonic()
            await probe.send('noop {"reqId":1}')  # type: ignore[attr-defined]
            await probe.recv()  # type: ignore[attr-defined]
            stalls.append(time.monotonic() - started)
            await asyncio.sleep(0.2)
        print(
            f"{requests} getAssetsList (~190 KB each) never read: emulator RSS {before:.0f} MB before, peak "
            f"{peak:.0f} MB (VmHWM {rss_mb(process.pid, 'VmHWM'):.0f} MB); another client's noop answered in "
            f"{1000 * max(stalls):.0f} ms at worst"
        )
    finally:
        process.terminate()
        process.wait(10)


async def throttle(connections: int, seconds: float) -> None:
    process, url = start()
    try:
        answered = {"throttled": 0, "checked": 0}

        async def guess(index: int) -> None:
            ws = await connect(url)
            await ws.recv()
            deadline = time.monotonic() + seconds
            req = 0
            while time.monotonic() < deadline:
                req += 1
                body = {"reqId": req, "username": "demo@acme.example", "password": f"guess-{index}-{req}"}
                await ws.send("login " + json.dumps(body))
                reply = json.loads((await ws.recv(decode=True)).partition(" ")[2])  # decode: a text frame, typed str
                answered["throttled" if reply["errorCode"] == 105 else "checked"] += 1
            await ws.close()

        await asyncio.gather(*(guess(i) for i in range(connections)))
        print(
            f"login guessing, {connections} connections for {seconds:.0f} s: {answered['checked']} passwords checked "
            f"({answered['checked'] / seconds:.2f}/s), {answered['throttled']} attempts answered commandThrottled"
        )
    finally:
        process.terminate()
        process.wait(10)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--simulate", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--only", choices=["simulate", "memory", "throttle"])
    args = parser.parse_args()
    if args.only in (None, "memory"):
        asyncio.run(never_reads(5000))
    if args.only in (None, "throttle"):
        asyncio.run(throttle(10, 20.0))
    if args.only in (None, "simulate"):
        asyncio.run(simulate(args.simulate, args.seconds))


if __name__ == "__main__":
    main()
