"""Edit one entry of a JSON-with-comments file in place, keeping everything
else (comments, order, spacing) as the user wrote it.

`set_entry(text, section, name, value)` puts `"name": value` into the object
at top-level key `section`: it replaces that entry's value when there is one,
inserts it at the top of the section otherwise, and adds the section at the
top of the file when it is missing. Only the scanner below reads the text:
it skips strings and both comment forms, so a brace or key inside them
never counts.
"""

from __future__ import annotations

import json
import re


def _skip(text: str, i: int) -> int:
    """Past whitespace, commas and comments from i."""
    while i < len(text):
        if text[i] in " \t\r\n,":
            i += 1
        elif text.startswith("//", i):
            end = text.find("\n", i)
            i = len(text) if end < 0 else end + 1
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            i = len(text) if end < 0 else end + 2
        else:
            return i
    return i


def _string_end(text: str, i: int) -> int:
    """Index just past the string starting at text[i] == '"'."""
    i += 1
    while i < len(text) and text[i] != '"':
        i += 2 if text[i] == "\\" else 1
    return i + 1


def _value_end(text: str, i: int) -> int:
    """Index just past the JSON value starting at i."""
    if text[i] == '"':
        return _string_end(text, i)
    if text[i] in "{[":
        depth = 0
        while i < len(text):
            i = _skip(text, i) if text[i] in " \t\r\n,/" else i
            if i >= len(text):
                break
            char = text[i]
            if char == '"':
                i = _string_end(text, i)
                continue
            if char in "{[":
                depth += 1
            elif char in "}]":
                depth -= 1
                if depth == 0:
                    return i + 1
            i += 1
        raise ValueError("unbalanced braces")
    while i < len(text) and text[i] not in ",}] \t\r\n/":
        i += 1
    return i


def _members(text: str, start: int) -> dict[str, tuple[int, int]]:
    """key -> (value start, value end) of the object whose '{' is at start."""
    found: dict[str, tuple[int, int]] = {}
    i = _skip(text, start + 1)
    while i < len(text) and text[i] != "}":
        key_end = _string_end(text, i)
        key = json.loads(text[i:key_end])
        i = _skip(text, key_end)
        if text[i] != ":":
            raise ValueError(f"expected ':' after {key!r}")
        value_start = _skip(text, i + 1)
        value_end = _value_end(text, value_start)
        found[key] = (value_start, value_end)
        i = _skip(text, value_end)
    return found


def _dump(value: object, indent: str) -> str:
    return json.dumps(value, indent=2).replace("\n", "\n" + indent)


def set_entry(text: str, section: str, name: str, value: object) -> str:
    """The text with `section.name` set to `value`; the text itself when it is
    already so (callers skip the write and the backup then)."""
    top = _skip(text, 0)
    if top >= len(text):
        return json.dumps({section: {name: value}}, indent=2) + "\n"
    if text[top] != "{":
        raise ValueError("the file does not hold a JSON object")
    members = _members(text, top)
    if section not in members:
        entry = f'\n  "{section}": {{\n    "{name}": {_dump(value, "    ")}\n  }},'
        return text[: top + 1] + entry + text[top + 1 :]
    start, _end = members[section]
    if text[start] != "{":
        raise ValueError(f"{section} is not an object")
    inner = _members(text, start)
    if name in inner:
        value_start, value_end = inner[name]
        if _equal(text[value_start:value_end], value):
            return text
        return text[:value_start] + _dump(value, "    ") + text[value_end:]
    entry = f'\n    "{name}": {_dump(value, "    ")},'
    return text[: start + 1] + entry + text[start + 1 :]


def _equal(raw: str, value: object) -> bool:
    try:
        return bool(json.loads(strip_jsonc(raw)) == value)
    except ValueError:
        return False


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
