"""The official Python SDK (`agent-client-protocol`, module `acp`) as a minimal
agent on its public API: initialize, session/new, and prompts that stream
`stream N SIZE` chunks or `wait S` (cancellable)."""

import asyncio
import uuid

import acp
from acp import schema


class Agent:
    def __init__(self) -> None:
        self.conn = None
        self.waits: dict[str, asyncio.Event] = {}

    def on_connect(self, conn) -> None:
        self.conn = conn

    async def initialize(
        self, protocol_version, client_capabilities=None, client_info=None, **kwargs
    ):
        return schema.InitializeResponse(
            protocol_version=1, agent_capabilities=schema.AgentCapabilities()
        )

    async def new_session(self, cwd, mcp_servers=None, **kwargs):
        return schema.NewSessionResponse(session_id=uuid.uuid4().hex)

    async def prompt(self, prompt, session_id, **kwargs):
        text = "".join(getattr(b, "text", "") for b in prompt)
        words = text.split()
        if words[:1] == ["stream"]:
            count, size = int(words[1]), int(words[2])
            filler = "x" * max(0, size - 8)
            for i in range(count):
                await self.conn.session_update(
                    session_id, acp.update_agent_message(acp.text_block(f"{i:07d}:{filler}"[:size]))
                )
        elif words[:1] == ["wait"]:
            event = self.waits.setdefault(session_id, asyncio.Event())
            event.clear()
            try:
                await asyncio.wait_for(event.wait(), float(words[1]))
                return schema.PromptResponse(stop_reason="cancelled")
            except TimeoutError:
                pass
        return schema.PromptResponse(stop_reason="end_turn")

    async def cancel(self, session_id, **kwargs) -> None:
        if event := self.waits.get(session_id):
            event.set()


if __name__ == "__main__":
    asyncio.run(acp.run_agent(Agent()))
