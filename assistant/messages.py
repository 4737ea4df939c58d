"""User-facing wording in one place, so it can be reviewed as a set.

Grammar for every error: which object -> what is wrong -> what is accepted -> how to fix.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def did_you_mean(word: str, options: Iterable[str]) -> str:
    """The one "did you mean" helper; empty when nothing is close."""
    matches = difflib.get_close_matches(word, list(options), n=1, cutoff=0.6)
    return f" Did you mean `{matches[0]}`?" if matches else ""


def override_out_of_bounds(param: str, value: float, segment: str, lo: float, hi: float) -> str:
    return (
        f"Override `{param}`={_num(value)} for `{segment}` is outside its bounds "
        f"{_num(lo)}..{_num(hi)}. Ask again with a value in that range."
    )


def unknown_parameter(param: str, segment: str, accepted: list[str]) -> str:
    return (
        f"Segment `{segment}` has no parameter `{param}`. Accepted: "
        f"{', '.join(accepted) or 'none'}.{did_you_mean(param, accepted)}"
    )


def unknown_object(kind: str, name: str, accepted: list[str]) -> str:
    return (
        f"There is no governed {kind} `{name}`. Accepted: {', '.join(sorted(accepted))}."
        f"{did_you_mean(name, accepted)}"
    )


def unknown_member(segment: str, member: str, accepted: list[str]) -> str:
    return (
        f"Segment `{segment}` has no member `{member}`. Accepted: {', '.join(accepted)}."
        f"{did_you_mean(member, accepted)}"
    )


# Loading the semantic models: read by the data team in `segq validate`, CI and the bot's log.
# `file` is the model file as shown in the source (e.g. semantic_models/pql.yml).


def _model_file(file: str) -> str:
    return f"Model file `{file.rsplit('/', 1)[-1]}`"


def _top_level(top_keys: Iterable[str]) -> str:
    return f"a mapping with keys {', '.join(sorted(top_keys)) or 'of definitions'}"


def yaml_syntax(file: str, problem: str) -> str:
    return (f"{_model_file(file)} is not valid YAML here: {problem}. Accepted: one YAML "
            "document of plain values (no tags). Fix the syntax on this line.")


def yaml_empty(file: str, top_keys: Iterable[str]) -> str:
    return (f"{_model_file(file)} is empty: it defines nothing. Accepted: {_top_level(top_keys)}. "
            "Restore its definitions, or delete the file if they now live elsewhere.")


def yaml_not_a_mapping(file: str, node_kind: str, top_keys: Iterable[str]) -> str:
    found = {"sequence": "a list", "scalar": "a single value"}.get(node_kind, node_kind)
    return (f"{_model_file(file)} has {found} at the top level. Accepted: "
            f"{_top_level(top_keys)}. Put its definitions under one of those keys.")


def yaml_not_a_file(file: str) -> str:
    return (f"{_model_file(file)} is not a regular file. Accepted: regular *.yml files. Replace "
            "it with the file itself, or remove it from the models directory.")


def yaml_unreadable(file: str, exc: OSError) -> str:
    return (f"{_model_file(file)} cannot be read ({exc.strerror or exc}). Accepted: a file this "
            "process may read. Fix its permissions or restore it.")


def yaml_too_large(file: str, size: int, limit: int) -> str:
    return (f"{_model_file(file)} is {size:,} bytes, over the limit of {limit:,} bytes for one "
            f"model file. Accepted: files up to {limit:,} bytes. Check that this is the file "
            "you meant to add, or split its definitions across several files.")


def yaml_not_utf8(file: str, byte: int, line: int, column: int) -> str:
    return (f"{_model_file(file)} is not UTF-8: byte 0x{byte:02x} at line {line}, column "
            f"{column} cannot be decoded. Accepted: UTF-8 text. Re-save the file as UTF-8 "
            "(e.g. `iconv -f latin1 -t utf-8`).")


def yaml_control_character(file: str, char: str, line: int, column: int) -> str:
    return (f"{_model_file(file)} contains the control character U+{ord(char):04X} at line "
            f"{line}, column {column}. Accepted: printable text, tabs and line breaks. Delete "
            "the character (an editor that shows invisible characters will reveal it).")


def yaml_too_deep(file: str, limit: int) -> str:
    return (f"{_model_file(file)} nests more than {limit} levels deep here. Accepted: at most "
            f"{limit} levels (the governed models need under 10). Flatten the structure.")


def yaml_too_many_aliases(file: str, limit: int) -> str:
    return (f"{_model_file(file)} uses more than {limit} YAML aliases (`*name`). Accepted: up "
            f"to {limit} aliases per file. Write the repeated values out.")


def yaml_too_many_nodes(file: str, limit: int, *, expanded: bool) -> str:
    how = " once its aliases are expanded" if expanded else ""
    fix = ("Write the repeated values out instead of nesting aliases (each level multiplies "
           "the size)" if expanded else "Split its definitions across several files")
    return (f"{_model_file(file)} holds more than {limit:,} YAML values{how}. Accepted: up to "
            f"{limit:,} values per file. {fix}.")


def yaml_recursive_alias(file: str, anchor: str) -> str:
    return (f"{_model_file(file)} uses the alias `*{anchor}` inside the value it names, which "
            "makes a structure without end. Accepted: aliases to values that are complete "
            "before the alias. Write the value out.")


def definition_unreadable(kind: str, exc: BaseException) -> str:
    return (f"This {kind} cannot be read ({type(exc).__name__}: {str(exc)[:200]}). Accepted: "
            "the keys and value types in docs/semantic-models.md. Fix its values.")


def cluster_not_fitted(segment: str, source: str) -> str:
    return (f"Cluster segment `{segment}` ({source}) is not fitted: it needs `fitted.scaling` "
            "(mean and scale for every feature) and a `centroid` on every member over the same "
            f"features. Run `segq cluster fit {segment}` to write them.")


def sql_fragment_invalid(what: str, reason: str, accepted: str) -> str:
    return (f"{what} is not valid SQL: {reason}. Accepted: {accepted} in the DuckDB dialect. "
            "Fix the SQL written here.")


def sql_fragment_too_long(what: str, size: int, limit: int) -> str:
    return (f"{what} is {size:,} characters long. Accepted: up to {limit:,} characters per SQL "
            "fragment. Split it into several stages.")


def restricted_column_read(what: str, column: str) -> str:
    return (f"{what} reads restricted column `{column}`. Accepted: public columns only; "
            "restricted columns (personal data) never enter a governed definition, so every "
            f"question using it would be refused. Remove `{column}` from it (count or join on "
            "`user_id` instead) or, after a privacy review, change the column's `access`.")


# Names no definition: what a person may ask depends on the catalog and on their access, so
# the list itself is the answer to "what can I ask?" (built from their scoped catalog).
CAN_ANSWER = (
    "I can answer questions about the governed segments and metrics, by their dimensions and "
    "over time. Ask \"what can I ask?\" to see the definitions you can use."
)

REFUSE_OFF_TOPIC = "I can't answer that from the governed definitions. " + CAN_ANSWER
REFUSE_WRITE = (
    "I only read data: I can't delete, drop, update or insert anything, and no answer of mine "
    "changes the warehouse. " + CAN_ANSWER
)
REFUSE_ACTION = (
    "I only answer questions about data: I can't send messages or contact anyone. I can list "
    "the users you mean (ids), so your team can reach them. " + CAN_ANSWER
)
REFUSE_INSTRUCTIONS = (
    "I answer questions in words from the governed definitions only; I don't take instructions "
    "to set them aside and I don't run SQL typed into a question. " + CAN_ANSWER
)
REFUSE_PII = (
    "That needs a restricted column (`{column}` is personal data), which I don't return. "
    "I can list user ids or counts instead."
)
REFUSE_UNGOVERNED = (
    "There is no governed definition of {thing} yet, so I won't improvise one. I've logged the "
    "question for the data team. " + CAN_ANSWER
)
CLARIFY_PARAMETER = (
    "{value:g} looks like a what-if value for `{parameter}`, which belongs to `{owner}`, not to "
    "`{segment}`. Which definition did you mean?"
)
CLARIFY_OTHER_MEMBER = (
    "{value:g} reads as a what-if value for `{parameter}`, the rule of `{owner}`, but the "
    "question names `{member}` next to it. Which rule did you mean to change?"
)
CLARIFY_EARNED = (
    "\"{thing}\" names a count, and what it brought in is an amount of money: which governed "
    "figure do you mean?"
)
CLARIFY_NO_BUYERS = (
    "No governed definition counts the people who bought something, and counting everyone "
    "would not answer that. Which governed figure do you mean?"
)
CLARIFY_VOLUME = (
    "The {thing} volume could be how many there were or the amount of money they came to. "
    "Which one do you mean?"
)
CLARIFY_UNIT = (
    "{value} is not a whole number of {unit}, and the {parameter} is counted in {unit}. "
    "Could you ask again with a value in {unit}?"
)
CLARIFY_PERIOD = (
    "Which period do you mean by \"{phrase}\"? For example \"in the last 7 days\", \"in the "
    "last 30 days\", \"this quarter\" or \"since April\"."
)
REFUSE_SHARE = (
    "I can compute a share of users in a segment or with a value (\"what % of trial users are "
    "PQLs?\", \"what % of Q1 signups came from referrals?\"), but I couldn't tell the part from "
    "the whole in this question. Could you rephrase it that way?"
)
CLARIFY_VALUE_OR_EVENT = (
    "\"{word}\" could be the {dimension} value `{value}` or the date `{date}`, and the "
    "period gives a different number on each. Do you mean rows with {dimension} `{value}` "
    "in that period, or rows whose {date} falls in it?"
)
CLARIFY_EVENT_PERIOD = (
    "`{label}` is who is in it now; I can't tell when each of them became so, which "
    "\"{said}\" asks. Do you mean everyone in `{label}` now, or those of them who signed up "
    "{period}?"
)
CLARIFY_REGION = (
    "\"{region}\" is not a governed value: countries are {accepted}. Which countries do you "
    "mean? (e.g. \"users from Germany, France or the Netherlands\")"
)
CLARIFY_RETENTION = (
    "Retention is governed per signup cohort and month since signup. Which cohort or month do "
    "you mean (e.g. \"month-1 retention for the January 2026 cohort\")? Or choose below to see "
    "the whole cohort matrix."
)
CLARIFY_TWO_SIGNUP_PERIODS = (
    "I read two periods here, one of them a signup period, but the other has nothing of its "
    "own to limit (a count of people is already by signup date). Could you ask with one "
    "period, or name what the second period measures (revenue, orders, active users)?"
)
CLARIFY_BY_FAMILY = (
    "I can break a segment down by a governed dimension, but not yet by the members of "
    "another segment family ({other}). I can "
    "count one family's members who are also in a given member of the other; or pick one "
    "family's breakdown below."
)
AVERAGE_NEEDS_PERIOD = (
    "An average per day, week, month, quarter or year is taken over a period: which one? For "
    "example, \"average monthly revenue in 2025\"."
)
CLARIFY_COMPARE_PERIODS = (
    "I can compare consecutive months, quarters or years in one answer (\"revenue in Q1 vs "
    "Q2\"). For other periods, please ask for each one separately."
)
CLARIFY_COMPARE_WHAT = (
    "What should I compare across those periods: signups, revenue, orders, active users or a "
    "segment?"
)
CLARIFY_NOT_FILTERABLE = (
    "{what} is governed for all users as of its month ends or cohorts; I can't yet narrow it "
    "to a country, plan, channel or company size. Would the whole figure help, or a count of "
    "users in a segment with that filter?"
)
CLARIFY_EXTREME_WITHIN = (
    "I can rank the periods by their totals (\"which month had the lowest revenue\"), but not "
    "find the lowest or highest single value within each period. Would the ranking of the "
    "totals help?"
)
def clarify_vague(examples: list[str]) -> str:
    """Which numbers? With examples from the catalog's own labels (metrics, then segments)."""
    named = examples[:6]
    listed = ", ".join(named[:-1]) + f" or {named[-1]}" if len(named) > 1 else "".join(named)
    example = f" For example {listed}, for a period like \"last month\"." if named else ""
    return f"Happy to help: which numbers do you need?{example}"


CLARIFY_GROWTH = (
    "I can compute the change of one figure between exactly two periods (\"by what percent "
    "did revenue grow from Q1 to Q2\"), but not over more periods or for each group at once. "
    "Ask for two periods, or for the figures side by side (\"revenue in Q1 vs Q2 vs Q3\")."
)
CLARIFY_HEADING = (
    "\"{heading}\" opens the question: is that who is asking, or should I keep only {value}? "
    "Ask again without it, or with \"{value} only\"."
)
CLARIFY_TWO_SUBJECTS = (
    "This asks about two things: what {defined} means and a figure about {counted}. Ask them "
    "one at a time and I'll answer each with its governed definition."
)
CLARIFY_AMBIGUOUS = "\"{phrase}\" could mean several governed definitions. Which one did you mean?"
LOW_CONFIDENCE = (
    "I'm not confident I understood that question, so I won't guess. " + CAN_ANSWER
)


def not_understood(reading: str, words: list[str]) -> str:
    """A clarification that says what was understood and exactly which words were not."""
    quoted = ", ".join(f"\"{w[:40]}\"" for w in words[:6])
    return (f"I read this as *{reading}*, but I did not understand {quoted}, so I won't guess. "
            "Could you rephrase, or pick the governed reading below if it is what you meant?")


LLM_UNAVAILABLE = (
    "The language-model planner is not configured (set OPENAI_API_KEY, and OPENAI_BASE_URL for "
    "a compatible server)."
)
INTERNAL_ERROR = (
    "Something went wrong on my side while answering. The data team can look it up with "
    "reference `{ref}`."
)
# Thread follow-ups ("now by plan" under an answer): what was carried over, or what was not
# understood when the message reads as a follow-up.
FOLLOWUP_CARRIED = "kept {kept} from this thread; changed: {now}"
FOLLOWUP_CHANGED = "changed: {now}"
FOLLOWUP_UNCLEAR = (
    "I read this as a follow-up to *{previous}*, but I did not understand {words}, so I won't "
    "guess. Could you say what to change (a breakdown like \"by plan\", a filter like \"only "
    "enterprise\", a period like \"last quarter\", or \"show me the list\")?"
)
# The question column of a Slack request that failed outside any answer (a button, a post).
FAILED_REQUEST = "(a Slack request that failed before it had an answer)"
QUERY_TIMEOUT = "The query ran longer than {seconds:g} s and was stopped. Try a narrower question."

# Eval gold SQL: the data team reads these in `segq eval` failures and CI logs.
GOLD_REJECTED = (
    "Gold SQL was rejected before running ({rules}): {reason} Gold must be one read-only SELECT "
    "over the governed tables; fix it in the eval file."
)
GOLD_RESTRICTED = (
    "Gold SQL reads restricted column: {reason} Such gold is not run and none of its values are "
    "shown; select `user_id` or a count instead, or pass --allow-restricted-gold to run it with "
    "those values masked."
)
GOLD_FAILED = "Gold SQL failed on the warehouse: {reason} Fix it in the eval file."
GOLD_TOO_MANY_ROWS = (
    "Gold SQL returned more than {cap:,} rows, the row cap that answers are held to, so it "
    "cannot be compared. Narrow the gold query or raise SEGQ_ROW_CAP."
)
MASKED_VALUE = "<restricted>"


def _num(value: float) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


# The warehouse file: read by whoever runs the bot, and by a user when a query fails.
QUERY_FAILED = "The warehouse could not run the query: {reason}"


def warehouse_missing(path: object) -> str:
    return (f"Warehouse {path} does not exist. Build the demo with `segq demo build` or set "
            "SEGQ_WAREHOUSE.")


def warehouse_unreadable(path: object, exc: BaseException) -> str:
    return (f"Warehouse {path} cannot be opened ({_one_line(exc)}). Check that it is a "
            "warehouse this process may read (a DuckDB file, or a PostgreSQL/Spark URL, see "
            "docs/engines.md), or rebuild it with `segq demo build`.")


def engine_not_installed(engine: str, extra: str) -> str:
    return (f"The {engine} warehouse needs packages that are not installed. Install them with "
            f"`pip install 'segq[{extra}]'` (see docs/engines.md).")


# The demo build: read by whoever runs `segq demo build`.
def demo_build_busy(path: object, waited_s: float) -> str:
    return (f"Another build of {path} is running (waited {waited_s:g} s for it to finish); "
            f"{path} is left to that build. Run the build again once it is done, or pass "
            "--wait with more seconds.")


def demo_build_failed(path: object, exc: BaseException) -> str:
    return (f"The demo build of {path} failed ({type(exc).__name__}: {_one_line(exc)}). The "
            "file already there (if any) is unchanged and the half-written copy was removed. "
            "Fix the cause (disk space, permissions) and build again.")


def _one_line(exc: BaseException) -> str:
    """DuckDB errors span lines (a caret under the SQL); a CLI error stays one line."""
    return " ".join(str(exc).split())


# Bounds and the one deadline per question: read by whoever asked. None of them repeats the
# oversized or untrusted value itself, only its size.
def question_too_long(length: int, limit: int) -> str:
    return (f"Your question is {length:,} characters long. Accepted: up to {limit:,} characters. "
            "Ask one question at a time, in fewer words.")


def plan_too_large(where: str, problem: str) -> str:
    return (f"The query plan is too large or malformed at `{where}`: {problem}. Ask a narrower "
            "question (fewer values, periods or breakdowns at once).")


def question_timeout(seconds: float) -> str:
    return (f"This question took longer than {seconds:g} s to answer and was stopped. Try a "
            "narrower question (a shorter period, fewer values or fewer breakdowns).")


WAREHOUSE_BUSY = (
    "The warehouse is busy answering other questions right now. Try again in a moment."
)
CLARIFY_CHOICES = "That could mean several governed definitions: {labels}. Which one did you mean?"
LLM_NO_PLAN = (
    "I could not turn this question into a plan over the governed definitions, so I won't "
    "guess. " + CAN_ANSWER
)


# Failures as the asker reads them: worded, with the reference id; the raw detail (exception
# or warehouse text, every validator issue) is only in the query log under that reference.
QUERY_FAILED_WORDED = (
    "The warehouse could not run the query for this question, so there is no answer. The data "
    "team can look it up with reference `{ref}`."
)
WAREHOUSE_UNAVAILABLE = (
    "The warehouse is not available right now, so there is no answer. The data team can look "
    "it up with reference `{ref}`."
)


def sql_rejected(rules: Iterable[str], first: str) -> str:
    return (f"The query built for this question did not pass the safety checks "
            f"({', '.join(rules)}), so nothing ran: {first}")


def with_reference(message: str, ref: str) -> str:
    """A failure's message with its reference id, once."""
    return message if ref in message else f"{message} (reference `{ref}`)"


# Access policies (docs/access.md): read by whoever asked; they say what is restricted and
# whom to ask, never what the restricted object holds.
def access_denied(kind: str, name: str, allowed: list[str], groups: list[str], *,
                  contact: str) -> str:
    who = (f"the {', '.join(f'`{g}`' for g in allowed)} group{'s' if len(allowed) > 1 else ''}"
           if allowed else "no group")
    ask = f" Ask {contact} for access if you need it." if contact else (
        " Ask the data team for access if you need it.")
    return (f"The {kind} `{name}` is restricted to {who}, and you are in "
            f"{', '.join(f'`{g}`' for g in groups)}, so I won't answer with it.{ask}")


def access_missing_attribute(attribute: str, groups: list[str]) -> str:
    return (f"Your access to these rows depends on your `{attribute}`, which none of your groups "
            f"({', '.join(f'`{g}`' for g in groups)}) sets, so I won't answer. Ask the data team "
            "to add it to your group in the access policy.")


def access_restricted_column(column: str, groups: list[str], contact: str) -> str:
    ask = contact or "the data team"
    return (f"That needs `{column}`, a restricted column (personal data) your groups "
            f"({', '.join(f'`{g}`' for g in groups)}) are not granted, so nothing ran. Ask "
            f"{ask} if you need it; I can list user ids or counts instead.")


ACCESS_ROWS_WHOLE = (
    "Your access covers only some users' rows, and this answer is computed over every user "
    "(cohort tables and month-end history), so I won't answer it. Ask for a count or a list "
    "of users instead, or ask the data team for wider access."
)


def access_denied_plain(groups: list[str], contact: str) -> str:
    return (f"That answer needs more than your groups ({', '.join(f'`{g}`' for g in groups)}) "
            f"may see, so nothing ran. Ask {contact or 'the data team'} for access if you "
            "need it.")


def foreign_metric_shape(metric: str, source: str) -> str:
    return (f"`{metric}` ({source}) is a dbt metric: it can be totalled, broken down by its "
            "dimensions, filtered and limited to a period, but not combined with segments, "
            "shares or averages over periods.")


def metricflow_cannot(metric: str, source: str, why: str) -> str:
    return (f"I can't answer that from {metric} ({source}): MetricFlow, which compiles these "
            f"dbt metrics, cannot plan the question. In its words: {why}")


def metricflow_unreachable(metric: str, source: str, dimensions: list[str], why: str) -> str:
    return (f"I can't break {metric} ({source}) down that way: MetricFlow reaches none of "
            f"{', '.join(dimensions)} from it. In its words: {why}")


def metricflow_which_dimension(metric: str, label: str) -> str:
    return (f"Which {label} should {metric} be broken down by? These models have several, "
            "each reached from it in as few joins:")


def join_fans_out(base: str, table: str, relationship: str, one: str, many: str,
                  source: str) -> str:
    return (
        f"I can't answer that from `{base}` with a column of `{table}`: the only declared way "
        f"there goes through relationship `{relationship}` ({source}), where one `{one}` row "
        f"meets many `{many}` rows, so every `{base}` figure would be counted several times. "
        f"Missing: a many-to-one relationship from `{base}` to `{table}`, or a metric defined "
        f"on `{table}`'s side."
    )


def join_missing(base: str, table: str) -> str:
    return (
        f"I can't answer that: it needs `{base}` joined to `{table}`, and the semantic model "
        f"declares no relationship between them. Missing: a relationship from `{base}` to "
        f"`{table}` (the data team can declare one)."
    )


def share_not_additive(metric: str) -> str:
    """A share of a total that the rows do not add up to."""
    return (f"Each row's share of the total needs a number that adds up over the rows, and "
            f"{metric} per group does not (an average, or distinct people over periods). I can "
            "give the figure per group, or a share of people in a segment or with a value.")


def undated_series(column: str, grain: str, others: list[str]) -> str:
    """A series by a date that is empty on every row."""
    choices = f" It could be split by {', '.join(f'`{o}`' for o in others)}." if others else ""
    return (f"`{column}` is empty on every row, so there is no {grain} to split the figure by."
            f"{choices} Which date did you mean?")



def set_aside(phrases: tuple[str, ...]) -> str:
    """The words of a question read as its context, not as part of what it asks."""
    said = "; ".join(f'"{p}"' for p in phrases)
    return f"(I read {said} as context, not as part of the question.)"
