"""The ACP method handlers, one module per family; `router.py` routes to them.

Each handler is `async def handler(ctx, params) -> result`, with `ctx` the
`ServerContext` (see context.py) and `params` the decoded request.
"""

__all__: list[str] = []
