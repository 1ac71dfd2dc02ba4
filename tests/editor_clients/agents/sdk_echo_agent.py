"""A foreign agent: an echo agent written on the official Python SDK's public API."""

import asyncio
import uuid

import acp
from acp import schema


class EchoAgent:
    def on_connect(self, conn) -> None:
        self.conn = conn

    async def initialize(
        self, protocol_version, client_capabilities=None, client_info=None, **kwargs
    ):
        return schema.InitializeResponse(
            protocol_version=1,
            agent_capabilities=schema.AgentCapabilities(),
            agent_info=schema.Implementation(name="sdk-echo", version="1"),
        )

    async def new_session(self, cwd, mcp_servers=None, **kwargs):
        return schema.NewSessionResponse(session_id=uuid.uuid4().hex)

    async def prompt(self, prompt, session_id, **kwargs):
        for block in prompt:
            text = getattr(block, "text", None)
            if text:
                await self.conn.session_update(
                    session_id, acp.update_agent_message(acp.text_block(text))
                )
        return schema.PromptResponse(stop_reason="end_turn")

    async def cancel(self, session_id, **kwargs) -> None:
        return None


if __name__ == "__main__":
    asyncio.run(acp.run_agent(EchoAgent()))
