"""Every sentence the Slack surface says, together so they can be reviewed as a set.

The pipeline's own wording (errors, clarifications) is in `assistant/messages.py`; these are
the words around it: acknowledgements, footers, button replies, truncation notes.
"""

from __future__ import annotations

WORKING = "Working on: {question}"
ASKED_BY = "<@{user}> asked: {question}"
REFERENCE = "Reference `{ref}`"
ERROR_PLAIN = (
    "I couldn't answer that because of a problem on my side. The data team can look it up "
    "with reference `{ref}`."
)
UNDELIVERED = (
    "I worked out the answer, but Slack would not take my reply just now. The data team can "
    "read it with reference `{ref}`; asking again also works."
)
TRUNCATED = "… (shortened to fit Slack; the full record is in the query log as `{ref}`)"
MORE_BLOCKS = (
    "… {n} more parts left out to fit Slack. The full record is in the query log as `{ref}`."
)
MORE_CANDIDATES = "… and {n} more. Ask again more precisely to see them."
TABLE_FOOTER_ROWS = "first {shown:,} of {total:,} rows"
TABLE_FOOTER_COLUMNS = "{n} more column{s} ({names})"
TABLE_FOOTER_CSV = "Download CSV for everything"
ROW_CAP_NOTE = "the result hit the row cap, so it holds only the first {n:,} rows"
CHOSEN = "<@{user}> chose *{label}*."
SQL_HEADER = "SQL of answer `{ref}`: compiled from the governed definitions, validated, read-only."
NO_SQL = "Answer `{ref}` has no SQL: it came from the definitions themselves, not a query."
DEFINITION_HEADER = "Governed definition {summary}"
DEFINITION_CHANGED = (
    ":warning: `{name}` has changed since answer `{ref}` was given (hash then `{then}`, now "
    "`{now}`). The YAML below is the current one."
)
FEEDBACK_THANKS = {
    "up": "Thanks, your :+1: on answer `{ref}` is recorded.",
    "down": "Thanks, your :-1: on answer `{ref}` is recorded; the data team reviews these. "
    "The form that opened asks what was wrong.",
}
FEEDBACK_REASON_THANKS = (
    "Thanks, the data team will see why answer `{ref}` was not right (`segq log list "
    "--feedback down`)."
)
FEEDBACK_FAILED = "I couldn't record that vote: answer `{ref}` is not in the query log."
ANSWER_GONE = (
    "I can't find answer `{ref}` any more (it is not in the query log). Ask the question again."
)
CSV_COMMENT = (
    "All {rows:,} rows of answer `{ref}` as CSV, {as_of}{note}. The lines starting with # name "
    "the definitions, filters and date."
)
CSV_RERUN = "; answer `{old}` had left my memory, so I re-ran its logged plan as `{ref}`"
CARRIED = ":thread: Follow-up: {what}"
AS_OF_COUNT = "{count:,} users {as_of}"
DEFINITION_CARD_HEADER = "{card}"
DEFINITION_TECHNICAL = "Governed definition {summary}. The YAML is below."
