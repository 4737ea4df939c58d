"""Who may see what: identity -> principal -> a principal-scoped catalog and row filters.

    models.py    typed groups, policies, identities and principals (imports nothing else)
    parse.py     the `access:` section of the semantic models, validated fail-closed
    identity.py  an Identity (CLI login, Slack user + profile + user groups) -> Principal
    scope.py     what a principal may see: the scoped catalog, plan checks, row filters

See docs/access.md.
"""
