"""Cube model files that are Jinja templates, rendered so that every line keeps its number.

Cube renders a YAML model file with Jinja before parsing it, with `COMPILE_CONTEXT` (the
request's security context) in scope. segq has no request at load time, so it renders with an
*empty* security context: whatever the template hides from an unknown team stays hidden (the
shared example masks user names unless the team is trusted). What is static (comments,
`{% set %}`, macros, `{{ ... }}` over them) is rendered in place; the statement lines become
blank lines and each `{{ ... }}` is replaced on its own line, so an error or a definition still
points at its line in the file the author wrote. A template with control flow around the YAML
itself (`{% for %}`, `{% if %}` outside a macro) is rendered whole, with a warning that line
numbers after it may be off.
"""

from __future__ import annotations

import re
from typing import Any

from jinja2 import ChainableUndefined, TemplateError
from jinja2.sandbox import SandboxedEnvironment

from assistant.errors import Issue

MARKERS = ("{{", "{%", "{#")
_TAG = re.compile(r"\{#.*?#\}|\{%-?\s*(\w+).*?-?%\}|\{\{.*?\}\}", re.S)
_STATIC = {"set", "endset", "import", "from"}


def is_template(text: str) -> bool:
    return any(m in text for m in MARKERS)


def _environment() -> SandboxedEnvironment:
    # Sandboxed: a model file is data, it must not reach Python objects; undefined names
    # (a security context without a team) read as empty, as in Cube with no context
    return SandboxedEnvironment(undefined=ChainableUndefined, keep_trailing_newline=True)


def _context() -> dict[str, Any]:
    return {"COMPILE_CONTEXT": {"securityContext": {}}}


def _line(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def _blank(chunk: str) -> str:
    return "\n" * chunk.count("\n")


def render(text: str, shown: str) -> tuple[str, list[Issue]]:
    """The YAML a Cube template renders to with an empty security context, and any issue."""
    if not is_template(text):
        return text, []
    env = _environment()
    try:
        module = env.from_string(text).make_module(_context())
    except TemplateError as exc:
        line = getattr(exc, "lineno", None) or 1
        return "", [Issue("error", f"is a Jinja template that does not render: {exc}.",
                          f"{shown}:{line}", "jinja")]
    names = {**_context(), **{k: getattr(module, k) for k in dir(module)
                              if not k.startswith("_")}}
    issues: list[Issue] = []
    if "COMPILE_CONTEXT" in text:
        issues.append(Issue("warning", "renders with the security context (COMPILE_CONTEXT); "
                            "segq renders it with an empty one, so what the template shows "
                            "only to some teams stays hidden (masked members are not "
                            "imported).", f"{shown}:{_line(text, text.index('COMPILE_CONTEXT'))}",
                            "jinja-context"))
    out: list[str] = []
    position, depth = 0, 0
    for match in _TAG.finditer(text):
        chunk, tag = match.group(0), match.group(1) or ""
        out.append(text[position:match.start()] if depth == 0 else _blank(
            text[position:match.start()]))
        position = match.end()
        if tag in ("macro", "call", "raw"):
            depth += 1
        elif tag in ("endmacro", "endcall", "endraw"):
            depth -= 1
        elif chunk.startswith("{%") and depth == 0 and tag not in _STATIC:
            return _whole(env, text, shown, _line(text, match.start()), issues)
        if chunk.startswith("{{") and depth == 0:
            try:
                out.append(env.from_string(chunk).render(names).strip())
            except TemplateError as exc:
                return "", [*issues, Issue("error", f"has a Jinja expression that does not "
                                           f"render: {exc}.",
                                           f"{shown}:{_line(text, match.start())}", "jinja")]
        else:
            out.append(_blank(chunk))
    out.append(text[position:])
    return "".join(out), issues


def _whole(env: SandboxedEnvironment, text: str, shown: str, line: int,
           issues: list[Issue]) -> tuple[str, list[Issue]]:
    try:
        rendered = env.from_string(text).render(_context())
    except TemplateError as exc:
        return "", [*issues, Issue("error", f"is a Jinja template that does not render: {exc}.",
                                   f"{shown}:{line}", "jinja")]
    return rendered, [*issues, Issue("warning", "uses Jinja control flow around the model "
                                     "itself; it is rendered whole, so line numbers after this "
                                     "line may be off.", f"{shown}:{line}", "jinja-lines")]
