"""No `Any` in a public signature of the four packages, except a `_meta` payload.

A public signature is what another module may call or read: a public function
or method (dunders such as `__init__`, `__call__` and a module's `__getattr__`
included) of a public module, inside public classes only, and the annotated
fields of a public class (dataclass, Struct, TypedDict, NamedTuple). Every
parameter annotation, return annotation and field annotation of those is
read from the source with `ast`; an annotation that names `Any`, directly or
through a type alias defined in the same module, fails the test.

The one exception is a `_meta` payload: the schema leaves its contents open,
so a parameter or field named `meta`, `_meta` or `field_meta` may be a
mapping of `Any`. Generated schema modules and private modules (a path part
starting with `_`) are not public surface.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("protocol", "agent", "acp_server", "editor_clients")

META_NAMES = frozenset({"meta", "_meta", "field_meta"})
META_PAYLOADS = frozenset(
    {
        "dict[str, Any]",
        "dict[str, Any] | None",
        "Mapping[str, Any]",
        "Mapping[str, Any] | None",
    }
)


def _public_modules() -> Iterator[Path]:
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            relative = path.relative_to(ROOT)
            if relative.name.startswith("_generated"):
                continue
            parts = relative.with_suffix("").parts
            if any(part.startswith("_") and part != "__init__" for part in parts):
                continue
            yield relative


def _any_aliases(tree: ast.Module) -> set[str]:
    """Names of module-level type aliases whose value names `Any` (or such an alias)."""
    aliases: set[str] = set()
    for statement in tree.body:
        if isinstance(statement, ast.Assign) and len(statement.targets) == 1:
            target, value = statement.targets[0], statement.value
        elif isinstance(statement, ast.AnnAssign) and statement.value is not None:
            target, value = statement.target, statement.value
        else:
            continue
        if not isinstance(value, (ast.Subscript, ast.BinOp, ast.Name, ast.Attribute)):
            continue  # a type alias is a type expression; skip constants and calls
        if isinstance(target, ast.Name) and _names_any(value, aliases):
            aliases.add(target.id)
    return aliases


def _names_any(annotation: ast.expr, aliases: set[str]) -> bool:
    for node in ast.walk(annotation):
        if isinstance(node, ast.Name) and (node.id == "Any" or node.id in aliases):
            return True
        if isinstance(node, ast.Attribute) and node.attr == "Any":
            return True  # typing.Any
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            try:
                quoted = ast.parse(node.value, mode="eval").body
            except (SyntaxError, ValueError):  # a string that is not a type
                continue
            if _names_any(quoted, aliases):
                return True
    return False


def _is_public(name: str) -> bool:
    return not name.startswith("_") or (name.startswith("__") and name.endswith("__"))


def _annotated(
    function: ast.FunctionDef | ast.AsyncFunctionDef,
) -> Iterator[tuple[str, ast.expr]]:
    arguments = function.args
    for argument in [
        *arguments.posonlyargs,
        *arguments.args,
        *arguments.kwonlyargs,
        arguments.vararg,
        arguments.kwarg,
    ]:
        if argument is not None and argument.annotation is not None:
            yield argument.arg, argument.annotation
    if function.returns is not None:
        yield "return", function.returns


def _allowed(name: str, annotation: ast.expr) -> bool:
    return name in META_NAMES and ast.unparse(annotation) in META_PAYLOADS


def _hits_in(scope: ast.AST, aliases: set[str], owner: str = "") -> Iterator[tuple[int, str, str]]:
    for node in ast.iter_child_nodes(scope):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and _is_public(node.name):
            for name, annotation in _annotated(node):
                if _names_any(annotation, aliases) and not _allowed(name, annotation):
                    yield node.lineno, f"{owner}{node.name}", ast.unparse(annotation)
        elif isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
            for statement in node.body:
                if isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name):
                    field = statement.target.id
                    annotation = statement.annotation
                    if _names_any(annotation, aliases) and not _allowed(field, annotation):
                        yield statement.lineno, f"{node.name}.{field}", ast.unparse(annotation)
            yield from _hits_in(node, aliases, f"{node.name}.")


def _hits() -> list[tuple[str, int, str, str]]:
    found = []
    for path in _public_modules():
        tree = ast.parse((ROOT / path).read_text(encoding="utf-8"))
        aliases = _any_aliases(tree)
        for line, name, annotation in _hits_in(tree, aliases):
            found.append((path.as_posix(), line, name, annotation))
    return found


def test_no_public_signature_names_any_except_a_meta_payload() -> None:
    offending = [f"{path}:{line} {name}: {annotation}" for path, line, name, annotation in _hits()]
    assert not offending, "Any in public signatures:\n" + "\n".join(offending)


def test_the_scan_sees_any_in_an_alias_a_quoted_annotation_and_a_class_field() -> None:
    source = (
        "from typing import Any\n"
        "Table = dict[str, Any]\n"
        "def table() -> Table: ...\n"
        "def quoted(x: 'list[Any]') -> None: ...\n"
        "class Shape:\n"
        "    payload: Any\n"
        "    meta: dict[str, Any] | None\n"
        "    def __call__(self) -> Any: ...\n"
        "    def _private(self) -> Any: ...\n"
        "class _Hidden:\n"
        "    x: Any\n"
    )
    tree = ast.parse(source)
    names = [name for _, name, _ in _hits_in(tree, _any_aliases(tree))]
    assert names == ["table", "quoted", "Shape.payload", "Shape.__call__"]
