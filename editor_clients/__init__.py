"""The editor side of ACP: client library, terminal client, tracer, conformance kit.

Imports only `protocol`, so it can test any agent as a black box.
"""

__all__: list[str] = []
