"""Settings declared once: name, default, help, bounds, environment variable.

CLI help, docs (`docs/configuration.md`) and validation all come from `SETTINGS`.
The environment is read only here, at the edge (`load_config(path, environ)`);
pipeline stages receive a `Config` and never read `os.environ` themselves.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from datetime import date
from pathlib import Path
from typing import Any

from assistant.errors import ConfigError

PACKAGE_DIR = Path(__file__).resolve().parent
REPO_DIR = PACKAGE_DIR.parent
CACHE_DIR = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "segq"


def _default_models_dir() -> str:
    bundled = REPO_DIR / "semantic_models"
    return str(bundled if bundled.is_dir() else Path("semantic_models"))


@dataclass(frozen=True)
class Setting:
    name: str
    env: str
    default: Any
    help: str
    parse: Callable[[str], Any] = str
    bounds: tuple[float, float] | None = None
    choices: tuple[str, ...] | None = None
    secret: bool = False


def _date(text: str) -> date:
    return date.fromisoformat(str(text))


def _bool(text: str) -> bool:
    return str(text).strip().lower() in {"1", "true", "yes", "on"}


SETTINGS: tuple[Setting, ...] = (
    Setting("warehouse", "SEGQ_WAREHOUSE", str(CACHE_DIR / "demo.duckdb"),
            "Warehouse to query: a DuckDB file (the default is the embedded demo, built on "
            "first use), postgresql://USER@HOST/DB, spark://local/DIR, spark://HOST:PORT[/DB] "
            "or sc://HOST:PORT (docs/engines.md)."),
    Setting("as_of", "SEGQ_AS_OF", date(2026, 6, 30),
            "Date every segment is computed as of (the demo pins 2026-06-30).", _date),
    Setting("semantic_models", "SEGQ_SEMANTIC_MODELS", _default_models_dir(),
            "Governed definitions: a directory of segq YAML, or a dbt project, Cube model "
            "folder, Cortex Analyst YAML file or a mix (docs/importing.md). With no warehouse "
            "set, a shared example's own data becomes the warehouse."),
    Setting("query_log", "SEGQ_QUERY_LOG", str(CACHE_DIR / "querylog.sqlite3"),
            "SQLite file where every question and answer is recorded."),
    Setting("result_cache", "SEGQ_RESULT_CACHE", True,
            "Answer an identical validated query on an unchanged DuckDB warehouse from stored "
            "rows (docs/performance.md); off: every question runs.", _bool),
    Setting("cache_dir", "SEGQ_CACHE_DIR", "",
            "Folder of segq's caches (result cache, compiled catalog); empty: the query log's "
            "folder."),
    Setting("planner", "SEGQ_PLANNER", "rules",
            "Which planner turns questions into QueryPlans.", choices=("rules", "llm", "auto")),
    Setting("llm_model", "SEGQ_LLM_MODEL", "gpt-4o-mini", "Chat model used by the llm planner."),
    Setting("openai_api_key", "OPENAI_API_KEY", "",
            "API key for the llm planner; without it no OpenAI client is built.", secret=True),
    Setting("openai_base_url", "OPENAI_BASE_URL", "",
            "Any OpenAI-compatible endpoint, e.g. http://localhost:8000/v1."),
    Setting("llm_timeout_s", "SEGQ_LLM_TIMEOUT", 30.0, "Seconds to wait for the LLM.", float,
            (1, 600)),
    Setting("query_timeout_s", "SEGQ_QUERY_TIMEOUT", 30.0,
            "Seconds a query may run before it is interrupted.", float, (0.1, 3600)),
    Setting("question_timeout_s", "SEGQ_QUESTION_TIMEOUT", 30.0,
            "Seconds one question may take across plan, compile, validate and execute; past it "
            "the answer is a worded error.", float, (0.1, 3600)),
    Setting("max_question_chars", "SEGQ_MAX_QUESTION_CHARS", 2_000,
            "Longest question accepted, in characters; longer ones get a worded error.", int,
            (100, 100_000)),
    Setting("max_concurrent_queries", "SEGQ_MAX_CONCURRENT_QUERIES", 4,
            "Queries run at once on one warehouse file; a question beyond that is told the "
            "warehouse is busy.", int, (1, 256)),
    Setting("queue_wait_s", "SEGQ_QUEUE_WAIT", 1.0,
            "Seconds a question waits for a free query slot before it is told to try again.",
            float, (0, 60)),
    Setting("row_cap", "SEGQ_ROW_CAP", 10_000,
            "Most rows a query returns; larger results are marked truncated.", int, (1, 1_000_000)),
    Setting("min_confidence", "SEGQ_MIN_CONFIDENCE", 0.6,
            "Below this planner confidence segq clarifies or refuses instead of answering.",
            float, (0, 1)),
    Setting("allow_pii", "SEGQ_ALLOW_PII", False,
            "Allow restricted (PII) columns such as email in answers.", _bool),
    Setting("cli_user", "SEGQ_USER", "",
            "Who a terminal user is to the access policy (`cli_users` in docs/access.md); "
            "empty: the login name.", str),
    Setting("demo_users", "SEGQ_DEMO_USERS", 20_000, "Users in the auto-built demo.", int,
            (100, 10_000_000)),
    Setting("web_token", "SEGQ_WEB_TOKEN", "",
            "Token `segq web` demands of every request; required to bind beyond localhost.",
            secret=True),
)

_BY_NAME = {s.name: s for s in SETTINGS}


@dataclass(frozen=True)
class Config:
    warehouse: str
    as_of: date
    semantic_models: str
    query_log: str
    result_cache: bool
    cache_dir: str
    planner: str
    llm_model: str
    openai_api_key: str
    openai_base_url: str
    llm_timeout_s: float
    query_timeout_s: float
    question_timeout_s: float
    max_question_chars: int
    max_concurrent_queries: int
    queue_wait_s: float
    row_cap: int
    min_confidence: float
    allow_pii: bool
    cli_user: str
    demo_users: int
    web_token: str

    @property
    def uses_default_demo(self) -> bool:
        return self.warehouse == _BY_NAME["warehouse"].default or (
            "://" not in self.warehouse
            and Path(self.warehouse) == Path(_BY_NAME["warehouse"].default))

    @property
    def cache_path(self) -> Path:
        """Where caches live: `cache_dir`, else the query log's folder."""
        return Path(self.cache_dir or Path(self.query_log).expanduser().parent).expanduser()

    @property
    def llm_configured(self) -> bool:
        return bool(self.openai_api_key)

    def replace(self, **changes: Any) -> Config:
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        values.update({k: _coerce(_BY_NAME[k], v, "override") for k, v in changes.items()})
        return Config(**values)


def _coerce(setting: Setting, raw: Any, origin: str) -> Any:
    try:
        value = raw if isinstance(raw, type(setting.default)) else setting.parse(raw)
    except (TypeError, ValueError) as exc:
        raise ConfigError(
            f"Setting `{setting.name}` from {origin} has value {raw!r} that cannot be read "
            f"({exc}). Expected like {setting.default!r}."
        ) from None
    if setting.bounds and not (setting.bounds[0] <= value <= setting.bounds[1]):
        lo, hi = setting.bounds
        raise ConfigError(
            f"Setting `{setting.name}`={value} from {origin} is outside its bounds {lo}..{hi}."
        )
    if setting.choices and value not in setting.choices:
        raise ConfigError(
            f"Setting `{setting.name}`={value!r} from {origin} is not one of "
            f"{', '.join(setting.choices)}."
        )
    return value


def load_config(path: str | Path | None = None, environ: Mapping[str, str] | None = None) -> Config:
    """Defaults, then the config file (`SEGQ_CONFIG` or `path`), then environment variables."""
    environ = os.environ if environ is None else environ
    values: dict[str, Any] = {s.name: s.default for s in SETTINGS}
    path = path or environ.get("SEGQ_CONFIG")
    if path:
        file_values = _read_config_file(Path(path))
        for key, raw in file_values.items():
            if key not in _BY_NAME:
                from assistant.messages import did_you_mean

                raise ConfigError(
                    f"Config file {path} has unknown setting `{key}`. Accepted: "
                    f"{', '.join(_BY_NAME)}.{did_you_mean(key, list(_BY_NAME))}"
                )
            values[key] = _coerce(_BY_NAME[key], raw, str(path))
    for setting in SETTINGS:
        if environ.get(setting.env):
            values[setting.name] = _coerce(setting, environ[setting.env], setting.env)
    return Config(**values)


def _read_config_file(path: Path) -> dict[str, Any]:
    import yaml  # here, not at the top: most runs have no config file to read

    try:
        data = yaml.safe_load(path.read_text()) or {}
    except FileNotFoundError:
        raise ConfigError(f"Config file {path} does not exist.") from None
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else 0
        raise ConfigError(f"Config file {path}:{line} is not valid YAML: {exc.problem}.") from None
    if not isinstance(data, dict):
        raise ConfigError(f"Config file {path} must be a mapping of setting: value.")
    return data


def settings_table() -> str:
    """Markdown table of every setting, used by `docs/configuration.md` and `segq config`."""
    lines = ["| setting | environment | default | meaning |", "| --- | --- | --- | --- |"]
    for s in SETTINGS:
        default = "(unset)" if s.secret or s.default == "" else f"`{s.default}`"
        if s.name in {"warehouse", "query_log", "semantic_models"}:
            default = "see meaning"
        extra = f" Bounds {s.bounds[0]}..{s.bounds[1]}." if s.bounds else ""
        extra += f" One of {', '.join(s.choices)}." if s.choices else ""
        lines.append(f"| `{s.name}` | `{s.env}` | {default} | {s.help}{extra} |")
    return "\n".join(lines)
