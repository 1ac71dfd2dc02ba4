"""The traffic tracer: a transparent stdio proxy with protocol checks."""

from editor_clients.trace.proxy import TraceLog, run_trace
from editor_clients.trace.rules import TraceChecker
from editor_clients.trace.show import show

__all__ = ["TraceChecker", "TraceLog", "run_trace", "show"]
