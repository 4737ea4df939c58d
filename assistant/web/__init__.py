"""`segq web`: the data team's workbench, a read-only local web view over the query log.

Built on Flask (Pallets: maintained for over a decade, WSGI, so the waitress server that
already serves `segq slack --http` serves it too; Jinja2 templates escape every value by
default, which matters because every question in the log is untrusted text). Pages are
rendered on the server as plain HTML forms and links: no JavaScript is needed and nothing is
fetched from a CDN.

    app.py       the Flask app: routes, the token check, template helpers
    serving.py   binding rules (localhost unless a token is set) and the waitress server
"""

from __future__ import annotations

from assistant.web.app import create_app
from assistant.web.serving import LOOPBACK, check_binding, serve

__all__ = ["LOOPBACK", "check_binding", "create_app", "serve"]
