"""ACP prompt blocks -> the engine's prompt parts.

`file://` links are read (through the session's FileSystem, so unsaved editor
buffers count); embedded text is used as is; anything else (`zed://`, https,
binary blobs, a path no file system can open, such as one holding a NUL byte)
becomes a clear note for the model, never a crash.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from agent.ports import FileAccessError, FileSystem, ImagePart, PromptPart, ResourcePart, TextPart

if TYPE_CHECKING:  # at run time the types come with the first prompt, not the first session
    from protocol import schema as acp

MAX_LINKED_CHARS = 256 * 1024


def file_uri_path(uri: str) -> str | None:
    # Imported here: urllib.parse (with ipaddress, ~4-5 ms) is wanted only by
    # a prompt that links a resource, not by every session's first prompt.
    from urllib.parse import unquote, urlparse

    parsed = urlparse(uri)
    if parsed.scheme != "file":
        return None
    path = unquote(parsed.path)
    # file:///C:/x (Windows) has no meaning on this machine.
    if len(path) > 2 and path[0] == "/" and path[2] == ":":
        return None
    return path or None


async def to_prompt_parts(
    blocks: Sequence[acp.ContentBlock], files: FileSystem
) -> list[PromptPart]:
    from protocol import schema as acp

    parts: list[PromptPart] = []
    for block in blocks:
        if isinstance(block, acp.ContentBlockText):
            parts.append(TextPart(block.text))
        elif isinstance(block, acp.ContentBlockImage):
            parts.append(ImagePart(block.data, block.mime_type))
        elif isinstance(block, acp.ContentBlockResource):
            parts.append(_embedded(block.resource))
        elif isinstance(block, acp.ContentBlockResourceLink):
            parts.append(await _linked(block.uri, files))
        else:
            parts.append(ResourcePart("audio", note="audio input is not supported by this agent"))
    return parts


def _embedded(resource: object) -> ResourcePart:
    uri = str(getattr(resource, "uri", ""))
    text = getattr(resource, "text", None)
    if isinstance(text, str):
        return ResourcePart(uri, text[:MAX_LINKED_CHARS], getattr(resource, "mime_type", None))
    return ResourcePart(uri, note="binary content attached; it cannot be shown as text")


async def _linked(uri: str, files: FileSystem) -> ResourcePart:
    path = file_uri_path(uri)
    if path is None:
        return ResourcePart(uri, note=f"the editor referenced {uri}, which this agent cannot open")
    if "\0" in path:
        # No OS path holds a NUL; the local read would raise ValueError, not a
        # FileAccessError, and the editor's read would fail the same way.
        return ResourcePart(uri, note="its path contains a NUL byte, so it cannot be opened")
    try:
        text = await files.read_text(path)
    except FileAccessError as error:
        return ResourcePart(uri, note=f"could not read it: {error}")
    return ResourcePart(uri, text[:MAX_LINKED_CHARS])
