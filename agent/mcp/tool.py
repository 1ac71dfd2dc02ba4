"""An MCP server's tool as an engine `Tool`, named `mcp__<server>__<tool>`."""

from __future__ import annotations

import json
from collections.abc import Mapping

from agent.events import ImageContent, TextContent, ToolContent, ToolKind
from agent.mcp.connection import Connection, ToolDef
from agent.tools.api import Access, ToolContext, ToolDescription, ToolOutput, ToolSpec
from agent.tools.base import cap


class McpTool:
    def __init__(self, prefix: str, connection: Connection, definition: ToolDef) -> None:
        self.connection = connection
        self.definition = definition
        kind: ToolKind = "read" if definition.read_only else "other"
        self.spec = ToolSpec(
            f"mcp__{prefix}__{definition.name}",
            definition.description or f"{definition.name} from MCP server {prefix}",
            definition.input_schema,
            kind,
        )

    def describe(self, args: Mapping[str, object], cwd: str) -> ToolDescription:
        return ToolDescription(
            f"{self.connection.spec.name}: {self.definition.name}", self.spec.kind
        )

    def access(self, args: Mapping[str, object], cwd: str) -> Access:
        return Access("external", read_only_hint=self.definition.read_only)

    async def preview(
        self, args: Mapping[str, object], ctx: ToolContext
    ) -> tuple[ToolContent, ...]:
        return (
            TextContent(
                f"{self.connection.spec.name} / {self.definition.name}\n```json\n{json.dumps(dict(args), indent=2)[:4000]}\n```"
            ),
        )

    async def run(self, args: Mapping[str, object], ctx: ToolContext) -> ToolOutput:
        try:
            result = await self.connection.call(self.definition.name, dict(args))
        except (ConnectionError, TimeoutError) as error:
            return ToolOutput(f"Error: {error}", (TextContent(str(error)),), is_error=True)
        except Exception as error:
            message = f"MCP error from {self.connection.spec.name}/{self.definition.name}: {error}"
            return ToolOutput(message, (TextContent(message),), is_error=True)
        return to_output(result)


def to_output(result: object) -> ToolOutput:
    texts: list[str] = []
    content: list[ToolContent] = []
    for block in getattr(result, "content", None) or []:
        kind = getattr(block, "type", "")
        if kind == "text":
            texts.append(block.text)
            content.append(TextContent(block.text))
        elif kind == "image":
            mime = str(
                getattr(block, "mime_type", None) or getattr(block, "mimeType", None) or "image/png"
            )
            content.append(ImageContent(block.data, mime))
            texts.append(f"[image {mime}]")
        elif kind == "resource":
            resource = block.resource
            text = getattr(resource, "text", None)
            texts.append(text if text is not None else f"[binary resource {resource.uri}]")
            content.append(
                TextContent(text if text is not None else f"[binary resource {resource.uri}]")
            )
        elif kind == "resource_link":
            note = f"[resource {getattr(block, 'name', '')}: {block.uri}]"
            texts.append(note)
            content.append(TextContent(note))
    structured = getattr(result, "structured_content", None) or getattr(
        result, "structuredContent", None
    )
    if structured is not None and not texts:
        texts.append(json.dumps(structured, ensure_ascii=False))
        content.append(TextContent(texts[-1]))
    is_error = bool(getattr(result, "is_error", None) or getattr(result, "isError", None))
    return ToolOutput(
        cap("\n".join(texts)) or "(no content)",
        tuple(content),
        is_error=is_error,
        raw_output=structured,
    )
