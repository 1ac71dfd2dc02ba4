"""A client-provided `systemPrompt` on new, load, resume and fork (unstable
schema, flag `session_system_prompt`).

Contract: `appended_text(value, enabled)` is None when no system prompt was
given (omitted or `null`), else the text to append to the agent's own system
prompt, after its instructions and AGENTS.md. Only `append` mode with text
blocks is supported, as advertised (`sessionCapabilities.systemPrompt: {}`):
the schema requires an error, not a guess, for anything else, so an unknown
mode (`override` included), a block that is not text and an empty content
list are -32602, raised before any session is created, loaded or forked.
With the flag off the capability is not advertised and a system prompt is
refused the same way: a client that sends one anyway learns it was not
applied instead of getting a session that silently lacks it.
"""

from __future__ import annotations

from protocol import RpcError
from protocol import schema as acp

FLAG = "session_system_prompt"


def appended_text(value: acp.SystemPrompt | None, enabled: bool) -> str | None:
    if value is None:
        return None
    if not enabled:
        raise RpcError.invalid_params(
            f"systemPrompt is not supported: sessionCapabilities.systemPrompt is not "
            f"advertised (feature flag {FLAG} is off)"
        )
    if value.mode != "append":
        raise RpcError.invalid_params(
            f"systemPrompt.mode {value.mode!r} is not supported; only 'append' is"
        )
    if not value.content:
        raise RpcError.invalid_params("systemPrompt.content must not be empty")
    texts: list[str] = []
    for index, block in enumerate(value.content):
        if not isinstance(block, acp.ContentBlockText):
            kind = type(block).__struct_config__.tag
            raise RpcError.invalid_params(
                f"systemPrompt.content[{index}] is a {kind} block; only text blocks are supported"
            )
        texts.append(block.text)
    return "\n".join(texts)


__all__ = ["FLAG", "appended_text"]
