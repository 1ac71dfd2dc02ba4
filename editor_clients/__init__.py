"""The editor side of ACP: client library, terminal client, tracer, conformance kit."""
