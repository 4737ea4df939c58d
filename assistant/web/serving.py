"""Where the workbench may listen: loopback freely, anywhere else only behind a token.

The query log holds every question people asked and the SQL that answered it, so exposing it
beyond this machine must be a decision (`--host 0.0.0.0 --token ...`), not an accident.
"""

from __future__ import annotations

import ipaddress
import logging
from typing import Any

from assistant.errors import ConfigError

log = logging.getLogger("segq")

LOOPBACK = "127.0.0.1"
MIN_TOKEN_CHARS = 16


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_binding(host: str, token: str | None) -> str | None:
    """The token the app must demand on `host`; a worded error when that cannot be safe."""
    if token is not None and len(token) < MIN_TOKEN_CHARS:
        raise ConfigError(
            f"The web token is {len(token)} characters long; use at least {MIN_TOKEN_CHARS} "
            "(for example `python -c 'import secrets; print(secrets.token_urlsafe())'`)."
        )
    if not is_loopback(host) and not token:
        raise ConfigError(
            f"`segq web --host {host}` would show the query log to other machines. Set a "
            "token (`--token` or env SEGQ_WEB_TOKEN) to bind beyond localhost, or keep the "
            f"default host {LOOPBACK}."
        )
    return token or None


def serve(app: Any, host: str, port: int, threads: int = 4) -> None:
    """Serve with waitress until interrupted."""
    from waitress import serve as waitress_serve

    log.info("segq web on http://%s:%d/ (read-only; Ctrl-C stops it)", host, port)
    waitress_serve(app, host=host, port=port, threads=threads, ident="segq-web")
