"""The front-end libraries the pages load, from the folder npm installed them into.

They are served by us from `/assets/…` (api.routers.pages), never from another host. A checkout
has them in `node_modules/` after `npm install` (`make setup`); an installed wheel carries none,
so `EMKG_ASSETS_DIR` can name a `node_modules` folder, and without one each page says what it
lacks and keeps its tables (the editor becomes a plain form).
"""

from __future__ import annotations

import os
from pathlib import Path

ASSETS_DIR_VARIABLE = "EMKG_ASSETS_DIR"
YASGUI_DIR_VARIABLE = "EMKG_YASGUI_DIR"
JS = "text/javascript; charset=utf-8"
CSS = "text/css; charset=utf-8"

#: the files of each npm library that pages load: name served -> path under node_modules
LIBRARIES: dict[str, dict[str, tuple[str, str]]] = {
    "swagger-ui": {
        "swagger-ui.css": ("swagger-ui-dist/swagger-ui.css", CSS),
        "swagger-ui-bundle.js": ("swagger-ui-dist/swagger-ui-bundle.js", JS),
    },
    "vis-timeline": {
        "vis-timeline-graph2d.min.js": (
            "vis-timeline/standalone/umd/vis-timeline-graph2d.min.js",
            JS,
        ),
        "vis-timeline-graph2d.min.css": ("vis-timeline/styles/vis-timeline-graph2d.min.css", CSS),
    },
    "chart.js": {"chart.umd.min.js": ("chart.js/dist/chart.umd.min.js", JS)},
}
YASGUI_FILES = {
    "yasgui.min.js": "text/javascript; charset=utf-8",
    "yasgui.min.css": "text/css; charset=utf-8",
    "yasgui.min.js.map": "application/json",
}


def node_modules() -> Path:
    """Where npm installed the front-end libraries: `EMKG_ASSETS_DIR`, else the checkout's
    `node_modules/` (an installed wheel has none: the pages then say what is missing)."""
    configured = os.environ.get(ASSETS_DIR_VARIABLE, "").strip()
    return Path(configured) if configured else Path(__file__).resolve().parents[1] / "node_modules"


def yasgui_dir() -> Path:
    configured = os.environ.get(YASGUI_DIR_VARIABLE, "").strip()
    return Path(configured) if configured else node_modules() / "@zazuko" / "yasgui" / "build"


def yasgui_available() -> bool:
    folder = yasgui_dir()
    return all((folder / name).is_file() for name in ("yasgui.min.js", "yasgui.min.css"))


def library_ready(library: str) -> bool:
    """Every file of one of `LIBRARIES` is there to be served."""
    if library == "yasgui":
        return yasgui_available()
    folder = node_modules()
    return all((folder / path).is_file() for path, _ in LIBRARIES[library].values())
