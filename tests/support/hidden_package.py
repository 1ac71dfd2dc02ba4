"""An environment for a real subprocess in which a package cannot be imported.

A `sitecustomize` on PYTHONPATH puts a finder first on `sys.meta_path` that
refuses the package and its submodules, as if it were not installed, while
every other package of the same environment stays importable.
"""

from __future__ import annotations

from pathlib import Path

_SITECUSTOMIZE = """
import sys

class _Hidden:
    def find_spec(self, name, path=None, target=None):
        if name == {package!r} or name.startswith({package!r} + "."):
            raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)
        return None

sys.meta_path.insert(0, _Hidden())
"""


def hiding(package: str, where: Path) -> dict[str, str]:
    """Environment entries that hide `package` (the sitecustomize goes in `where`)."""
    site = where / f"hide-{package}"
    site.mkdir(parents=True, exist_ok=True)
    (site / "sitecustomize.py").write_text(_SITECUSTOMIZE.format(package=package))
    return {"PYTHONPATH": str(site)}
