"""The compiled catalog cache: a new process skips YAML, model building and SQL parsing.

Loading `semantic_models/` costs a cold `segq ask` about 200 ms (YAML, typed models, the access
policy, every SQL fragment parsed by the catalog rules) and its first question another 50-100
ms (the rules planner's lexicon, the fragments its SQL is built from). All of it depends only
on the model files and on segq's code, so the result is pickled under the cache directory
(`cache_dir`, by default the query log's folder) as `catalog-<directory hash>.pickle`, keyed by:

- the content hash of every model file (and the directory as configured, since `file:line`
  sources are written relative to it),
- a stamp (size, mtime) of segq's own modules and of the sqlglot, pydantic and PyYAML packages
  it pickles objects of, plus the Python version, so an upgrade or an edit rebuilds it.

Only a native segq directory with no errors is cached (foreign formats and broken models load
as before, every time). A missing, stale, unreadable or damaged cache file is rebuilt from the
YAML; nothing about it can fail a load. The file is written aside and renamed into place, so a
reader never sees half of it.

The parsed SQL fragments are pickled apart, as bytes inside the file, and unpickled only when
the compiler first needs one (`pending_fragments`): a question answered from the result cache
then never imports sqlglot.
"""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
import sys
import tempfile
from importlib.util import find_spec
from pathlib import Path
from typing import Any
from weakref import WeakKeyDictionary

from assistant.catalog.models import Catalog

log = logging.getLogger("segq.catalog")

FORMAT = 2  # 2: the parsed fragments are a pickle of their own
PACKAGE = Path(__file__).resolve().parents[1]
_DEPENDENCIES = ("sqlglot", "pydantic", "pydantic_core", "yaml")


# What planners derived from a catalog snapshot (its lexicon), restored from the cache. Kept
# beside the catalog rather than in it, so a changed copy (`dataclasses.replace`, a principal's
# scoped view) never inherits the full catalog's lexicon.
_DERIVED: WeakKeyDictionary[Catalog, dict[str, Any]] = WeakKeyDictionary()
_PENDING: list[bytes] = []  # pickled fragment trees read from caches, not yet unpickled


def derived(catalog: Catalog, name: str) -> Any:
    """What the cache restored for `catalog` under `name` (None: derive it as usual)."""
    return _DERIVED.get(catalog, {}).get(name)


def code_stamp() -> str:
    """Changes when segq's modules or the libraries whose objects are pickled change."""
    digest = hashlib.sha256(f"{FORMAT}|{sys.version}".encode())
    for path in sorted(PACKAGE.rglob("*.py")):
        info = path.stat()
        digest.update(f"{path}|{info.st_size}|{info.st_mtime_ns}\n".encode())
    for name in _DEPENDENCIES:
        spec = find_spec(name)
        origin = Path(spec.origin) if spec is not None and spec.origin else None
        if origin is not None and origin.exists():
            info = origin.stat()
            digest.update(f"{origin}|{info.st_size}|{info.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def models_hash(directory: Path) -> str:
    """The content hash of every model file under `directory`, by name."""
    from assistant.importers.detect import yaml_files

    digest = hashlib.sha256(f"{directory}|{Path.cwd()}".encode())
    for path in yaml_files(directory):
        digest.update(f"{path}\0".encode() + hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def cache_file(directory: Path, cache_dir: Path) -> Path:
    where = hashlib.sha256(f"{directory.resolve()}|{directory}".encode()).hexdigest()[:16]
    return cache_dir / f"catalog-{where}.pickle"


def load_cached(directory: str | Path, cache_dir: str | Path) -> Catalog:
    """`load_catalog(directory)`, from the compiled cache when its key still matches."""
    from assistant.catalog import load_catalog
    from assistant.importers import is_native_directory

    directory, cache_dir = Path(directory), Path(cache_dir)
    if not directory.is_dir():
        return load_catalog(directory)
    try:
        key = f"{code_stamp()}|{models_hash(directory)}"
    except OSError:  # a file vanished while being read: load it the ordinary way
        return load_catalog(directory)
    path = cache_file(directory, cache_dir)
    # Only a native directory is ever written, and the key hashes every YAML file under it
    # (names and bytes), so a hit is a directory that is still native: it is not classified
    # again, which would parse every model file (and import the YAML loader) at each start.
    catalog = _read(path, key)
    if catalog is not None:
        return catalog
    if not is_native_directory(directory):
        return load_catalog(directory)
    catalog = load_catalog(directory)  # raises CatalogError for broken models: not cached
    _write(path, key, compiled(catalog))
    return catalog


def compiled(catalog: Catalog) -> dict[str, Any]:
    """What a process would otherwise derive from the catalog on its first question."""
    from assistant.catalog.sql_rules import fragments
    from assistant.compiler.sql import parsed_fragments
    from assistant.planner.lexicon import build_lexicon, vocabulary

    wanted = {(f.sql, f.condition) for f in fragments(catalog)}
    return {"catalog": catalog, "lexicon": build_lexicon(catalog),
            "vocabulary": vocabulary(catalog),
            "fragments": pickle.dumps({k: v for k, v in parsed_fragments().items()
                                       if k in wanted}, protocol=pickle.HIGHEST_PROTOCOL)}


def _read(path: Path, key: str) -> Catalog | None:
    try:
        with path.open("rb") as handle:
            stored = pickle.load(handle)
        if not isinstance(stored, dict) or stored.get("key") != key:
            return None
        payload = stored["payload"]
        catalog = payload["catalog"]
        if not isinstance(catalog, Catalog):
            return None
    except FileNotFoundError:
        return None
    except Exception as exc:  # damaged, truncated, written by other code: rebuilt
        log.info("compiled catalog cache %s unreadable (%r); rebuilding it", path, exc)
        return None
    _DERIVED[catalog] = {"lexicon": payload["lexicon"], "vocabulary": payload["vocabulary"]}
    if isinstance(payload.get("fragments"), bytes):
        _PENDING.append(payload["fragments"])
    return catalog


def pending_fragments() -> list[bytes]:
    """The pickled fragment trees read from caches since the last call (each given once)."""
    taken = []
    while _PENDING:
        taken.append(_PENDING.pop())
    return taken


def _write(path: Path, key: str, payload: dict[str, Any]) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        blob = pickle.dumps({"key": key, "payload": payload}, protocol=pickle.HIGHEST_PROTOCOL)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(blob)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    except Exception as exc:  # a read-only or full disk: the next process loads the YAML
        log.info("compiled catalog cache %s not written: %r", path, exc)
