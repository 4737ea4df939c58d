"""The shared third-party models (`../shared/external/`) as a configured segq, for scenario
tests that ask questions over them. Tests skip when the folder is absent."""

from __future__ import annotations

from pathlib import Path

from assistant.config import load_config

SHARED = Path(__file__).resolve().parents[2] / "shared" / "external"


def shared_config(tmp_path: Path, models: str, as_of: str):
    """segq over `SHARED / models` at `as_of`, its query log and caches under `tmp_path`."""
    return load_config(environ={
        "SEGQ_SEMANTIC_MODELS": str(SHARED / models),
        "SEGQ_QUERY_LOG": str(tmp_path / "log.sqlite3"), "SEGQ_AS_OF": as_of,
        "XDG_CACHE_HOME": str(tmp_path / "cache")})
