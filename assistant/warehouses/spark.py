"""Spark through PySpark: local mode over Parquet files, or a cluster.

* `spark://local/ABS/DIR` runs Spark in this process (`local[2]`) and reads each
  `DIR/<table>.parquet` (a file or a directory of parts) as a temporary view named `<table>`;
  this is what `segq demo build --engine spark` writes.
* `spark://HOST:PORT[/DATABASE]` attaches to a standalone cluster and reads the tables of
  DATABASE (default `default`); `sc://HOST:PORT` does the same through Spark Connect.

Read-only: the session is never handed SQL that is not one SELECT without writes (the
validator checks every answer, and `execute` checks again at the door, because Spark runs DDL
and commands as soon as it parses them); local views are plain reads of files segq wrote
read-only. Timeout: each query runs in its own job group, cancelled when the timer fires.
One SparkSession per process is shared; each adapter has its own session state (views, SQL
settings) on it, so two adapters over different directories do not see each other's tables.
"""

from __future__ import annotations

import re
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from assistant import messages
from assistant.errors import ConfigError, ExecutionError, WarehouseError
from assistant.executor import Result
from assistant.warehouses.base import only_select

TABLES = ("users", "sessions", "events", "orders")
SESSION_CONF = {
    "spark.sql.session.timeZone": "UTC",  # dates from timestamps the same as on the other engines
    "spark.ui.showConsoleProgress": "false",
}
# Local mode serves small data on a laptop or CI box: planning, not data, is the cost there,
# so few partitions, no adaptive re-planning and no code generation (measured about 2x faster
# on the eval questions at 3,000 users; see benchmarks/bench_engines.py for 200k users).
LOCAL_CONF = {
    "spark.ui.enabled": "false",
    "spark.driver.memory": "2g",
    "spark.sql.shuffle.partitions": "2",
    "spark.sql.adaptive.enabled": "false",
    "spark.sql.codegen.wholeStage": "false",
}
_URL = re.compile(r"^(?P<scheme>spark|sc)://(?P<host>[^/]+)(?P<path>/.*)?$", re.I)
_SHARED: dict[str, Any] = {}
_SHARED_LOCK = threading.Lock()


def _pyspark() -> Any:
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise ConfigError(messages.engine_not_installed("Spark", "spark")) from None
    return SparkSession


def shared_session(master: str = "local[2]", remote: str | None = None) -> Any:
    """The process's SparkSession (a JVM starts once; later calls reuse it)."""
    key = remote or master
    with _SHARED_LOCK:
        if key not in _SHARED:
            builder = _pyspark().builder.appName("segq")
            builder = builder.remote(remote) if remote else builder.master(master)
            local = remote is None and master.startswith("local")
            conf = {**SESSION_CONF, **(LOCAL_CONF if local else {})}
            for name, value in conf.items():
                builder = builder.config(name, value)
            session = builder.getOrCreate()
            if not remote:
                session.sparkContext.setLogLevel("ERROR")
            _SHARED[key] = session
        return _SHARED[key]


class SparkWarehouse:
    dialect = "spark"

    def __init__(self, url: str, *, timeout_s: float = 30.0, row_cap: int = 10_000) -> None:
        match = _URL.match(url)
        if match is None:
            raise ConfigError(f"Warehouse `{url}` is not a Spark URL. Accepted: "
                              "spark://local/ABSOLUTE/DIR, spark://HOST:PORT[/DATABASE], "
                              "sc://HOST:PORT[/DATABASE].")
        self.url = url
        self.timeout_s = timeout_s
        self.row_cap = row_cap
        self._scheme, self._host = match["scheme"].lower(), match["host"]
        self._path = (match["path"] or "").rstrip("/")
        self._session: Any = None
        self._lock = threading.Lock()

    @property
    def key(self) -> str:
        return self.url

    @property
    def local(self) -> bool:
        return self._scheme == "spark" and self._host == "local"

    # -- the interface --------------------------------------------------------------------
    def schema(self) -> dict[str, dict[str, str]]:
        session = self.session()
        tables = TABLES if self.local else [t.name for t in session.catalog.listTables()]
        schema: dict[str, dict[str, str]] = {}
        for table in tables:
            for field in session.table(table).schema.fields:
                schema.setdefault(table, {})[field.name] = field.dataType.simpleString()
        return schema

    def execute(self, sql: str, *, row_cap: int | None = None,
                timeout_s: float | None = None) -> Result:
        only_select(sql, self.dialect)
        cap = row_cap or self.row_cap
        limit = self.timeout_s if timeout_s is None else max(0.001, min(timeout_s,
                                                                       self.timeout_s))
        session = self.session()
        group = f"segq-{uuid.uuid4().hex}"
        fired, done = threading.Event(), threading.Event()
        context = session.sparkContext

        def interrupt() -> None:
            # A query may still be planning when its time is up and start its jobs later, so
            # the group is cancelled again until the query has given up.
            fired.set()
            while not done.is_set():
                context.cancelJobGroup(group)
                done.wait(0.2)

        timer = threading.Timer(limit, interrupt)
        started = time.perf_counter()
        # the job group is this thread's (PySpark pins each Python thread to a JVM thread)
        context.setJobGroup(group, "segq query", interruptOnCancel=True)
        timer.start()
        try:
            frame = session.sql(sql)
            columns = list(frame.columns)
            rows = [tuple(r) for r in frame.take(cap + 1)]
        except Exception as exc:  # py4j and pyspark errors share no base class worth naming
            if fired.is_set():
                raise ExecutionError(messages.QUERY_TIMEOUT.format(seconds=round(limit, 2)),
                                     reason="timeout") from None
            raise ExecutionError(messages.QUERY_FAILED.format(reason=_one_line(exc)),
                                 reason=type(exc).__name__) from None
        finally:
            done.set()
            timer.cancel()
            context.setLocalProperty("spark.jobGroup.id", None)
        return Result(columns, rows[:cap], len(rows) > cap, time.perf_counter() - started)

    def explain(self, sql: str) -> None:
        """Spark analyses a query when it is parsed into a DataFrame; nothing runs."""
        only_select(sql, self.dialect)
        try:
            self.session().sql(sql)
        except Exception as exc:  # an AnalysisException names the missing column or table
            raise ExecutionError(messages.QUERY_FAILED.format(reason=_one_line(exc)),
                                 reason=type(exc).__name__) from None

    def warm(self) -> None:
        self.session()

    def close(self) -> None:
        """The shared SparkSession stays up for the process; only this adapter's state goes."""
        with self._lock:
            self._session = None

    # -- the session ----------------------------------------------------------------------
    def session(self) -> Any:
        with self._lock:
            if self._session is None:
                self._session = self._open()
            return self._session

    def _open(self) -> Any:
        try:
            if self._scheme == "sc":
                root = shared_session(remote=f"sc://{self._host}")
            else:
                root = shared_session("local[2]" if self.local else f"spark://{self._host}")
            session = root if self._scheme == "sc" else root.newSession()
            if self.local:
                self._register_views(session)
            elif self._path.strip("/"):
                session.catalog.setCurrentDatabase(self._path.strip("/"))
        except (ConfigError, WarehouseError):
            raise
        except Exception as exc:  # the JVM or the cluster did not come up
            raise WarehouseError(messages.warehouse_unreadable(self.url, exc),
                                 reason=type(exc).__name__) from None
        return session

    def _register_views(self, session: Any) -> None:
        directory = Path(self._path)
        for table in TABLES:
            source = directory / f"{table}.parquet"
            if not source.exists():
                raise WarehouseError(messages.warehouse_missing(source))
            # cached in memory once read: the files are small and every question reads them
            session.read.parquet(str(source)).cache().createOrReplaceTempView(table)


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return (text.splitlines() or [type(exc).__name__])[0][:500]
