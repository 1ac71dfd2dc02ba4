"""Generate the ACP v1 wire types from the vendored JSON schema.

Run `python -m protocol.codegen` after updating `protocol/schema/`. A test
regenerates into memory and fails on any difference with the committed files,
so the types can never drift from the schema. Never imported at run time.

The output is two modules. `_generated_new_session.py` holds what decoding a
`session/new` request needs (`FIRST_SESSION` and every definition its fields
name, transitively): a process's first session is on the start-up path editors
feel, and defining ~180 Structs costs more than the rest of that path.
`_generated.py` holds everything else and re-exports the small module's names,
so it alone is the whole schema; `protocol/schema.py` loads either on demand.

Mapping rules:
- an object definition becomes a msgspec `Struct` (snake_case attributes,
  camelCase wire names, `_meta` as `field_meta`); optional fields default to None
  (or the schema's scalar default) and are omitted on encode;
- a union whose every variant carries a `const` discriminator becomes a tagged
  union of subclasses named `<Union><Tag>` (e.g. `SessionUpdateAgentMessageChunk`);
- a union where some variant has no discriminator (a stdio `McpServer`, an
  agent-type `AuthMethod`) becomes one lenient Struct holding every variant's
  fields, so missing tags decode instead of failing;
- string-constant unions become `Literal`s; the JSON-RPC envelope unions are
  skipped (the endpoint owns envelopes).

Stable v1 is the contract. From the unstable schema we take only the
definitions in `UNSTABLE_OVERLAY` (session/fork, session/set_title, prompt
`usage`, `systemPrompt` on new/load/resume/fork, the matching session
capabilities) and what they reference. Everything else unstable, and anything
upstream removed (nes/*, document/*, mcp/connect), never reaches the generated
code; `REMOVED_UPSTREAM` lists the prefixes a test checks stay absent.
"""

from __future__ import annotations

import json
import keyword
import re
import sys
from pathlib import Path

from protocol.json_types import JsonObject, JsonValue, get_list, get_object, get_str, objects

SCHEMA_DIR = Path(__file__).parent / "schema"
OUTPUT = Path(__file__).parent / "_generated.py"
FIRST_OUTPUT = Path(__file__).parent / "_generated_new_session.py"
#: the definitions whose closure goes into the small module
FIRST_SESSION = ("NewSessionRequest",)

ENVELOPES = {
    "AgentRequest",
    "AgentResponse",
    "AgentNotification",
    "ClientRequest",
    "ClientResponse",
    "ClientNotification",
}
UNSTABLE_OVERLAY = (
    "PromptResponse",
    "ForkSessionRequest",
    "ForkSessionResponse",
    "SessionCapabilities",
    "NewSessionRequest",
    "LoadSessionRequest",
    "ResumeSessionRequest",
    "SetSessionTitleRequest",
    "SetSessionTitleResponse",
)
REMOVED_UPSTREAM = ("Nes", "Document", "DidOpenDocument", "McpConnect", "McpDisconnect")

#: a JSON Schema node; the readers below narrow its members by `isinstance`
Schema = JsonObject


def _camel_to_snake(name: str) -> str:
    snake = re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()
    return snake + "_" if keyword.iskeyword(snake) else snake


def _const_to_camel(value: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[_\-/ ]", value) if part)


def _definitions(filename: str) -> dict[str, Schema]:
    """The `$defs` of a vendored schema file; a definition that is not an object
    is an error here rather than a silent `Any` in the generated types."""
    document: JsonValue = json.loads((SCHEMA_DIR / filename).read_text())
    defs = document.get("$defs") if isinstance(document, dict) else None
    if not isinstance(defs, dict):
        raise ValueError(f"{filename}: no `$defs` object")
    out: dict[str, Schema] = {}
    for name, schema in defs.items():
        if not isinstance(schema, dict):
            raise ValueError(f"{filename}: definition {name!r} is not an object")
        out[name] = schema
    return out


def _properties(schema: Schema) -> dict[str, Schema]:
    """A node's `properties` (each a schema object), in schema order."""
    return {k: v for k, v in get_object(schema, "properties").items() if isinstance(v, dict)}


def _required(schema: Schema) -> set[str]:
    return {name for name in get_list(schema, "required") if isinstance(name, str)}


def _ref_name(schema: Schema) -> str | None:
    """The definition a `$ref` node points at (`#/$defs/Name` -> `Name`)."""
    ref = get_str(schema, "$ref")
    return None if ref is None else ref.rsplit("/", 1)[-1]


def load_definitions() -> tuple[dict[str, Schema], set[str]]:
    stable = _definitions("schema.json")
    unstable = _definitions("schema.unstable.json")
    defs = dict(stable)
    taken: set[str] = set()
    pending = list(UNSTABLE_OVERLAY)
    while pending:
        name = pending.pop()
        if name in taken:
            continue
        taken.add(name)
        defs[name] = unstable[name]
        for ref in re.findall(r'"#/\$defs/([A-Za-z0-9_]+)"', json.dumps(unstable[name])):
            if ref not in stable:
                pending.append(ref)
    return {k: v for k, v in defs.items() if k not in ENVELOPES}, taken - set(stable)


def _variants(schema: Schema) -> list[Schema] | None:
    variants = schema.get("oneOf") or schema.get("anyOf")
    return objects(variants) if isinstance(variants, list) else None


def _tag_of(variant: Schema) -> tuple[str, str] | None:
    for prop, sub in _properties(variant).items():
        const = sub.get("const")
        if isinstance(const, str):
            return prop, const
    return None


def _is_string_enum(variants: list[Schema]) -> bool:
    return all(v.get("type") == "string" and "const" in v for v in variants)


def _is_null(schema: Schema) -> bool:
    return schema.get("type") == "null"


class Generator:
    def __init__(self, defs: dict[str, Schema]) -> None:
        self.defs = defs
        self.lines: list[str] = []
        self.aliases: dict[str, str] = {}
        self.structs: set[str] = set()
        self.emitted: set[str] = set()
        self.exports: list[str] = []
        #: each definition's emitted lines, for splitting the output by closure
        self.blocks: dict[str, list[str]] = {}
        #: every emitted class name -> the definition it belongs to
        self.owner: dict[str, str] = {}
        for name, schema in defs.items():
            if self._kind(schema) in {"struct", "merged", "tagged"}:
                self.structs.add(name)

    # --------------------------------------------------------------- classify

    def _kind(self, schema: Schema) -> str:
        variants = _variants(schema)
        if "properties" in schema and schema.get("type") in ("object", ["object", "null"]):
            return "merged" if variants else "struct"
        if variants:
            non_null = [v for v in variants if not _is_null(v)]
            if _is_string_enum(non_null):
                return "literal"
            if all(_tag_of(v) for v in non_null) and all(
                v.get("type") == "object" for v in non_null
            ):
                return "tagged"
            if any(v.get("type") == "object" or "allOf" in v for v in non_null):
                return "merged"
            return "alias"
        if schema.get("type") == "object":
            return "struct"
        return "alias"

    # --------------------------------------------------------------- types

    def type_of(self, schema: Schema) -> str:
        ref = _ref_name(schema)
        if ref is not None:
            return ref
        all_of = objects(schema.get("allOf"))
        if len(all_of) == 1:
            return self.type_of(all_of[0])
        variants = _variants(schema)
        if variants:
            non_null = [v for v in variants if not _is_null(v)]
            if non_null and _is_string_enum(non_null):
                inner = f"Literal[{', '.join(repr(v['const']) for v in non_null)}]"
            else:
                inner = self._union(list(dict.fromkeys(self.type_of(v) for v in non_null)))
            return f"{inner} | None" if len(non_null) < len(variants) and inner != "Any" else inner
        if "const" in schema:
            return f"Literal[{schema['const']!r}]"
        kind = schema.get("type")
        if isinstance(kind, list):
            parts = [self.type_of({**schema, "type": k}) for k in kind if k != "null"]
            joined = " | ".join(dict.fromkeys(parts)) or "None"
            return f"{joined} | None" if "null" in kind else joined
        if kind == "string":
            return "str"
        if kind == "integer":
            return "int"
        if kind == "number":
            return "float"
        if kind == "boolean":
            return "bool"
        if kind == "null":
            return "None"
        if kind == "array":
            return f"list[{self.type_of(get_object(schema, 'items'))}]"
        if kind == "object":
            extra = schema.get("additionalProperties")
            value = self.type_of(extra) if isinstance(extra, dict) else "Any"
            return f"dict[str, {value}]"
        return "Any"

    def _union(self, parts: list[str]) -> str:
        """msgspec decodes a union only when its members are distinguishable by JSON
        type; anything ambiguous (two array types, two untagged structs) stays `Any`."""
        arrays = [p for p in parts if p.startswith("list[")]
        untagged = [p for p in parts if p in self.structs and self._kind(self.defs[p]) != "tagged"]
        if (
            len(arrays) > 1
            or len(untagged) > 1
            or (untagged and any(p.startswith("dict[") for p in parts))
        ):
            return "Any"
        return " | ".join(parts) or "None"

    # --------------------------------------------------------------- fields

    def _fields(self, properties: dict[str, Schema], required: set[str]) -> list[str]:
        out: list[str] = []
        ordered = sorted(properties, key=lambda p: (p not in required, p == "_meta"))
        for prop in ordered:
            sub = properties[prop]
            if prop == "_meta":
                out.append(
                    "    field_meta: dict[str, Any] | None = msgspec.field(default=None, name='_meta')"
                )
                continue
            attr = _camel_to_snake(prop)
            annotation = self.type_of(sub)
            rename = "" if attr == prop else f"name={prop!r}"
            if prop in required:
                out.append(
                    f"    {attr}: {annotation} = msgspec.field({rename})"
                    if rename
                    else f"    {attr}: {annotation}"
                )
                continue
            default = sub.get("default")
            if not isinstance(default, (bool, int, float, str)) or "$ref" in json.dumps(sub):
                default = None
            if default is None and "None" not in annotation:
                annotation = f"{annotation} | None"
            args = ", ".join(a for a in (f"default={default!r}", rename) if a)
            out.append(f"    {attr}: {annotation} = msgspec.field({args})")
        return out

    def _merged_properties(self, schema: Schema) -> tuple[dict[str, Schema], set[str]]:
        """Own properties plus every variant's, required only where all agree."""
        properties = _properties(schema)
        required = _required(schema)
        variants = [v for v in _variants(schema) or [] if not _is_null(v)]
        variant_props: list[dict[str, Schema]] = []
        for variant in variants:
            props: dict[str, Schema] = {}
            for part in [variant, *objects(variant.get("allOf"))]:
                ref = _ref_name(part)
                target = part if ref is None else self.defs.get(ref, {})
                props.update(_properties(target))
            variant_props.append(props)
        for props in variant_props:
            for prop, sub in props.items():
                if prop not in properties:
                    properties[prop] = self._widen(prop, sub, variant_props)
        return properties, required

    def _widen(self, prop: str, first: Schema, variant_props: list[dict[str, Schema]]) -> Schema:
        """A property that differs across variants takes the union of their types."""
        seen = [vp[prop] for vp in variant_props if prop in vp]
        if all(json.dumps(s, sort_keys=True) == json.dumps(first, sort_keys=True) for s in seen):
            if "const" in first:
                return {"type": "string"}
            return first
        widened: list[JsonValue] = [{"type": "string"} if "const" in s else s for s in seen]
        return {"anyOf": widened}

    # --------------------------------------------------------------- emit

    def _docstring(self, schema: Schema) -> str:
        text = (get_str(schema, "description") or "").strip().split("\n\n")[0].replace("\\", "\\\\")
        text = text.replace('"""', "'''").replace("\n", " ")
        return f'    """{text}"""' if text else ""

    def emit_struct(self, name: str, schema: Schema, merged: bool) -> None:
        if merged:
            properties, required = self._merged_properties(schema)
        else:
            properties, required = _properties(schema), _required(schema)
        self.lines.append(f"class {name}(msgspec.Struct, **_STRUCT):")
        doc = self._docstring(schema)
        if doc:
            self.lines.append(doc)
        body = self._fields(properties, required)
        self.lines.extend(body or ([] if doc else ["    pass"]))
        self.lines.append("")
        self.lines.append("")
        self.exports.append(name)

    def emit_tagged(self, name: str, schema: Schema) -> None:
        members: list[str] = []
        for variant in [v for v in _variants(schema) or [] if not _is_null(v)]:
            tag = _tag_of(variant)
            assert tag is not None
            field, value = tag
            cls = f"{name}{_const_to_camel(value)}"
            bases = [self.type_of(p) for p in objects(variant.get("allOf"))] or ["msgspec.Struct"]
            extra = {k: v for k, v in _properties(variant).items() if k != field}
            head = f"class {cls}({', '.join(bases)}, tag_field={field!r}, tag={value!r}"
            self.lines.append(head + ("" if bases != ["msgspec.Struct"] else ", **_STRUCT") + "):")
            doc = self._docstring(variant)
            body = self._fields(extra, _required(variant) - {field})
            if doc:
                self.lines.append(doc)
            self.lines.extend(body or ([] if doc else ["    pass"]))
            self.lines.extend(["", ""])
            self.exports.append(cls)
            members.append(cls)
        self.aliases[name] = " | ".join(members)

    def run(self) -> tuple[str, str]:
        """The small module's text (`FIRST_SESSION`'s closure) and the large one's."""
        order = self._dependency_order()
        for name in order:
            schema = self.defs[name]
            kind = self._kind(schema)
            start, exported = len(self.lines), len(self.exports)
            if kind in ("struct", "merged"):
                self.emit_struct(name, schema, merged=kind == "merged")
            elif kind == "tagged":
                self.emit_tagged(name, schema)
            else:
                self.aliases[name] = self.type_of(schema)
            self.blocks[name] = self.lines[start:]
            self.owner.update((cls, name) for cls in [name, *self.exports[exported:]])
        first = self._closure(FIRST_SESSION)
        return self._render(first, None), self._render(set(order) - first, first)

    def _closure(self, roots: tuple[str, ...]) -> set[str]:
        """`roots` and every definition named in their code (bases, field types,
        alias bodies), transitively; docstrings do not count."""
        found: set[str] = set()
        pending = list(roots)
        while pending:
            name = pending.pop()
            if name in found:
                continue
            found.add(name)
            code = [line for line in self.blocks[name] if not line.lstrip().startswith('"""')]
            code.append(self.aliases.get(name, ""))
            for word in re.findall(r"[A-Za-z_][A-Za-z0-9_]*", "\n".join(code)):
                if word in self.owner:
                    pending.append(self.owner[word])
        return found

    def _dependency_order(self) -> list[str]:
        """Base classes (allOf refs of tagged variants) must be defined first."""
        order: list[str] = []
        visiting: set[str] = set()

        def visit(name: str) -> None:
            if name in order or name in visiting or name not in self.defs:
                return
            visiting.add(name)
            schema = self.defs[name]
            if self._kind(schema) == "tagged":
                for variant in _variants(schema) or []:
                    for part in objects(variant.get("allOf")):
                        visit(self.type_of(part))
            order.append(name)

        for name in sorted(self.defs):
            visit(name)
        return order

    def _render(self, names: set[str], imported: set[str] | None) -> str:
        """A module defining `names`; with `imported`, it also takes those from
        the small module and exports them, so it alone is the whole schema."""
        what = "the rest, and all names" if imported is not None else "what session/new needs"
        small = imported is None
        header = [
            f'"""ACP v1 wire types: {what}. GENERATED by `python -m protocol.codegen`; do not edit."""',
            "",
            "# ruff: noqa",
            # The small module's annotations are evaluated as it loads, in
            # definition order, so the first decode need not compile and
            # evaluate each one as a string (~1.5 ms of the first session).
            *([] if small else ["from __future__ import annotations"]),
            "",
            "from typing import Any, Literal, TypeAlias",
            "",
            "import msgspec",
            "",
            "_STRUCT: dict[str, Any] = {'kw_only': True, 'omit_defaults': True}",
            "",
        ]
        mine = sorted(cls for cls, owner in self.owner.items() if owner in names)
        taken = sorted(cls for cls, owner in self.owner.items() if owner in (imported or ()))
        if taken:
            module = f"protocol.{FIRST_OUTPUT.stem}"
            header += [f"from {module} import ("] + [f"    {n}," for n in taken] + [")", ""]
        header.append("")
        exports = sorted({*mine, *taken})
        footer = ["", "__all__ = ["] + [f"    {n!r}," for n in exports] + ["]", ""]
        if small:
            return "\n".join([*header, *self._eager_body(names), *footer])
        body = [line for name in self.blocks if name in names for line in self.blocks[name]]
        aliases = [
            f"{name}: TypeAlias = {self.aliases[name]}"
            for name in self._alias_order()
            if name in names
        ]
        return "\n".join([*header, *body, *aliases, *footer])

    def _eager_body(self, names: set[str]) -> list[str]:
        """Classes and aliases each after everything its code names: the order
        in which annotations evaluated at import find their types."""
        order: list[tuple[str, str]] = []
        visiting: set[tuple[str, str]] = set()

        def code_of(node: tuple[str, str]) -> str:
            kind, name = node
            if kind == "alias":
                return self.aliases[name]
            return "\n".join(
                line for line in self.blocks[name] if not line.lstrip().startswith('"""')
            )

        def visit(node: tuple[str, str]) -> None:
            if node in order:
                return
            if node in visiting:
                raise ValueError(f"{node[1]} refers to itself: it cannot be evaluated at import")
            visiting.add(node)
            for word in re.findall(r"[A-Za-z_][A-Za-z0-9_]*", code_of(node)):
                if word in self.aliases and word in names:
                    needed = ("alias", word)
                elif word in self.owner and self.owner[word] in names:
                    needed = ("block", self.owner[word])
                else:
                    continue
                if needed != node:
                    visit(needed)
            visiting.discard(node)
            order.append(node)

        for name in (n for n in self.blocks if n in names):
            visit(("block", name))
        for name in (n for n in self._alias_order() if n in names):
            visit(("alias", name))
        lines: list[str] = []
        for kind, name in order:
            if kind == "alias":
                lines += [f"{name}: TypeAlias = {self.aliases[name]}", "", ""]
            else:
                lines += self.blocks[name]
        return lines

    def _alias_order(self) -> list[str]:
        """Aliases are evaluated at import, so one naming another must come after it."""
        order: list[str] = []

        def visit(name: str) -> None:
            if name in order:
                return
            for word in re.findall(r"[A-Za-z_][A-Za-z0-9_]*", self.aliases[name]):
                if word in self.aliases and word != name:
                    visit(word)
            order.append(name)

        for name in sorted(self.aliases):
            visit(name)
        return order


def generate() -> dict[Path, str]:
    """Each output file with the text it must hold."""
    defs, _unstable = load_definitions()
    first, rest = Generator(defs).run()
    return {FIRST_OUTPUT: first, OUTPUT: rest}


def main() -> int:
    for path, text in generate().items():
        path.write_text(text)
        print(f"wrote {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
