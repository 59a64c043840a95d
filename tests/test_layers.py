"""The layer rule of docs/design.md: each package of `ladder` imports only from its own layer
and the layers below it, never upward (cli -> api -> analyses, figures, train, collect, proxy,
proxy_tuning -> fit -> fits -> data -> spec, runs -> laws -> errors, files, parallel)."""

from __future__ import annotations

import ast

from conftest import ROOT

LAYERS = [
    {"ladder", "errors", "files", "parallel"},
    {"laws"},
    {"spec", "runs"},
    {"data"},
    {"fits"},
    {"fit"},
    {"analyses", "figures", "train", "collect", "proxy", "proxy_tuning"},
    {"api"},
    {"cli", "__main__"},
]
RANK = {unit: rank for rank, units in enumerate(LAYERS) for unit in units}


def _unit(module: str) -> str:
    """The top-level package or module of `ladder` a dotted name belongs to."""
    parts = module.removesuffix(".__init__").split(".")
    return parts[1] if len(parts) > 1 else "ladder"


def _imports(path) -> list[str]:
    out = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("ladder"):
            if node.module == "ladder":
                out += [f"ladder.{alias.name}" for alias in node.names]
            else:
                out.append(node.module)
        elif isinstance(node, ast.Import):
            out += [alias.name for alias in node.names if alias.name.startswith("ladder")]
    return out


def test_every_package_has_a_layer():
    children = {p.stem for p in (ROOT / "ladder").iterdir() if p.suffix in ("", ".py")}
    units = {"ladder" if c == "__init__" else c for c in children} - {"__pycache__"}
    assert units <= set(RANK), units - set(RANK)


def test_no_module_imports_from_a_layer_above_its_own():
    upward = []
    for path in sorted((ROOT / "ladder").rglob("*.py")):
        module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        source = _unit(module)
        for name in _imports(path):
            target = _unit(name)
            target = "ladder" if target == "__version__" else target
            if RANK[target] > RANK[source]:
                upward.append(f"{module} imports {name}")
    assert not upward, upward
