"""The durable query log: every question from every surface, and what answered it.

The data team reviews it to see what people ask, which definition version produced each
number, what failed or was unanswerable (the backlog for new definitions), and why a number
changed (a definition's hash changed between two answers). Schema: `docs/query-log.md`.

    schema.py   tables, migrations (`PRAGMA user_version`), how values are stored
    store.py    the file: WAL, a connection per operation, short retried transactions
    writes.py   record, record_catalog, set_thread, add_feedback (never raise)
    reports.py  list, get, stats, definition_history, export
    workbench.py  the views of `segq web`: overview, backlog, likely wrong, eval runs
    threads.py  Slack replies: delivery, a thread's previous plan, thumbs-down reasons
"""

from __future__ import annotations

from assistant.querylog.reports import CSV_FIELDS, EXPORT_FORMATS, Records
from assistant.querylog.schema import (
    ANSWER_COLUMNS,
    DEFINITION_COLUMNS,
    FEEDBACK_REASONS,
    FEEDBACK_VALUES,
    MIGRATIONS,
    SCHEMA_VERSION,
    SOURCES,
    normalise_question,
    utc_iso,
)
from assistant.querylog.store import BUSY_TIMEOUT_MS, WRITE_ATTEMPTS
from assistant.querylog.threads import Threads
from assistant.querylog.workbench import Workbench
from assistant.querylog.writes import Writes

__all__ = [
    "ANSWER_COLUMNS",
    "BUSY_TIMEOUT_MS",
    "CSV_FIELDS",
    "DEFINITION_COLUMNS",
    "EXPORT_FORMATS",
    "FEEDBACK_REASONS",
    "FEEDBACK_VALUES",
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "SOURCES",
    "WRITE_ATTEMPTS",
    "QueryLog",
    "Records",
    "normalise_question",
    "utc_iso",
]


class QueryLog(Writes, Workbench, Threads):
    """One SQLite file of answers; cheap to construct, safe to share between threads.

    `clock` exists for tests and backfills; it returns the time stamped on each write.
    """
