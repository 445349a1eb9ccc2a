"""Where the project's own files are, installed or in a checkout.

The ontology, the shapes, the source letter (package data of `graph`) and the canned queries
(package data of `api`) live in the checkout's top-level folders `ontology/`, `shapes/`,
`sources/` and `queries/`; the wheel carries them inside the packages (`graph/ontology/…`,
`api/queries/…`, mapped in pyproject.toml). `data_dir` finds a folder with
`importlib.resources` in the installed package first and beside the package in a checkout
(an editable install) second, so every command works from any folder.

The graph the commands write and read (`output/`) is not package data: it is a folder of the
current directory unless told otherwise (`--out`, `EMKG_GRAPH_DIR`).
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path


def data_dir(package: str, folder: str) -> Path:
    """The data folder `folder` of `package` on disk (pip installs wheels unpacked)."""
    root = files(package)
    installed = root / folder
    if installed.is_dir():
        return Path(str(installed))
    checkout = Path(str(root)).parent / folder
    if checkout.is_dir():
        return checkout
    raise FileNotFoundError(
        f"the {folder}/ folder is neither installed with the package {package!r} nor beside "
        f"it ({checkout}): reinstall eu-migration-kg"
    )


ONTOLOGY_FILE = data_dir("graph", "ontology") / "emk.ttl"
SHAPES_FILE = data_dir("graph", "shapes") / "emk-shapes.ttl"
DEFAULT_SOURCE = data_dir("graph", "sources") / "letter-2023-03-20.txt"
#: the built graph: `output/` of the current directory
DEFAULT_OUT = Path("output")
