"""`acp-server setup zed|neovim|jetbrains|vscode [--write]`.

Prints the exact config entry, with the absolute command path, and with
`--write` merges it into the editor's config file after a timestamped backup.
A file that cannot be parsed is never rewritten: the snippet is printed instead.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sys
import time
from pathlib import Path
from typing import Any

from acp_server.cli.common import fail, say, version_action

EDITOR_FILES = {
    "zed": "~/.config/zed/settings.json",
    "jetbrains": "~/.jetbrains/acp.json",
    "vscode": "~/.config/Code/User/settings.json",
    "neovim": "~/.config/nvim/lua/acp_server.lua",
}


def command_path() -> str:
    found = shutil.which("acp-server")
    candidate = (
        Path(sys.argv[0]).resolve() if sys.argv and sys.argv[0].endswith("acp-server") else None
    )
    if candidate and candidate.exists():
        return str(candidate)
    return found or str(Path(sys.executable).with_name("acp-server"))


def entry(command: str, home: str | None) -> dict[str, Any]:
    env = {"ACP_SERVER_HOME": home} if home else {}
    return {"command": command, "args": [], "env": env}


def neovim_snippet(command: str, home: str | None) -> str:
    env = f'ACP_SERVER_HOME = "{home}"' if home else ""
    return f"""-- CodeCompanion.nvim: an ACP adapter for acp-server
require("codecompanion").setup({{
  adapters = {{
    acp = {{
      acp_server = function()
        return require("codecompanion.adapters").extend("gemini_cli", {{
          name = "acp_server",
          formatted_name = "acp-server",
          commands = {{ default = {{ "{command}" }} }},
          env = {{ {env} }},
        }})
      end,
    }},
  }},
  strategies = {{ chat = {{ adapter = "acp_server" }} }},
}})

-- avante.nvim: an ACP provider
require("avante").setup({{
  provider = "acp_server",
  acp_providers = {{
    acp_server = {{ command = "{command}", args = {{}}, env = {{ {env} }} }},
  }},
}})
"""


def strip_jsonc(text: str) -> str:
    """Remove // and /* */ comments (outside strings) and trailing commas."""
    out, i, in_string = [], 0, False
    while i < len(text):
        char = text[i]
        if in_string:
            out.append(char)
            if char == "\\":
                out.append(text[i + 1 : i + 2])
                i += 1
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
            out.append(char)
        elif text.startswith("//", i):
            while i < len(text) and text[i] != "\n":
                i += 1
            continue
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            i = len(text) if end < 0 else end + 2
            continue
        else:
            out.append(char)
        i += 1
    return re.sub(r",(\s*[}\]])", r"\1", "".join(out))


def merged(editor: str, current: dict[str, Any], value: dict[str, Any]) -> dict[str, Any]:
    data = dict(current)
    if editor == "vscode":
        agents = dict(data.get("acp.agents") or {})
        agents["acp-server"] = {**value, "displayName": "acp-server"}
        data["acp.agents"] = agents
    else:
        servers = dict(data.get("agent_servers") or {})
        servers["acp-server"] = {"type": "custom", **value} if editor == "zed" else value
        data["agent_servers"] = servers
    return data


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="acp-server setup", description="Configure an editor to launch acp-server."
    )
    parser.add_argument("editor", choices=sorted(EDITOR_FILES))
    parser.add_argument(
        "--write",
        action="store_true",
        help="merge the entry into the editor's config (after a backup)",
    )
    parser.add_argument("--file", help="config file to edit instead of the default location")
    version_action(parser)
    args = parser.parse_args(argv[1:])
    command = command_path()
    home = os.environ.get("ACP_SERVER_HOME")
    target = Path(os.path.expanduser(args.file or EDITOR_FILES[args.editor]))
    if args.editor == "neovim":
        snippet = neovim_snippet(command, home)
        if not args.write:
            say(snippet)
            say(f'-- save as {target} and add `require("acp_server")` to your init.lua')
            return 0
        return _write_text(target, snippet)
    value = entry(command, home)
    preview = merged(args.editor, {}, value)
    if not args.write:
        say(f"Add this to {target}:\n")
        say(json.dumps(preview, indent=2))
        return 0
    current: dict[str, Any] = {}
    if target.exists():
        try:
            loaded = json.loads(strip_jsonc(target.read_text(encoding="utf-8")) or "{}")
        except json.JSONDecodeError as error:
            say(json.dumps(preview, indent=2))
            return fail(
                f"{target} is not valid JSON ({error}); it was not changed. Add the entry above by hand."
            )
        if not isinstance(loaded, dict):
            return fail(f"{target} does not hold a JSON object; it was not changed")
        current = loaded
    return _write_text(target, json.dumps(merged(args.editor, current, value), indent=2) + "\n")


def _write_text(target: Path, text: str) -> int:
    from agent.localhost import atomic_write

    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists():
        backup = target.with_name(f"{target.name}.bak-{time.strftime('%Y%m%d-%H%M%S')}")
        shutil.copy2(target, backup)
        say(f"backed up {target} to {backup}")
    atomic_write(str(target), text)
    say(f"wrote {target}")
    return 0
