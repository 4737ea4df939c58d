"""The workbench's Flask app: one route per page, each a query on the log and a template.

Read-only by construction: only GET routes, and every query goes through `Workbench`, whose
methods only read. When a token is set (required off localhost), each request must carry it
as `Authorization: Bearer TOKEN`, or once as `?token=TOKEN`, which sets an HTTP-only cookie
so links keep working.
"""

from __future__ import annotations

import hmac
import json
from datetime import date
from pathlib import Path
from typing import Any

from flask import Flask, Response, abort, make_response, redirect, render_template, request

from assistant.querylog.workbench import FEEDBACK_FILTERS, Workbench

COOKIE = "segq_web_token"
STATUSES = ("answered", "clarify", "refused", "error")


def create_app(log_path: str | Path, *, models_dir: str | Path | None = None,
               token: str | None = None, as_of: date | None = None,
               counts: Any = None, leftover: Any = None, rerun: Any = None) -> Flask:
    """The workbench over the query log at `log_path`.

    `models_dir` (the semantic models) enables the definitions pages; `counts`, a callable
    `(segment, member, dates) -> {date: n}`, adds member counts over time to them;
    `leftover`, `question -> words the rules planner cannot place`, adds that sign to the
    likely-wrong page; `rerun`, `(plan, question) -> Answer` (never logged), lets an answer
    page show rows, which the log does not keep.
    """
    app = Flask(__name__)
    app.config.update(WORKBENCH=Workbench(log_path), MODELS_DIR=models_dir, TOKEN=token,
                      AS_OF=as_of, COUNTS=counts, LEFTOVER=leftover, RERUN=rerun)
    app.jinja_env.filters.update(when=_when, ms=_ms, pct=_pct, pretty=_pretty)
    app.before_request(_check_token)
    from assistant.web import pages

    pages.register(app)
    return app


def workbench() -> Workbench:
    from flask import current_app

    bench: Workbench = current_app.config["WORKBENCH"]
    return bench


def _check_token() -> Response | None:
    from flask import current_app

    token = current_app.config["TOKEN"]
    if request.method not in ("GET", "HEAD"):
        abort(405)
    if not token:
        return None
    offered = request.args.get("token")
    header = request.headers.get("Authorization", "")
    for candidate in (offered, request.cookies.get(COOKIE),
                      header[7:] if header.startswith("Bearer ") else None):
        if candidate and hmac.compare_digest(candidate.encode(), token.encode()):
            if offered:  # swap the token in the address bar for a cookie
                args = {k: v for k, v in request.args.items() if k != "token"}
                query = "&".join(f"{k}={v}" for k, v in args.items())
                response = make_response(redirect(request.path + (f"?{query}" if query else "")))
                response.set_cookie(COOKIE, token, httponly=True, samesite="Strict")
                return response
            return None
    return Response("This workbench needs its token: open it once as /?token=TOKEN, or send "
                    "`Authorization: Bearer TOKEN`.\n", status=401, mimetype="text/plain")


def page(template: str, **context: Any) -> str:
    return render_template(template, statuses=STATUSES, feedback_filters=FEEDBACK_FILTERS,
                           **context)


def _when(iso: str | None) -> str:
    return "" if not iso else iso[:16].replace("T", " ")


def _ms(value: float | None) -> str:
    return "" if value is None else f"{value:,.0f}"


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


def _pretty(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False, default=str)
