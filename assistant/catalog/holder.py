"""The catalog a long-running process serves (the Slack bot), reloaded when its files change.

An edit to `semantic_models/` reaches the bot without a restart; an edit that breaks the
models does not take it down: the last valid catalog keeps answering and every issue of the
failed reload is logged with `file:line`, once per change of the files.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path

from assistant.catalog.models import Catalog
from assistant.errors import CatalogError, Issue

log = logging.getLogger("segq.catalog")

Stamp = tuple[tuple[str, int, int], ...]


def files_stamp(directory: Path) -> Stamp:
    """Name, size and mtime of every model file: cheap to take, changes with any edit."""
    from assistant.importers.detect import yaml_files

    stamp = []
    try:  # a dbt project keeps its models in subfolders; a single Cortex file is itself
        paths = [directory] if directory.is_file() else list(yaml_files(directory))
    except OSError:
        return ()
    for path in paths:
        try:
            info = path.stat()
        except OSError:
            continue
        stamp.append((str(path), info.st_size, info.st_mtime_ns))
    return tuple(stamp)


class CatalogHolder:
    """Hands out the current catalog; checks the files at most every `check_every_s`.

    The first load raises CatalogError: there is nothing valid to serve yet. Later a reload
    runs in whichever thread notices the change while the others keep the catalog they have.
    """

    def __init__(self, directory: str | Path, *, check_every_s: float = 2.0,
                 loader: Callable[[Path], Catalog] | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        from assistant.catalog import load_catalog

        self.directory = Path(directory)
        self.check_every_s = check_every_s
        self._load = loader or load_catalog
        self._clock = clock
        self._lock = threading.Lock()
        self._stamp = files_stamp(self.directory)
        self._catalog = self._load(self.directory)
        self._checked = clock()
        self.issues: list[Issue] = []  # of the last failed reload; empty once one succeeds

    def current(self) -> Catalog:
        if self._clock() - self._checked >= self.check_every_s and self._lock.acquire(False):
            try:
                self._checked = self._clock()
                self._reload_if_changed()
            finally:
                self._lock.release()
        return self._catalog

    def _reload_if_changed(self) -> None:
        stamp = files_stamp(self.directory)
        if stamp == self._stamp:
            return
        self._stamp = stamp  # a broken edit is reported once, not at every check
        try:
            catalog = self._load(self.directory)
        except CatalogError as exc:
            self.issues = exc.issues or [Issue("error", exc.message, str(self.directory))]
            log.error("%s Still serving the catalog loaded before; fix these and save:\n%s",
                      exc.message, "\n".join(f"  {i}" for i in self.issues))
            return
        except Exception as exc:  # whatever happens, the last valid catalog keeps serving
            self.issues = [Issue("error", f"reload failed: {exc!r}", str(self.directory))]
            log.exception("reloading %s failed; still serving the catalog loaded before",
                          self.directory)
            return
        self._catalog, self.issues = catalog, []
        log.info("reloaded the semantic models from %s (%d segments, %d metrics)",
                 self.directory, len(catalog.segments), len(catalog.metrics))
