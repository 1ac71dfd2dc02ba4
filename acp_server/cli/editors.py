"""`acp-server setup zed|neovim|emacs|jetbrains|vscode [--write]`.

Prints the exact config entry, with the absolute command path, and with
`--write` merges it into the editor's config file after a timestamped backup.
JSON files are edited in place (jsonc.py), so comments survive, and a file
that already has the entry is left alone: no write, no backup. A file that
cannot be parsed is never rewritten: the snippet is printed instead. Run from
a `uvx` cache, the path would vanish with the cache, so `uvx acp-server` is
used instead, with a warning.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import TypedDict

from acp_server.cli.common import fail, say, version_action

EDITOR_FILES = {
    "zed": "~/.config/zed/settings.json",
    "jetbrains": "~/.jetbrains/acp.json",
    "vscode": "~/.config/Code/User/settings.json",
    "neovim": "~/.config/nvim/lua/acp_server.lua",
    "emacs": "~/.emacs.d/acp-server.el",
}


def is_temporary(path: str) -> bool:
    """A uv tool cache (what `uvx` runs from): gone at the next cache clean."""
    return "/uv/archive-v" in path or "/.cache/uv/" in path or "/uv/cache/" in path


def launch() -> tuple[str, list[str]]:
    """The command and args an editor should run."""
    path = command_path()
    if is_temporary(path):
        print(
            f"acp-server: warning: {path} is in uv's temporary cache and will not last;"
            " the entry below runs `uvx acp-server` instead",
            file=sys.stderr,
        )
        return "uvx", ["acp-server"]
    return path, []


def command_path() -> str:
    found = shutil.which("acp-server")
    candidate = (
        Path(sys.argv[0]).resolve() if sys.argv and sys.argv[0].endswith("acp-server") else None
    )
    if candidate and candidate.exists():
        return str(candidate)
    return found or str(Path(sys.executable).with_name("acp-server"))


class AgentEntry(TypedDict):
    """How an editor's JSON settings launch acp-server."""

    command: str
    args: list[str]
    env: dict[str, str]


def entry(command: str, home: str | None, args: list[str] | None = None) -> AgentEntry:
    env = {"ACP_SERVER_HOME": home} if home else {}
    return {"command": command, "args": list(args or []), "env": env}


def _lua_list(items: list[str]) -> str:
    return ", ".join(json.dumps(i) for i in items)


def neovim_snippet(command: str, home: str | None, args: list[str] | None = None) -> str:
    """CodeCompanion and avante. The adapter sets acp-server's own auth method:
    an inherited one (gemini_cli's oauth-personal) is not advertised by this
    agent, and CodeCompanion then refuses to start. `interactions` replaced
    the deprecated `strategies` key."""
    env = f"ACP_SERVER_HOME = {json.dumps(home)}" if home else ""
    argv = _lua_list([command, *(args or [])])
    return f"""-- CodeCompanion.nvim: an ACP adapter for acp-server
require("codecompanion").setup({{
  adapters = {{
    acp = {{
      acp_server = function()
        return require("codecompanion.adapters").extend("gemini_cli", {{
          name = "acp_server",
          formatted_name = "acp-server",
          commands = {{ default = {{ {argv} }} }},
          defaults = {{ auth_method = "provider-key", mcpServers = {{}} }},
          env = {{ {env} }},
        }})
      end,
    }},
  }},
  interactions = {{ chat = {{ adapter = "acp_server" }} }},
}})

-- avante.nvim: an ACP provider
require("avante").setup({{
  provider = "acp_server",
  acp_providers = {{
    acp_server = {{ command = {json.dumps(command)}, args = {{ {_lua_list(args or [])} }}, env = {{ {env} }} }},
  }},
}})
"""


def emacs_snippet(command: str, home: str | None, args: list[str] | None = None) -> str:
    """An agent-shell agent config (xenodium/agent-shell)."""
    params = " ".join(json.dumps(a) for a in args or [])
    env = f'(list "ACP_SERVER_HOME={home}")' if home else "nil"
    return f""";; agent-shell: acp-server as an agent
(require 'agent-shell)

(defun acp-server-agent-shell-config ()
  "An agent-shell config that launches acp-server."
  (agent-shell-make-agent-config
   :identifier 'acp-server
   :mode-line-name "acp-server"
   :buffer-name "acp-server"
   :shell-prompt "acp-server> "
   :shell-prompt-regexp "acp-server> "
   :client-maker (lambda (buffer)
                   (agent-shell--make-acp-client
                    :command {json.dumps(command)}
                    :command-params (list {params})
                    :environment-variables {env}
                    :context-buffer buffer))))

(add-to-list 'agent-shell-agent-configs (acp-server-agent-shell-config))
"""


def section(editor: str) -> str:
    """The settings key that holds an editor's agents."""
    return "acp.agents" if editor == "vscode" else "agent_servers"


def editor_entry(editor: str, value: Mapping[str, object]) -> dict[str, object]:
    """`value` as `editor` wants it under its agents' key."""
    if editor == "vscode":
        return {**value, "displayName": "acp-server"}
    if editor == "zed":
        return {"type": "custom", **value}
    return dict(value)


def merged(
    editor: str, current: Mapping[str, object], value: Mapping[str, object]
) -> dict[str, object]:
    data = dict(current)
    key = section(editor)
    agents = data.get(key) or {}
    data[key] = {
        **(agents if isinstance(agents, dict) else {}),
        "acp-server": editor_entry(editor, value),
    }
    return data


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="acp-server setup",
        description="Configure an editor to launch acp-server.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="""examples:
  acp-server setup zed                  # print the settings.json entry
  acp-server setup zed --write          # merge it in (comments kept, backup first)
  acp-server setup neovim > ~/.config/nvim/lua/acp_server.lua
  acp-server setup emacs""",
    )
    parser.add_argument("editor", choices=sorted(EDITOR_FILES), help="the editor to configure")
    parser.add_argument(
        "--write",
        action="store_true",
        help="merge the entry into the editor's config (after a backup)",
    )
    parser.add_argument("--file", help="config file to edit instead of the default location")
    version_action(parser)
    return parser


def main(argv: list[str]) -> int:
    args = build_parser().parse_args(argv[1:])
    command, command_args = launch()
    home = os.environ.get("ACP_SERVER_HOME")
    target = Path(os.path.expanduser(args.file or EDITOR_FILES[args.editor]))
    if args.editor in ("neovim", "emacs"):
        make = neovim_snippet if args.editor == "neovim" else emacs_snippet
        snippet = make(command, home, command_args)
        if not args.write:
            say(snippet)
            say(_load_hint(args.editor, target))
            return 0
        if target.exists() and target.read_text(encoding="utf-8") == snippet:
            say(f"{target} already has this entry; nothing changed")
            return 0
        return _write_text(target, snippet)
    value = entry(command, home, command_args)
    preview = merged(args.editor, {}, value)
    if not args.write:
        say(f"Add this to {target}:\n")
        say(json.dumps(preview, indent=2))
        return 0
    return _write_json(target, args.editor, value, preview)


def _load_hint(editor: str, target: Path) -> str:
    if editor == "neovim":
        return f'-- save as {target} and add `require("acp_server")` to your init.lua'
    return f';; save as {target} and add (load "{target}") to your init.el'


def _write_json(target: Path, editor: str, value: AgentEntry, preview: Mapping[str, object]) -> int:
    from acp_server.cli.jsonc import set_entry, strip_jsonc

    wanted = editor_entry(editor, value)
    text = target.read_text(encoding="utf-8") if target.exists() else ""
    try:
        json.loads(strip_jsonc(text) or "{}")
        updated = set_entry(text, section(editor), "acp-server", wanted)
    except ValueError as error:
        say(json.dumps(preview, indent=2))
        return fail(
            f"{target} is not valid JSON ({error}); it was not changed. Add the entry above by hand."
        )
    if updated == text:
        say(f"{target} already has this entry; nothing changed")
        return 0
    return _write_text(target, updated)


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
