"""ACP v1 on the wire. Imports nothing else of this project."""
