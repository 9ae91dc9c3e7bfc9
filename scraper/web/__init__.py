"""`scraper serve`: the archive in a browser, read-only, through Datasette (the optional `web`
extra). The shipped `metadata.json` sets the facets, full-text search and canned queries; the
hooks in `plugin` render JSON lists, link articles to their versions and hide raw page bytes.
"""
from __future__ import annotations

import json
from importlib.resources import files
from pathlib import Path

ARCHIVE_KEY = "ARCHIVE"     # the database name in the shipped metadata, replaced by the real one


def _datasette():
    try:
        from datasette.app import Datasette
        from datasette.plugins import pm
    except ImportError as exc:
        raise RuntimeError("`scraper serve` needs Datasette: pip install 'scraper[web]'") from exc
    return Datasette, pm


def metadata_for(db: str | Path) -> dict:
    """The shipped metadata with its database entry named like Datasette names `db` (the file
    name without its extension)."""
    metadata = json.loads(files(__package__).joinpath("metadata.json").read_text("utf-8"))
    metadata["databases"] = {Path(db).stem: metadata["databases"][ARCHIVE_KEY]}
    return metadata


def build_app(db: str | Path):
    """A Datasette instance over `db`, opened read-only (Datasette's own mode=ro connection)."""
    datasette_class, pm = _datasette()
    from . import plugin

    if not pm.is_registered(plugin):
        pm.register(plugin, name="scraper")
    return datasette_class([str(db)], metadata=metadata_for(db),
                           settings={"sql_time_limit_ms": 3000, "facet_time_limit_ms": 500})


def serve(app, host: str = "127.0.0.1", port: int = 8001) -> None:
    """Run the web server for `build_app`'s app until interrupted (built first, so that a
    missing Datasette is said before anything claims to be serving)."""
    import uvicorn     # Datasette's own dependency

    uvicorn.run(app.app(), host=host, port=port, log_level="warning")
