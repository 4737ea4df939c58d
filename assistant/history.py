"""Definition history that tells the truth: what changed, when, by whom, and through what.

A segment's numbers move when its own YAML changes *or* when anything it requires changes
(`lifecycle_stage` moves with `engaged_users`), so the history of a definition is the history
of its whole dependency closure. Where the models live in a git repository every commit that
touched them is a state; the working tree is one more state when it differs from HEAD. Each
change carries the YAML diff, the parameter changes in words, and whether the version was
bumped (`segq validate` fails when content changed but the version did not).

Content hashes are the catalog's own (`content_hash` of the YAML node), so a state from git
can be matched to the hashes the query log recorded with each answer.
"""

from __future__ import annotations

import difflib
import subprocess
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from assistant.catalog.documents import content_hash
from assistant.errors import Issue

KINDS = {"segments": "segment", "metrics": "metric", "dimensions": "dimension"}
WORKING_TREE = "working tree"

Nodes = dict[str, tuple[str, dict[str, Any], str]]  # name -> (kind, YAML node, file)


@dataclass(frozen=True)
class Revision:
    commit: str  # full hash, or WORKING_TREE
    author: str
    when: str  # ISO 8601
    subject: str

    @property
    def short(self) -> str:
        return self.commit[:10] if self.commit != WORKING_TREE else WORKING_TREE


@dataclass(frozen=True)
class Change:
    """One definition in the closure changed between two states."""

    name: str  # the definition whose YAML changed
    via: tuple[str, ...]  # requires-path from the asked definition to it; () when itself
    revision: Revision
    before: dict[str, Any] | None  # YAML node, None when added
    after: dict[str, Any] | None  # None when removed
    file: str
    words: tuple[str, ...] = field(default=())

    @property
    def version_before(self) -> int | None:
        return None if self.before is None else int(self.before.get("version", 1))

    @property
    def version_after(self) -> int | None:
        return None if self.after is None else int(self.after.get("version", 1))

    @property
    def hash_before(self) -> str | None:
        return None if self.before is None else content_hash(self.before)

    @property
    def hash_after(self) -> str | None:
        return None if self.after is None else content_hash(self.after)

    @property
    def version_bumped(self) -> bool:
        if self.before is None or self.after is None:
            return True
        return (self.version_after or 0) > (self.version_before or 0)

    @property
    def logic_changed(self) -> bool:
        if self.before is None or self.after is None:
            return True
        return logic_hash(self.before, _kind(self.after)) != logic_hash(self.after,
                                                                         _kind(self.after))

    @property
    def diff(self) -> str:
        return yaml_diff(self.before, self.after, self.file)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name, "via": list(self.via), "commit": self.revision.commit,
            "author": self.revision.author, "when": self.revision.when,
            "subject": self.revision.subject, "file": self.file,
            "version_before": self.version_before, "version_after": self.version_after,
            "hash_before": self.hash_before, "hash_after": self.hash_after,
            "version_bumped": self.version_bumped, "logic_changed": self.logic_changed,
            "words": list(self.words),
            "diff": self.diff,
        }


# -- reading states -------------------------------------------------------------------------


def _git(root: Path, *args: str) -> str:
    done = subprocess.run(["git", "-C", str(root), *args], capture_output=True,
                          encoding="utf-8", errors="replace", check=False, timeout=30)
    if done.returncode != 0:
        raise OSError(done.stderr.strip() or f"git {' '.join(args)} failed")
    return done.stdout


def git_root(directory: str | Path) -> Path | None:
    """The repository holding `directory`, or None when it is not in one (or git is absent)."""
    try:
        return Path(_git(Path(directory), "rev-parse", "--show-toplevel").strip())
    except (OSError, subprocess.SubprocessError):
        return None


def nodes_from_texts(texts: dict[str, str]) -> Nodes:
    """Every named definition in the given YAML files; unreadable files contribute nothing."""
    nodes: Nodes = {}
    for file, text in sorted(texts.items()):
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError:
            continue
        if not isinstance(data, dict):
            continue
        for key, kind in KINDS.items():
            for node in data.get(key) or []:
                if isinstance(node, dict) and "name" in node:
                    nodes[str(node["name"])] = (kind, node, file)
    return nodes


def working_nodes(models_dir: str | Path) -> Nodes:
    """The definitions on disk; a file that cannot be read is left to the catalog's loader,
    which reports it with file and line."""
    texts = {}
    for path in sorted(Path(models_dir).glob("*.yml")):
        try:
            texts[path.name] = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
    return nodes_from_texts(texts)


@lru_cache(maxsize=512)
def _texts_at(root: Path, commit: str, relative: str) -> dict[str, str]:
    prefix = f"{relative}/" if relative not in ("", ".") else ""
    listing = _git(root, "ls-tree", "--name-only", commit, prefix or ".").split()
    return {Path(path).name: _git(root, "show", f"{commit}:{path}")
            for path in listing if path.endswith(".yml")}


@lru_cache(maxsize=512)
def _nodes_at(root: Path, commit: str, relative: str) -> Nodes:
    return nodes_from_texts(_texts_at(root, commit, relative))


def files_at(models_dir: str | Path, revision: str) -> dict[str, str]:
    """The model files as they were at a git revision (any name git knows: HEAD~1, a hash).

    Raises OSError with git's words when the directory is not in git or the revision is
    unknown.
    """
    directory = Path(models_dir).resolve()
    root = git_root(directory)
    if root is None:
        raise OSError(f"{models_dir} is not in a git repository")
    commit = _git(root, "rev-parse", "--verify", f"{revision}^{{commit}}").strip()
    return dict(_texts_at(root, commit, str(directory.relative_to(root.resolve()))))


def revisions(models_dir: str | Path, limit: int = 200) -> list[Revision]:
    """Commits that touched the models, oldest first (one `git log`); [] outside git."""
    directory = Path(models_dir).resolve()
    root = git_root(directory)
    if root is None:
        return []
    relative = str(directory.relative_to(root.resolve()))
    try:
        log = _git(root, "log", f"-n{limit}", "--format=%H%x1f%an%x1f%aI%x1f%s", "--",
                   relative if relative != "." else ".")
    except OSError:
        return []
    return [Revision(*line.split("\x1f", 3)) for line in reversed(log.splitlines())]


def states(models_dir: str | Path, limit: int = 200) -> list[tuple[Revision, Nodes]]:
    """Oldest first: each commit that touched the models, then the working tree if it differs.

    Outside a git repository there is only the working tree.
    """
    directory = Path(models_dir).resolve()
    current = working_nodes(directory)
    here = Revision(WORKING_TREE, "", "", "uncommitted edits")
    found = revisions(directory, limit)
    root = git_root(directory) if found else None
    if root is None:
        return [(here, current)]
    relative = str(directory.relative_to(root.resolve()))
    found_states = [(r, _nodes_at(root, r.commit, relative)) for r in found]
    if _hashes(found_states[-1][1]) != _hashes(current):
        found_states.append((here, current))
    return found_states


def _hashes(nodes: Nodes) -> dict[str, str]:
    return {name: content_hash(node) for name, (_, node, _) in nodes.items()}


# -- dependencies and changes ---------------------------------------------------------------


def closure(nodes: Nodes, name: str) -> dict[str, tuple[str, ...]]:
    """`name` and everything it requires, transitively, each with its requires-path."""
    paths: dict[str, tuple[str, ...]] = {name: ()}
    queue = [name]
    while queue:
        current = queue.pop(0)
        entry = nodes.get(current)
        for needed in (entry[1].get("requires") or []) if entry else []:
            if str(needed) not in paths:
                paths[str(needed)] = (*paths[current], str(needed))
                queue.append(str(needed))
    return paths


def timeline(models_dir: str | Path, name: str,
             all_states: list[tuple[Revision, Nodes]] | None = None) -> list[Change]:
    """Every change to `name` or anything it requires, oldest first."""
    found = all_states if all_states is not None else states(models_dir)
    changes: list[Change] = []
    empty: Nodes = {}
    for old, (revision, new) in zip([empty, *(n for _, n in found)], found, strict=False):
        paths = closure(old, name) | closure(new, name)
        for member, via in paths.items():
            before, after = old.get(member), new.get(member)
            node_before = before[1] if before else None
            node_after = after[1] if after else None
            if node_before is None and node_after is None:
                continue
            if node_before is not None and node_after is not None \
                    and content_hash(node_before) == content_hash(node_after):
                continue
            file = (after or before)[2]  # type: ignore[index]  # one of them exists
            changes.append(Change(member, via, revision, node_before, node_after, file,
                                  tuple(describe_change(node_before, node_after))))
    return changes


# -- words and diffs ------------------------------------------------------------------------


def yaml_diff(before: dict[str, Any] | None, after: dict[str, Any] | None, file: str) -> str:
    def lines(node: dict[str, Any] | None) -> list[str]:
        if node is None:
            return []
        return yaml.safe_dump([node], sort_keys=False, allow_unicode=True,
                              width=100).splitlines(keepends=True)

    return "".join(difflib.unified_diff(lines(before), lines(after), f"a/{file}", f"b/{file}"))


def _num(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def describe_change(before: dict[str, Any] | None, after: dict[str, Any] | None) -> list[str]:
    """The change in words a data team reads in review: parameters first, then the rest."""
    if before is None:
        return ["added"]
    if after is None:
        return ["removed"]
    words: list[str] = []
    old_params = {str(p.get("name")): p for p in before.get("parameters") or []}
    new_params = {str(p.get("name")): p for p in after.get("parameters") or []}
    for param in sorted(set(old_params) | set(new_params)):
        old, new = old_params.get(param), new_params.get(param)
        if old is None:
            words.append(f"parameter `{param}` added (default {_num(new.get('default'))})"
                         if new else "")
            continue
        if new is None:
            words.append(f"parameter `{param}` removed")
            continue
        moved = [key for key in ("default", "min", "max") if old.get(key) != new.get(key)]
        for key in moved:
            label = "default" if key == "default" else f"{key} bound"
            words.append(f"{label} of `{param}` changed from {_num(old.get(key))} to "
                         f"{_num(new.get(key))}")
        if not moved and old != new:
            words.append(f"wording of parameter `{param}` changed")
    if before.get("version") != after.get("version"):
        words.append(f"version {before.get('version', 1)} -> {after.get('version', 1)}")
    else:
        words.append(f"version unchanged ({after.get('version', 1)})")
    words += _other_changes(before, after)
    return [w for w in words if w]


def _other_changes(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    words = []
    old_stages = {str(s.get("name")): s.get("sql") for s in before.get("stages") or []}
    new_stages = {str(s.get("name")): s.get("sql") for s in after.get("stages") or []}
    for stage in sorted(set(old_stages) | set(new_stages)):
        if old_stages.get(stage) != new_stages.get(stage):
            state = ("added" if stage not in old_stages else
                     "removed" if stage not in new_stages else "SQL changed")
            words.append(f"stage `{stage}` {state}")
    old_members = {str(m.get("name")): m for m in before.get("members") or []}
    new_members = {str(m.get("name")): m for m in after.get("members") or []}
    for member in sorted(set(old_members) | set(new_members)):
        old, new = old_members.get(member), new_members.get(member)
        if old is None:
            words.append(f"member `{member}` added")
        elif new is None:
            words.append(f"member `{member}` removed")
        elif old.get("when") != new.get("when") or old.get("match") != new.get("match"):
            words.append(f"rule of member `{member}` changed")
        elif old != new:
            words.append(f"wording of member `{member}` changed")
    skip = {"parameters", "stages", "members", "version"}
    for key in sorted((set(before) | set(after)) - skip):
        if before.get(key) != after.get(key):
            rows = key in _LOGIC_KEYS["segment"] or key in _LOGIC_KEYS["metric"]
            words.append(f"`{key}` changed" + ("" if rows else " (wording)"))
    return words


# -- the version gate for `segq validate` -----------------------------------------------------

# What decides which rows a definition returns, per kind of YAML node. Everything else
# (labels, descriptions, synonyms, examples, owners, and planner hints such as roles, units
# and metric windows) can change without a new version.
_LOGIC_KEYS = {
    "segment": ("entity", "parameters", "requires", "stages", "where", "columns",
                "member_column", "members", "history", "fitted"),
    "metric": ("table", "expr", "filter", "time_column", "default_window_days"),
    "dimension": ("table", "column", "type", "values", "grains"),
}
_PART_KEYS = {"parameters": ("name", "default", "min", "max"), "stages": ("name", "sql"),
              "members": ("name", "when", "match"), "values": ("value",)}


def logic_hash(node: dict[str, Any], kind: str = "segment") -> str:
    """A hash of only what decides a definition's rows (see `_LOGIC_KEYS`)."""
    logic: dict[str, Any] = {}
    for key in _LOGIC_KEYS.get(kind, _LOGIC_KEYS["segment"]):
        value = node.get(key)
        if key in _PART_KEYS and isinstance(value, list):
            value = [{k: v.get(k) for k in _PART_KEYS[key]} if isinstance(v, dict) else v
                     for v in value]
        logic[key] = value
    return content_hash(logic)


def _kind(node: dict[str, Any]) -> str:
    return "metric" if "expr" in node else "segment"


def version_issues(models_dir: str | Path, logged: dict[str, list[dict[str, Any]]] | None = None
                   ) -> list[Issue]:
    """Segments and metrics whose logic changed since the previous state, same version.

    In a git repository the current state (the working tree when it has edits, else HEAD)
    is compared with the previous git revision of the models. Outside one, the current
    logic is compared with what the query log recorded (`logged`: name -> rows with version
    and hash, hashes being full content hashes): a logged hash of the same version that
    differs is a change without a bump, unless only wording changed (not knowable from a
    hash, so the log check is on the content hash and says so).
    """
    found = states(models_dir)
    current = found[-1][1]
    previous = found[-2] if len(found) > 1 else None
    issues = []
    for name, (kind, node, file) in sorted(current.items()):
        if kind == "dimension":
            continue  # dimensions carry no version
        version = int(node.get("version", 1))
        if previous is not None:
            old = previous[1].get(name)
            if old and logic_hash(old[1], kind) != logic_hash(node, kind) \
                    and int(old[1].get("version", 1)) >= version:
                issues.append(_bump_issue(name, file, version, previous[0].short,
                                          describe_change(old[1], node)))
            continue
        for row in (logged or {}).get(name, []):
            if row.get("version") == version and row.get("hash") != content_hash(node):
                issues.append(_bump_issue(name, file, version,
                                          f"the query log recorded hash {row.get('hash')}", []))
                break
    return issues


def _bump_issue(name: str, file: str, version: int, against: str, change: list[str]) -> Issue:
    what = "; ".join(w for w in change if not w.startswith("version")) or "its content"
    return Issue("error", f"Definition `{name}` changed ({what}) since {against} but its "
                 f"version is still {version}. Bump `version` to {version + 1} so answers "
                 "show which definition produced them.", file, "version-not-bumped")


def node_with_hash(found: list[tuple[Revision, Nodes]], name: str, digest: str
                   ) -> dict[str, Any] | None:
    """The YAML of `name` whose content hash is `digest`, from any known state."""
    for _, nodes in reversed(found):
        entry = nodes.get(name)
        if entry is not None and content_hash(entry[1]) == digest:
            return entry[1]
    return None


# -- the query log's history, made dependency-aware ------------------------------------------


def with_dependencies(entries: list[dict[str, Any]], logged: list[dict[str, Any]],
                      models_dir: str | Path | None, *, git_changes: bool = True
                      ) -> list[dict[str, Any]]:
    """`QueryLog.definition_history` entries plus what each requires and what changed there.

    Adds `requires` (the closure from the current models, with paths), `changed_through`
    (required definitions whose logged hash changed: name, path, hash changes) and, when the
    models are in git, `changes`: every change of the definition or its closure, newest first.
    """
    found = states(models_dir) if models_dir and Path(models_dir).is_dir() else []
    nodes = found[-1][1] if found else {}
    by_name = {e["name"]: e for e in logged}
    out = []
    for entry in entries:
        paths = closure(nodes, entry["name"])
        through = [{"name": dep, "via": list(path),
                    "hash_changes": len(by_name[dep]["versions"]) - 1}
                   for dep, path in paths.items()
                   if dep != entry["name"] and dep in by_name and by_name[dep]["changed"]]
        extra: dict[str, Any] = {"requires": [d for d in paths if d != entry["name"]],
                                 "changed_through": through}
        if git_changes and len(found) > 1:
            extra["changes"] = [c.to_dict() for c in
                                reversed(timeline(models_dir or "", entry["name"], found))]
        out.append(entry | extra)
    return out
