"""initialize, authenticate and logout.

`initialize` is answered from the raw params without the generated types,
the config loader or the engine: editors show "Loading..." until then.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from acp_server import __version__
from acp_server.server.context import ClientCaps
from protocol import AfterResponse, RpcError

if TYPE_CHECKING:
    from acp_server.server.handlers.base import ServerContext
    from protocol import schema as acp

AUTH_METHOD_ID = "provider-key"


def client_caps_from(params: object) -> ClientCaps:
    """Lenient reading of initialize params: anything missing or malformed is
    "not supported", which is what the spec says an omitted capability means."""
    if not isinstance(params, dict):
        raise RpcError.invalid_params("initialize params must be an object")
    if "protocolVersion" not in params:
        raise RpcError.invalid_params("initialize needs protocolVersion")

    def part(node: object, key: str) -> object:
        return node.get(key) if isinstance(node, dict) else None

    caps = params.get("clientCapabilities")
    fs = part(caps, "fs")
    return ClientCaps(
        fs_read=part(fs, "readTextFile") is True,
        fs_write=part(fs, "writeTextFile") is True,
        terminal=part(caps, "terminal") is True,
        # The registry's checker asks through `_meta["terminal-auth"]`, the
        # schema through `auth.terminal`: either one counts.
        auth_terminal=part(part(caps, "auth"), "terminal") is True
        or part(part(caps, "_meta"), "terminal-auth") is True,
    )


async def initialize(ctx: ServerContext, params: object) -> AfterResponse:
    ctx.client_caps = client_caps_from(params)
    auth_methods: list[dict[str, object]] = [
        {
            "id": AUTH_METHOD_ID,
            "name": "Provider API key",
            "description": "Set OPENAI_API_KEY, ANTHROPIC_API_KEY or OPENROUTER_API_KEY (environment or "
            "$ACP_SERVER_HOME/.env) and a model (`acp-server models set ID`), then authenticate.",
        }
    ]
    if ctx.client_caps.auth_terminal:
        auth_methods.append(
            {
                "type": "terminal",
                "id": "setup-provider",
                "name": "Set up a provider",
                "description": "Pick a provider and store its key",
                "args": ["setup-provider"],
            }
        )
    result = {
        "protocolVersion": 1,
        "agentCapabilities": {
            "loadSession": True,
            "promptCapabilities": {"image": True, "audio": False, "embeddedContext": True},
            "mcpCapabilities": {"http": True, "sse": True},
            "sessionCapabilities": {
                "list": {},
                "resume": {},
                "close": {},
                "delete": {},
                "additionalDirectories": {},
                **_flagged_session_capabilities(ctx),
            },
            "auth": {"logout": {}},
        },
        "authMethods": auth_methods,
        "agentInfo": {"name": "acp-server", "title": "acp-server", "version": __version__},
    }
    return AfterResponse(result, dump_modules)


def _flagged_session_capabilities(ctx: ServerContext) -> dict[str, object]:
    flags = ctx.features
    caps: dict[str, object] = {}
    if flags.get("session_fork"):
        caps["fork"] = {}
    if flags.get("session_title"):
        caps["title"] = {}
    return caps


async def authenticate(ctx: ServerContext, params: acp.AuthenticateRequest) -> dict[str, object]:
    if params.method_id != AUTH_METHOD_ID:
        raise RpcError.invalid_params(f"unknown auth method {params.method_id!r}")
    from agent import ModelNotConfigured, check_model

    try:
        check_model(ctx.config.model, ctx.engine_config().providers)
    except ModelNotConfigured as error:
        raise RpcError.auth_required(f"{error}. {error.hint}") from None
    return {}


async def logout(ctx: ServerContext, params: object) -> dict[str, object]:
    return {}  # keys live in the user's environment and .env; nothing is cached here


DEBUG_MODULES = os.environ.get("ACP_SERVER_DEBUG_MODULES")


async def dump_modules(suffix: str = "") -> None:
    """ACP_SERVER_DEBUG_MODULES=FILE records what was imported to answer
    `initialize` (in FILE) and the first `session/new` (in FILE.session), so a
    test can prove no heavy module loads before either."""
    import sys

    target = DEBUG_MODULES
    if target and not os.path.exists(target + suffix):
        with open(target + suffix, "w", encoding="utf-8") as handle:
            handle.write("\n".join(sorted(sys.modules)))


__all__ = ["AUTH_METHOD_ID", "authenticate", "client_caps_from", "initialize", "logout"]
