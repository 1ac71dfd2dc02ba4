"""`acp-client`: the terminal client and tracer."""

from editor_clients.terminal.cli import main

__all__ = ["main"]
