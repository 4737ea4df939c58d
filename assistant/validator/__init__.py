"""SQL validator: small allowlist rules over the re-parsed statement, collected by one runner.

It runs on every statement before execution, whoever wrote it. A rejection names the rule
broken; nothing is ever silently fixed.
"""

from assistant.validator.runner import SqlContext, check_sql, validate_sql

__all__ = ["SqlContext", "check_sql", "validate_sql"]
