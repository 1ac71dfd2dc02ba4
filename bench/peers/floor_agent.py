"""The floor: a minimal hand-written asyncio NDJSON agent (stdlib only).

It answers initialize and session/new, streams `stream N SIZE` prompts as
agent_message_chunk notifications, waits on `wait S` (cancellable by
session/cancel), and echoes anything else. Nothing a real agent could skip.
"""

import asyncio
import json
import sys
import uuid


async def main() -> None:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=1 << 30)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    transport, protocol = await loop.connect_write_pipe(
        asyncio.streams.FlowControlMixin, sys.stdout
    )
    writer = asyncio.StreamWriter(transport, protocol, None, loop)
    waits: dict[str, asyncio.Event] = {}

    def send(obj: object) -> None:
        writer.write(json.dumps(obj, separators=(",", ":")).encode() + b"\n")

    async def prompt(msg: dict) -> None:
        params = msg["params"]
        sid = params["sessionId"]
        text = "".join(b.get("text", "") for b in params["prompt"])
        words = text.split()
        stop = "end_turn"
        if words[:1] == ["stream"]:
            count, size = int(words[1]), int(words[2])
            filler = "x" * max(0, size - 8)
            for i in range(count):
                send(
                    {
                        "jsonrpc": "2.0",
                        "method": "session/update",
                        "params": {
                            "sessionId": sid,
                            "update": {
                                "sessionUpdate": "agent_message_chunk",
                                "content": {"type": "text", "text": f"{i:07d}:{filler}"[:size]},
                            },
                        },
                    }
                )
                if i % 64 == 0:
                    await writer.drain()
        elif words[:1] == ["wait"]:
            event = waits.setdefault(sid, asyncio.Event())
            event.clear()
            try:
                await asyncio.wait_for(event.wait(), float(words[1]))
                stop = "cancelled"
            except TimeoutError:
                pass
        send({"jsonrpc": "2.0", "id": msg["id"], "result": {"stopReason": stop}})
        await writer.drain()

    tasks = set()
    while line := await reader.readline():
        msg = json.loads(line)
        method = msg.get("method")
        if method == "initialize":
            send(
                {
                    "jsonrpc": "2.0",
                    "id": msg["id"],
                    "result": {
                        "protocolVersion": 1,
                        "agentCapabilities": {},
                        "agentInfo": {"name": "floor", "version": "0"},
                    },
                }
            )
        elif method == "session/new":
            send({"jsonrpc": "2.0", "id": msg["id"], "result": {"sessionId": uuid.uuid4().hex}})
        elif method == "session/prompt":
            task = asyncio.create_task(prompt(msg))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        elif method == "session/cancel":
            if event := waits.get(msg["params"]["sessionId"]):
                event.set()
        elif "id" in msg:
            send({"jsonrpc": "2.0", "id": msg["id"], "result": {}})
        await writer.drain()


asyncio.run(main())
