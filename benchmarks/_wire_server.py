"""A minimal Fleet Freedom server for the network benchmarks, run in a process of its own.

    python benchmarks/_wire_server.py        # prints "ws://127.0.0.1:<port>" and serves until stdin closes

It speaks just enough of the protocol, with no logic between a frame and its answer, so the benchmarks measure
the client and not a server: ``connectionResponse`` on connect; ``getAsset`` -> ``getAssetResponse`` echoing the
asked id (so a client can prove each reply reached its caller); ``benchStream {"count": n}`` (a command only this
server knows; the SDK sends it with ``request(raw=True)``) -> its reply, then ``n`` pre-encoded
``assetGeneralMerged`` frames written in one go. Compression is off.
"""

from __future__ import annotations

import asyncio
import json
import sys

from websockets.asyncio.server import ServerConnection, serve

CONNECTION = (
    'connectionResponse {"errorCode":8,"message":"not logged in","ghostId":"3f0c8a8e-1b7e-4f0e-9d3a-2b1c4d5e6f70",'
    '"serverTime":"2024-01-31T13:45:00.000Z","expiry":"2024-02-01T13:45:00.000Z"}'
)


def merged(i: int) -> str:
    body = {
        "id": 100_000 + i,
        "company": 42,
        "kind": "vehicle",
        "name": f"Truck {i % 1000}",
        "notes": "Night shift",
        "labels": ["north", "reefer"],
        "references": {"fleet": f"F-{i % 97}"},
        "plate": "ABC-1234",
        "year": 2021,
        "v": [i % 500 + 1],
    }
    return "assetGeneralMerged " + json.dumps(body, separators=(",", ":"))


STREAM_BYTES = [merged(i).encode("utf-8") for i in range(1000)]


async def handle(ws: ServerConnection) -> None:
    await ws.send(CONNECTION)
    async for message in ws:
        assert isinstance(message, str)
        name, _, text = message.partition(" ")
        body = json.loads(text)
        req_id = body.get("reqId")
        if name == "getAsset":
            asset = body["asset"]["id"]
            await ws.send(
                f'getAssetResponse {{"reqId":{req_id},"errorCode":0,"message":"ok",'
                f'"asset":{{"id":{asset},"company":42,"name":"Unit {asset}","v":[1,1,1]}}}}'
            )
        elif name == "benchStream":
            await ws.send(f'benchStreamResponse {{"reqId":{req_id},"errorCode":0,"message":"ok"}}')
            # every frame queued at once and written in one go: the server is never what limits the reader
            for i in range(int(body.get("count", 0))):
                ws.protocol.send_text(STREAM_BYTES[i % len(STREAM_BYTES)])
            ws.send_data()
            await ws.drain()
        else:
            await ws.send(f'{name}Response {{"reqId":{req_id},"errorCode":0,"message":"ok"}}')


async def main() -> None:
    async with serve(handle, "127.0.0.1", 0, max_size=None, compression=None) as server:
        port = server.sockets[0].getsockname()[1]
        print(f"ws://127.0.0.1:{port}", flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)  # until the parent closes stdin


if __name__ == "__main__":
    asyncio.run(main())
