"""HTTP mode in production: Bolt's WSGI adapter served by waitress, and a stop that loses nothing.

Bolt's own server (`App.start`) is for development: one thread and a listen backlog of 5, so
a burst of mentions leaves most requests without a response and Slack retries them. waitress
(Pylons project) is a production WSGI server in pure Python with no dependencies: an accept
loop that reads every connection (backlog 1024) and hands complete requests to a thread pool.

Two pools keep Slack's 3-second deadline. The request threads verify the signature, claim the
event (`dedupe.py`) and acknowledge, which takes milliseconds; the answering runs in the app's
listener executor. The app runs with `process_before_response=True` so that an ack is made in
the request thread and never waits behind answers for a free worker.

On SIGTERM or Ctrl-C the server stops reading requests, then the questions already accepted are
answered before the process exits: they are claimed, so Slack's retries of them would be
dropped everywhere.
"""

from __future__ import annotations

import logging
import signal
import sys
import threading
from concurrent.futures import Executor, ThreadPoolExecutor
from typing import Any

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler

log = logging.getLogger("segq.slack")

REQUEST_THREADS = 8  # each request is verified, claimed and acked in milliseconds
BACKLOG = 1024  # connections the OS queues while every request thread is busy
CONNECTION_LIMIT = 1000  # open connections before waitress stops accepting new ones
MAX_REQUEST_BYTES = 1_000_000  # Slack's payloads are a few kB


def answer_workers(count: int) -> ThreadPoolExecutor:
    """The pool that runs the lazy listeners (asking, posting), apart from the request threads."""
    return ThreadPoolExecutor(max_workers=count, thread_name_prefix="segq-answer")


def http_server(
    app: App, *, host: str, port: int, path: str, threads: int = REQUEST_THREADS
) -> Any:
    """A waitress server for `app` at `path`, bound and listening; `.run()` serves it.

    Port 0 binds a free port; `.effective_port` says which.
    """
    import waitress

    return waitress.create_server(
        SlackRequestHandler(app, path=path),
        host=host,
        port=port,
        threads=threads,
        backlog=BACKLOG,
        connection_limit=CONNECTION_LIMIT,
        max_request_body_size=MAX_REQUEST_BYTES,
        ident="segq",
    )


def serve(server: Any, workers: Executor) -> None:
    """Serve until SIGTERM or Ctrl-C, then stop reading requests and finish accepted answers."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _exit)
    try:
        server.run()  # returns on SystemExit or KeyboardInterrupt, after its threads finish
    finally:
        server.close()
        log.info("segq Slack bot: stopped reading requests; finishing accepted questions")
        workers.shutdown(wait=True)
        log.info("segq Slack bot: stopped")


def _exit(signum: int, frame: Any) -> None:
    sys.exit(0)
