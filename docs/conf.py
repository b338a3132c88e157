"""Sphinx configuration of the qheat documentation (MyST Markdown pages, autodoc API reference, furo)."""

from __future__ import annotations

from importlib import metadata

project = "qheat"
author = "The qheat developers"
copyright = "2026, The qheat developers"  # noqa: A001 (Sphinx's name)
release = metadata.version("qheat")
version = ".".join(release.split(".")[:2])

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
]
source_suffix = {".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store"]

myst_enable_extensions = ["colon_fence", "dollarmath", "amsmath", "deflist"]
myst_heading_anchors = 3

autodoc_default_options = {"members": True, "show-inheritance": True}
autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_mock_imports: list[str] = []
nitpicky = False

html_theme = "furo"
html_title = f"qheat {release}"
html_static_path: list[str] = []


def _plain_bars(app, what, name, obj, options, lines):  # noqa: ARG001 (Sphinx's signature)
    """The code's docstrings write kets and absolute values as |0>, |x|: bars, not reST substitutions."""
    import re

    for i, line in enumerate(lines):
        parts = re.split(r"(``.*?``)", line)
        lines[i] = "".join(p if p.startswith("``") else p.replace("|", r"\|") for p in parts)


def setup(app):
    app.connect("autodoc-process-docstring", _plain_bars)
