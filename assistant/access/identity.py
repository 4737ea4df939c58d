"""An Identity (who the surface says asked) -> the Principal an answer is computed for.

Membership is the union of every group whose `members` match; nobody matched is in the
default group alone. Attributes of all matched groups are merged (values in order, once).
"""

from __future__ import annotations

from assistant.access.models import ANYONE, OPEN, AccessPolicy, Group, Identity, Principal


def _matches(group: Group, who: Identity) -> bool:
    m = group.members
    if who.surface in ("cli", "eval"):
        return ANYONE in m.cli_users or who.user.lower() in m.cli_users
    if who.surface != "slack":
        return False
    email = who.email.lower()
    return (who.user in m.slack_users or bool(email and email in m.emails)
            or bool(who.domain and who.domain in m.domains)
            or any(g.lower() in m.slack_groups for g in who.slack_groups))


def principal_for(policy: AccessPolicy | None, who: Identity) -> Principal:
    if policy is None:
        return OPEN
    matched = [g for g in policy.groups.values() if _matches(g, who)]
    if not matched:
        default = policy.groups.get(policy.default_group)
        matched = [default] if default is not None else []
    merged: dict[str, list[str]] = {}
    for group in matched:
        for key, values in group.attributes:
            merged.setdefault(key, [])
            merged[key] += [v for v in values if v not in merged[key]]
    groups = tuple(g.name for g in matched) or (policy.default_group,)
    return Principal(f"{who.surface}:{who.user}", groups,
                     tuple((k, tuple(v)) for k, v in merged.items()), email=who.email)
