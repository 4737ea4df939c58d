"""The words that signal intents, refusals, time and what-ifs, reviewed together as a set.

Matched against normalised text (see `text.normalise`): lower case, hyphens between words
turned into spaces, punctuation dropped.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from assistant.planner.text import RANKED_AFTER

# Write intent comes from the grammar of a request, never from a word alone: SQL that changes
# data anywhere, or a clause that *starts* with an imperative verb of changing data ("delete
# the demo accounts", "please set user 7 to free"). "Did orders fall?" and "any news about
# revenue?" ask about data.
SQL_WRITE = re.compile(
    r"\b(drop|truncate|alter)\s+(table|view|schema|database|index)\b|\bdelete\s+from\b|"
    r"\binsert\s+into\b|\bupdate\s+\w+\s+set\b|\bcreate\s+(or\s+replace\s+)?(table|view|index|"
    r"schema|database)\b|\b(grant|revoke)\s+\w+\s+(on|to|from)\b|\bmerge\s+into\b|"
    r"\bignore\s+(all\s+)?(previous|prior|above|your)\s+(instructions|rules)\b"
)
# Instructions aimed at the assistant instead of a question ("disregard prior instructions",
# "forget your rules", "act as a database shell"), and SQL typed in to be run.
INJECTION = re.compile(
    r"\b(ignore|disregard|forget|override|bypass|skip)\s+(all\s+|any\s+)?(of\s+)?(the\s+|your\s+|"
    r"my\s+|these\s+|those\s+)?(previous\s+|prior\s+|above\s+|earlier\s+|governed\s+|system\s+|"
    r"original\s+)*(instructions?|rules|definitions|prompts?|guidelines|guardrails|constraints)\b|"
    r"\byou\s+are\s+(now\s+)?(a|an|my)\s+(sql|database|shell|python|raw)\b|"
    r"\b(act|behave|pretend)\s+(as|like)\s+(a|an)\s+(sql|database|shell)\b"
)
RAW_SQL = re.compile(r"\bselect\s+(\*|distinct\b|count\s*\(|[a-z_][\w.]*\s*(,|\bfrom\b))[^;]*?"
                     r"\bfrom\s+[a-z_]\w*", re.IGNORECASE)
IMPERATIVE_WRITE = re.compile(
    r"^(?:(?:please|pls|kindly|hey|hi|ok|okay|now|also|then|and|segq|can\s+you|could\s+you|"
    r"would\s+you|will\s+you|i\s+need\s+you\s+to|i\s+want\s+you\s+to|go\s+ahead\s+and|"
    r"quickly|just)\s+)*"
    r"(delete|drop|truncate|insert|update|alter|remove|modify|grant|revoke|overwrite|wipe|"
    r"erase|purge|deactivate|ban|unsubscribe|refund|set|change|move|assign|upgrade|downgrade|"
    r"mark|edit|rename|reset|cancel|create|merge|archive|disable|enable|suspend|block|"
    r"flip|toggle|relabel|reclassify|recode|backfill|bump|"
    r"add(?!\s+up\b|\s+(?:[\w'-]+\s+){0,4}?together\b))\b"  # "add up premium" is a sum
)


# A clause that starts by asking to contact people ("dm every champion", "send a slack message
# to churned users", "email them"): an action on the world, not a question about data.
IMPERATIVE_ACTION = re.compile(
    r"^(?:(?:please|pls|kindly|hey|hi|ok|okay|now|also|then|and|segq|can\s+you|could\s+you|"
    r"would\s+you|will\s+you|i\s+need\s+you\s+to|i\s+want\s+you\s+to|go\s+ahead\s+and|"
    r"quickly|just)\s+)*"
    r"(send|email|e-mail|dm|message|text|call|notify|ping|contact|slack|tweet|reach\s+out\s+to)"
    r"\b(?!\s+(?:by|per|over|me|us)\b)"  # "send us the figures" asks for an answer
)


def _starts_a_clause(pattern: re.Pattern[str], text: str) -> bool:
    clauses = re.split(r"[.?!;:\n]+|,\s*(?:and\s+|then\s+)?|\s(?:and|then)\s", text)
    return any(pattern.match(c.strip(" '\"*_`")) for c in clauses if c.strip())


def acts(question: str) -> bool:
    """Whether a clause of the question asks to contact people (see IMPERATIVE_ACTION)."""
    return _starts_a_clause(IMPERATIVE_ACTION, question.lower())


def writes(question: str, setting: Callable[[str], bool] = lambda clause: False) -> bool:
    """Whether the question asks to change data (see SQL_WRITE and IMPERATIVE_WRITE). A
    clause that `setting` reads as setting a governed parameter ("lower the bar to 55",
    "set the window to ten days") asks a what-if, not a write."""
    text = question.lower()
    if SQL_WRITE.search(text) is not None:
        return True
    clauses = re.split(r"[.?!;:\n]+|,\s*(?:and\s+|then\s+)?|\s(?:and|then)\s", text)
    return any(IMPERATIVE_WRITE.match(c.strip(" '\"*_`")) and not setting(c)
               for c in clauses if c.strip())


PII = re.compile(
    r"\b(e ?mails?|email address(es)?|phone( numbers?)?|home address(es)?|"
    r"ip address(es)?|passwords?|ssn|social security|credit cards?|"
    r"(first|last|full) names?|postal address(es)?|contact details)\b"
)
# Who a singular "email" belongs to, or what follows it, when it names the column ("their
# email", "email of user 5", "email address"); otherwise it is the channel ("an email to
# champions", "thank-you email", "by email").
_EMAIL_OWNER = re.compile(r"\b(their|his|her|whose|user'?s?|customer'?s?|account'?s?|"
                          r"person'?s?)\s+$")
_A_MESSAGE = re.compile(r"\b(a|an|one)\s+(?:[\w'-]+\s+){0,3}$")  # "a short renewal email"
_EMAIL_COLUMN = re.compile(r"\s*(address|addr|list|dump|export|of|for|column|field|,|and|or|/)")
_NEGATED = re.compile(r"\b(no|without|not|never|n't|nor)\s+(?:\w+\s+){0,2}$")


def pii_requested(text: str) -> re.Match[str] | None:
    """The first personal-data column the question asks for: not one it declines ("no
    contact details needed") nor an email sent as a message ("a thank-you email")."""
    for m in PII.finditer(text):
        if _NEGATED.search(text[:m.start()]):
            continue
        singular = m[0].replace(" ", "") == "email"
        if singular and not _EMAIL_OWNER.search(text[:m.start()]) and (
                _A_MESSAGE.search(text[:m.start()]) or not _EMAIL_COLUMN.match(text[m.end():])):
            continue
        return m
    return None


OFF_TOPIC = re.compile(
    r"\b(weather|forecast|temperature|salar(y|ies)|payroll|wages?|stock|share price|"
    r"poem|joke|song|story|recipe|capital of|world cup|football|soccer|election|president|"
    r"bitcoin|crypto|horoscope|translate|movie|news|lottery|meaning of life|limerick|haiku|"
    r"essay|rhyme|champions\s+league|premier\s+league|super\s+bowl|olympics|nba|nfl|"
    r"who\s+won|world\s+series|write\s+(me\s+)?(a|an|some)\s+(sql|query|code|script|email|letter|blog))\b"
)
UNGOVERNED = re.compile(
    r"\b(lifetime value|ltv|clv|cac|acquisition cost|nps|net promoter|csat|margin|margins|"
    r"churn rates?|"
    r"profit|profits|cost|costs|conversion rate|conversions?|arpu|mrr|arr|bounce rate|"
    r"click through|clicks|ctr|impressions|tickets?|support tickets|refund rate|refunds|"
    r"session length|time spent|downloads|installs|employees count|headcount|"
    r"page views|pageviews|logins count|number of logins|sessions count|number of sessions)\b"
)
RULE_VERB = (r"(defined|calculated|computed|determined|built|worked\s+out|scored|decided|"
             r"assigned|derived|figured(\s+out)?|set\s+up|made\s+up|put\s+together|"
             r"established|classified|segmented|bucketed|tiered|awarded|weighted|cut|counted|"
             r"measured|chosen|picked|sourced)")
DEFINITION = re.compile(
    r"\b(tell\s+me\s+about|difference\s+between|explain|define|describe)\b|"
    rf"^(?!.*\bhow\s+(many|much)\b).*\bhow\b.*\b{RULE_VERB}\b|"
    r"\bhow\s+(?:exactly\s+|actually\s+|really\s+)?(do|does|did|would|should)\s+(we|you|they|i|"
    r"one|segq)\s+(?:exactly\s+|actually\s+|really\s+)?(define|calculate|"
    r"compute|measure|count|determine|decide|score|work\s+out|classify|segment|tier)\b|"
    r"\bwhat('?s|\s+is|\s+are|\s+was|\s+were)?\s+(the\s+)?(actual\s+|exact\s+|official\s+|"
    r"current\s+|governed\s+|precise\s+|underlying\s+)?(definition|meaning|rules?|logic|formula|"
    r"criteria|criterion|requirements?|conditions?|methodology|method)\b|"
    r"\bwhat\s+(?:actually\s+|exactly\s+|really\s+)?(counts|qualifies|classifies)\s+"
    r"(as|someone|somebody|a|an)\b|"
    r"\bwhat\s+(does|do)\b.*\bmean\b|\bwhat\s+(?:[\w'-]+\s+){1,4}?means\b|"  # "what X means"
    r"\bwhat\s+makes\s+(someone|somebody|a\s+user|a\s+customer|users?|customers?|an?)\b|"
    r"^(do|does|did|is|are|will)\b.*\b(count|counted|included|include|includes|excluded|"
    r"exclude|excludes)\s+(toward|towards|in|as|into|from|for)\b|"
    r"\b(definition|meaning)\s+of\b|\bwhat\s+is\s+meant\s+by\b|"
    r"\b(who|what)\s+counts\s+as\b|"
    # when a rule applies, what it takes, where a figure comes from, what it looks at
    r"\bwhen\s+(do|does|is|are|would|should)\s+(we|you|they|someone|somebody|one|a\s+user|users|"
    r"an?\s+\w+)\s+(call|count|consider|considered|classify|label|flag|mark|treat|in)\b|"
    r"\bwhat\s+(does|do)\s+.*\b(need|have)\s+to\s+do\s+to\s+(become|be|count|qualify|get|reach)\b|"
    # a figure's source ("where is this revenue figure from"); people coming from
    # somewhere ("where did those signups come from?") is a breakdown question
    r"\b(where|how)\s+(does|do)\s+(the\s+|this\s+|that\s+|our\s+|its\s+)?([\w-]+\s+){0,2}"
    r"(number|figure|metric|count|stat|value|data|total|kpi)s?\s+come\s+from\b|"
    r"^(do|does|did|would|will)\b.*\bmake\s+(someone|somebody|a\s+user|users?|a\s+customer|you|"
    r"them|one)\b|"
    r"\bhow\s+(far|many\s+(days|weeks|months))\s+back\s+(does|do|is|are)\b|"
    r"^(is|are)\s+(the\s+)?\w+(\s+\w+)?\s+(gross|net)\b|"
    r"\bover\s+what\s+(window|period|timeframe|time\s+frame|lookback)\b|"
    r"\bwhich\s+(events|actions|orders|logins|activities)\s+(count|go\s+in|are\s+included)\b|"
    # what sets a flag or a tier off, the source of a score's weights, "just the rule"
    r"\bwhat\s+(?:actually\s+|exactly\s+|really\s+)?(?:trips|triggers|sets\s+off|flips|"
    r"puts|pushes|bumps|tips)\s+(?:someone|somebody|a\s+user|an?\s+\w+|users?|customers?|"
    r"people|them|the)\b|"
    r"\bwhere\s+(?:do|does)\s+(?:the\s+)?(?:weights?|weightings?|points|scores?|thresholds?|"
    r"cutoffs?|cut-offs?|bands?|tiers?)\b.*\bcome\s+from\b|"
    r"\b(?:just|only)\s+(?:the\s+)?(?:rules?|definition|logic|formula)\b|"
    # what a figure takes in or measures: "what gets counted", "what goes toward X",
    # "what does X really measure"
    r"\bwhat(?:\s+|')(?:exactly\s+|actually\s+)?(?:is|are|s)\s+(?:being\s+|getting\s+)?(?:counted|"
    r"included|measured)\b|"
    r"\bwhat\s+(?:exactly\s+|actually\s+)?(?:counts?|goes)\s+(?:toward|towards|into)\b|"
    r"\bwhat\s+(?:exactly\s+|actually\s+)?(?:does|do)\s+(?:[\w'-]+\s+){1,8}?"
    r"(?:actually\s+|exactly\s+|really\s+)?measure\b|"
    r"\b(?:want|need|give\s+me|show\s+me|send\s+me|see)\s+(?:the\s+|its\s+|their\s+)?"
    r"(?:governed\s+|official\s+|actual\s+|exact\s+)?definition\b|"
    # "the logic behind X", "who exactly does that include"
    r"\b(?:rules?|logic|formula|criteria|thinking|math|maths|reasoning)\s+behind\b|"
    r"\bwho\s+(?:exactly\s+|actually\s+)?(?:is|are|does|do)\s+(?:it|this|that|they|we|you)\s+"
    r"(?:exactly\s+|actually\s+)?(?:count|counting|include|including)\b|"
    r"\bwhere\s+(?:do|does)\s+(?:[\w-]+\s+){1,4}?(?:weights?|weightings?|points|thresholds?|"
    r"cutoffs?|bands?|tiers?)\s+come\s+from\b"
)
# Weaker signs of a question about a definition, trusted only when the question names no
# period and no number: where a figure comes from, what goes into a score, which window is
# used by default, what a metric is exactly.
DEFINITION_ASIDE = re.compile(
    r"^(?!.*\bhow\s+(many|much)\b)(?!.*\b(list|show|break|split)\b)"
    r"(?=.*\b(what|whats|how|where|which|who|why|is|are|does|do)\b).*("
    r"\bdefinition\b|\bgoe?s?\s+into\b|\bmade\s+up\s+of\b|"
    r"\bconsists?\s+of\b|\bby\s+default\b|^what('?s|\s+is|\s+are)\b.*\bexactly\b|"
    r"\bwork\s+out\b|\bworked\s+out\b)"
)
# "Walk us through X" asks how X is made, or through a period's figures ("walk me through
# December day by day"): a definition question only when it names no period.
WALK_THROUGH = re.compile(r"\bwalk\s+(?:me|us|them)\s+through\b")
HOW_MUCH_OR_MANY = re.compile(r"^how\s+(many|much|long)\b")
# A clause that only says to use the governed rule ("usual definition as ever for signups",
# "standard rules please"): no question about the definition, so it is context.
USUAL_DEFINITION = re.compile(
    r"^\s*(?:(?:using|use|with|per|on|under|by)\s+)?(?:the\s+|our\s+)?(?:same|usual|standard|"
    r"normal|regular|governed|official|default)\s+(?:definitions?|defs?|rules?)(?:\s+of\s+"
    r"[\w' -]+?)?(?:\s+as\s+(?:always|usual|before|ever))?(?:\s+(?:please|pls|thanks))?\W*$",
    re.IGNORECASE)
WHAT_IS = re.compile(r"^(what|whats)\s+(?:(is|are|s)\s+)?(?:(a|an|the)\s+)?(?P<rest>.+)$")
CATALOG = re.compile(
    r"\bwhat\s+(segments|metrics|definitions|dimensions|questions|kinds? of questions|data)\b|"
    r"\bwhat\s+can\s+(i|you|we)\s+ask\b|\bwhat\s+do\s+you\s+know\b|^help\b|"
    r"\b(list|show)\s+(me\s+)?(all\s+)?(the\s+)?(available\s+)?(segments|metrics|definitions)"
    r"\s*$|\bwhich\s+(segments|metrics|definitions)\b|\bwhat\s+can\s+you\s+(do|answer)\b"
)
COUNT = re.compile(
    r"\b(how\s+many|number\s+of|count|counts|total|totals|how\s+big|size\s+of|sizes|volumes?|"
    r"n\s+of|head\s*counts?|(a|the)\s+(number|count|total|figure))\b"
)
LIST = re.compile(
    r"\b(list|(?<![a-z]\s)(?<![a-z])who(\s+are|\s+is|'s|s\b)|"
    r"(?<=\b(me|us)\s)who(\s+are|\s+is|'s)|which\s+(users|customers|accounts|"
    r"ones|people|leads|of\s+our)|show\s+(me\s+)?(the\s+|all\s+|our\s+)?"
    r"(users|customers|accounts|people|leads|members|ids)|export|user\s+ids?|"
    r"give\s+me\s+(the\s+|a\s+)?(list|users|customers|ids|accounts)|"
    r"names\s+of|(?<![a-z]\s)(?<![a-z])who\s+(has|have|made|signed)|"
    r"(?<=\b(me|us)\s)who\s+(has|have|made|signed)|(the\s+|their\s+|just\s+)?ids|"
    r"(can|could|would)\s+(you|u)\s+(pull|get|grab|export|fetch))\b"
)
NEGATIVE = re.compile(  # the closed class of negative words and negative auxiliaries
    r"\b(not|never|no|none|nobody|neither|nor|without|anymore|no\s+longer|yet\s+to|yet|"
    r"(do|does|did|have|has|had|is|are|was|were|wo|ca|could|should|would)n'?t)\b"
)
EXPLICIT_LIST = re.compile(r"^(list|export|show|give|pull|get|find)\b|\b(user\s+ids|ids|names\s+of|"
                           r"list\s+of|the\s+list)\b")
NEGATION = re.compile(r"(\bnot|n't|\bnever|\bno|\byet\s+to)\s+(yet\s+)?(been\s+)?$")
COMPARATIVE = re.compile(r"(above|over|more\s+than|greater\s+than|higher\s+than|>)\s*$")
COMPARE = re.compile(r"\b(compare|compared|comparing|vs|versus|against|respectively|separately|"
                     r"each|side\s+by\s+side|head\s+to\s+head)\b")
# The comparative adjectives of a figure ("higher", "stronger"), one list for every pattern.
COMPARATIVES = ("more|fewer|less|higher|lower|bigger|smaller|larger|greater|better|worse|"
                "stronger|weaker|busier|quieter")
# "Fewer X on pro or on free?", "who ordered more, BR or JP?": a choice between named
# values asked with a comparative; each value gets its row.
CHOICE = re.compile(rf"\b({COMPARATIVES})\b"
                    r"(?=.*\bor\b)")
SUPERLATIVE = re.compile(
    r"\b(?P<desc>most|highest|top|biggest|largest|best|max|maximum|busiest|strongest|"
    r"heaviest)\b|"
    r"\b(?P<asc>least|lowest|fewest|smallest|worst|min|minimum|bottom|slowest|weakest|"
    r"quietest)\b"
)
WHICH = re.compile(r"^(which|who)\b")
LIST_LOOSE = re.compile(r"^(show|give|find|get|pull)\b")
DISTRIBUTION = re.compile(
    r"\b(each|every|per|distribution|breakdown|break\s+down|split|"
    r"broken\s+down|by\s+(stage|tier|segment|rfm|lifecycle)|sizes|"
    r"counts|mix|tiers|stages|segments)\b"
)
HISTORY = re.compile(
    r"\b(each|every|per)\s+month(\s+end)?\b|\bmonth\s+ends?\b|"
    r"\bmonth\s+by\s+month\b|\bover\s+time\b|\btrend(s|ed)?\b|\bhistor(y|ical)\b|"
    r"\bend\s+of\s+each\b|\bmonthly\b"
)
RETENTION = re.compile(
    r"\b(retention|retained|retain|retaining|cohort|cohorts|came\s+back|months?\s+later|"
    r"stick\s+around|stuck\s+around)\b|"
    # "still active/doing core actions" is retention only with a month after signup
    r"\bstill\s+(active|doing|using|making)\b(?=.*\b(months?|month\s*\d+)\b)"
)
GROUP_LEAD = (
    r"(?:by|per|each|every|across|for\s+each|for\s+every|split\s+by|broken\s+down\s+by"
    r"|break\s+down\s+by|breakdown\s+by|grouped\s+by|by\s+their|broken\s+out\s+by"
    r"|broke\s+down\s+by|break\s+out\s+by|counted\s+by|tallied\s+by|bucketed\s+by|x|\u00d7)"
)
GRAIN = re.compile(
    rf"\b{GROUP_LEAD}\s+(?:the\s+)?(signup\s+|order\s+|cohort\s+)?"
    r"(day|week|month|quarter|year)s?\b|\b(daily|weekly|monthly|quarterly|yearly|"
    r"annually|annual)\b"
)
GRAIN_WORD = {
    "daily": "day",
    "weekly": "week",
    "monthly": "month",
    "quarterly": "quarter",
    "yearly": "year",
    "annually": "year",
    "annual": "year",
}
WHERE_GO = re.compile(r"\bwhere\s+(did|do|have)\b.*\b(go|gone|end\s+up|land)\b")
MOVE = re.compile(
    r"\b(still|now|anymore|no\s+longer|became|become|becoming|moved|move|moving|went|turned|"
    r"transitioned|transitions?|migrated|ended\s+up|are\s+they|today|currently)\b"
)
VAGUE_QUESTION = re.compile(r"\bhow\s+did\s+(we|things|it|the\s+business)\s+do\b|"
                            r"\b(pull|get|grab)\s+(me\s+)?(some|the)\s+(numbers?|data|stats?)\b|"
                            r"\bwhat('s|s|\s+is)\s+the\s+number\s+for\b|"
                            r"\bhow\s+(are|is|were|was)\s+(we|things|it|business|the\s+business|"
                            r"our\s+business|everything)\s+"
                            r"(doing|going|looking|performing|trending)\b|"
                            r"\b(send|give|show)\s+me\s+(the|some|all\s+the)\s+"
                            r"(numbers?|data|stats?|metrics?)(\s+(please|pls|thanks))?\s*$")
MONTH_NUMBER = re.compile(
    r"\bmonth\s*(\d{1,2})\b|\b(\d{1,2})(?:st|nd|rd|th)?\s+months?\s+"
    r"(?:after|since|from|in|later|out|on)\b|\b(first|second|third|fourth|fifth|"
    r"sixth)\s+month\b|\bafter\s+(\d{1,2})\s+months?\b|\bin\s+month\s+(\d+)|"
    r"\b(\d{1,2})\s+months?(?=\s+retention)|"
    # month 0 is the cohort's own month: the month of signup, the month they joined
    r"(?P<zero>\b(?:in|during|within)\s+(?:their|the|its)\s+(?:(?:signup|sign\s*-?\s*up|joining)"
    r"[\s-]+month|(?:first\s+)?month\s+(?:of\s+signup|they\s+(?:signed\s+up|joined)))\b|"
    r"\bsignup[\s-]+month(?=\s+retention))"
)
ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6}
# A verb of ranking rows by a measure: "rank our PQLs by spend", "sorted by orders".
RANK_VERB = re.compile(r"\b(rank|ranked|ranking|sort|sorted)\s+")
# A ranked count said by its question word ("which 4 accounts bought the most"), or one
# person by a question word or "single" beside a superlative ("who ordered the most", "our
# single largest buyer by AOV").
# A number that is not a length of time or a percentage ("which 3", not "what 3 months").
NOT_A_PERIOD = r"(?!\s*(?:days?|weeks?|months?|quarters?|years?|%|percent)\b)"
WHICH_N = re.compile(rf"\b(?:which|what|the)\s+(\d{{1,4}})\b{NOT_A_PERIOD}")
ONE_RANKED = re.compile(r"^(?:who|who'?s|whose)\b|\bsingle\s+(?=(?:most|highest|top|biggest|"
                        r"largest|best|least|lowest|smallest|worst)\b)")
LIMIT = re.compile(r"\b(top|first|limit(?:\s+to)?|bottom|best|worst|highest|lowest)\s+(\d{1,6})\b|"
                   # "the 4 plans with the highest AOV": a count before what is ranked
                   rf"\b(the|our)\s+(\d{{1,4}})\s+{RANKED_AFTER}")
NUMBER = re.compile(
    r"(?<![\w.])(\d+(?:\.\d+)?)(\s*%|\s+percent)?"
    r"(?:(?![\w+]|-\d)|\+(?=\s+(?:days?|weeks?|logins?|projects?|points?)\b|[^\w\s+]|\s*$))"
)
# (an adverb of averaging before a question word, "typically, what ...", averages nothing named)
AVERAGE_OF = re.compile(r"\b(average|avg|mean|median|typical)\s+(?!order\s+value|basket|order\b|"
                        r"purchase|(?:how|what|which|who|when|where|why)\b)(\w+(\s+\w+)?)")
ON_AVERAGE = re.compile(r"\b(?:on\s+(?:an?\s+)?average|on\s+avg)\b")
VAGUE_TIME = re.compile(r"\b(recently|lately|recent|these\s+days|nowadays|of\s+late)\b")
UNIT_WORDS = r"days?|weeks?|months?|logins?|projects?|points?|times?"
UNIT = re.compile(rf"\s*({UNIT_WORDS}|percent|%)\b")
UNIT_ONLY = re.compile(rf"^({UNIT_WORDS})$")  # a phrase that is nothing but a unit
PREPOSITION_BEFORE = re.compile(r"\b(over|across|within|during|for|to|of|at|with|by|after|"
                                r"beyond|past|from)\s+(?:(?:a|an|the)\s+)?$")
TIME_LEAD = re.compile(r"\b(during|in|over|within|for|from|throughout|across|at|on|of)\s+"
                       r"((just|only)\s+)?(the\s+)?$")
BOUND_BEFORE = re.compile(r"\b(at\s+least|more\s+than|over|above|greater\s+than|higher\s+than|"
                          r"no\s+fewer\s+than|no\s+less\s+than|minimum(\s+of)?|min|>=?|"
                          r"at\s+or\s+above)\s+$")
# The verb that counts a parameter's unit: "created 5 projects", "logged in 4 times".
COUNTING_VERB = re.compile(r"\b(created|create|creating|made|make|making|built|build|started|"
                           r"logged\s+in|log\s+in|logging\s+in|scored|score|scoring|hit|hits|"
                           r"reached|reach|reaches|crossed|cleared|clear|clears|had|has|have|"
                           r"did|done|racked\s+up)\s+$")
WINDOW_WORD = re.compile(r"\b(daily|weekly|monthly|(\d{1,3})\s*days?)\s+$")
WINDOW_DAYS = {"daily": 1, "weekly": 7, "monthly": 30}
OLD_VALUE = re.compile(r"(instead\s+of|rather\s+than|not|vs|versus|from)\s+(?:(?:the|our)\s+)?"
                       r"(?:(?:usual|default|governed|standard|current|normal|regular|existing|"
                       r"typical)\s+)?$")
AT_LEAST = re.compile(r"\s*(?:(or\s+more|or\s+above|or\s+higher|and\s+up|or\s+over)\b|\+)|^\s*$")
ORDER_WORDS = re.compile(
    r"\b(ordered|bought|purchased|placed|placed\s+(an\s+)?orders?|"
    r"made\s+(a\s+)?purchases?|completed\s+(a\s+|an\s+|any\s+)?(purchases?|orders?))\b"
)
SIGNUP_WORDS = re.compile(
    r"\b(signed\s+up|sign\s+ups?|signups?|joined|registered|"
    r"new\s+signups|cohorts?)\b"
)
IF_CLAUSE = re.compile(
    r"\bif\s+(?:the\s+)?(?:\w+\s+){0,4}?(?:meant|means|was|were|is|"
    r"required|needed|had)\b"
)
COUNTRY_CODES = re.compile(r"\b(US|GB|UK|DE|FR|IN|BR|CA|AU|JP|NL)\b")
SHARE = re.compile(r"\b(what\s+)?(share|percentage|percent|proportion|fraction|portion|what\s+%|"
                   r"how\s+much\s+of)\s+(of\s+)?(our\s+|the\s+|all\s+)?\b|"
                   r"%\s+of\s+(our\s+|the\s+|all\s+)?")
REGION = re.compile(r"\b(europe|european|eu|emea|apac|asia|asian|latam|latin\s+america|"
                    r"south\s+america|north\s+america|americas|oceania|africa|middle\s+east|nordics|"
                    r"dach|benelux|scandinavia)\b")
# A dash between two dates is a range ("feb 3 - mar 8", "Q2 - Q4"), not a break: a dash
# breaks a clause unless a date word or number stands on both sides of it.
_MONTH3 = "jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec"
_DASH = r"\s[-\u2013\u2014]+\s"
# An emoji ends what was said before it ("support lead here \U0001f44b how many ...").
EMOJI = "\U0001f300-\U0001faff\u2600-\u27bf"
CLAUSE_BREAK = re.compile(
    rf"[?!:;\n{EMOJI}]+|{_DASH}(?!\d|q[1-4]\b|h[12]\b|(?:{_MONTH3})[a-z]*\b)|"
    rf"(?<!\d)(?<!\bq\d)(?<!\bh\d)(?<!\b(?:{_MONTH3}))(?<!\b(?:june|july|sept))"
    rf"(?<!\b(?:march|april))(?<!uary)(?<!ber)(?<!\baugust){_DASH}|(?<=\w)(?:\.+|\u2026)\s+",
    re.IGNORECASE)
# The closed class of English nouns for a person's job or standing: the head of the asker's
# role ("account director", "payroll clerk", "the data owner").
_ROLE_NOUN = (r"(?:owner|manager|lead|director|head|analyst|engineer|developer|scientist|"
              r"designer|researcher|marketer|controller|accountant|adjuster|underwriter|actuary|"
              r"officer|executive|exec|vp|cfo|ceo|coo|cto|cmo|cro|cpo|founder|member|intern|"
              r"hire|newbie|newcomer|partner|assistant|associate|specialist|consultant|rep|"
              r"representative|coordinator|strategist|architect|admin|administrator|pm|po|"
              r"investor|auditor|advisor|adviser|editor|copywriter|recruiter|treasurer|"
              r"bookkeeper|clerk|student|operator|agent|broker)\b")
# What the asker works on, after the role: "for pricing", "on the growth team".
_ROLE_OF = (r"(?:\s+(?:for|on|in|at|of|with)\s+(?:the\s+|our\s+|a\s+)?[\w'/&-]+"
            r"(?:\s+[\w'/&-]+){0,2}?)?")
# A role said bare, as a whole clause ("account director", "payroll clerk:"): one to three
# words before its noun, none of them a word that asks or counts ("revenue by agent", "list
# the partners" are questions).
_BARE_ROLE = (r"(?:(?!(?:by|per|of|for|top|list|show|each|every|which|who|how|what|many|much|"
              r"most|all|the|our|my|their|any|no|non|and|or|vs)\b)[a-z][\w'&-]*[\s/-]+){1,3}?"
              rf"{_ROLE_NOUN}{_ROLE_OF}")
_ROLE = rf"(?:[\w'/&-]+\s+){{0,3}}?{_ROLE_NOUN}{_ROLE_OF}"
_INTRO = r"(?:(?:i'?m|i\s+am|as)\s+(?:a|an|the|your|our|one\s+of\s+the)\s+|as\s+)"
_GREETING = r"(?:(?:hi|hey|hello|yo)\b[\s,!]*)?"
# A clause that only says who is asking ("sales here", "finance asks", "hi, marketing team
# here", "account director", "I'm the data owner for billing", "as a new hire"): context,
# even when the team's name is also a governed word.
SPEAKER = re.compile(rf"^\s*{_GREETING}(?:(?:\w+[\s/&-]+){{0,2}}?(?:team\s+)?"
                     r"(?:here|asks?|asking|wants\s+to\s+know|wonders?|q|ops|operations|lead|"
                     r"manager|director|analyst|engineer|exec|vp|intern|"
                     r"question(?:\s+from\s+(?:the\s+)?[\w/&-]+(?:\s+[\w/&-]+)?)?)|"
                     rf"{_INTRO}{_ROLE}|{_BARE_ROLE}(?:\s+(?:here|asking|question))?)"
                     r"\s*[.,!]*\s*$", re.IGNORECASE)
# The same opening a clause: "data PM here, quick one ...", "as an account director I want ...",
# "As COO we need ...", "I'm a finance controller, ...".
SPEAKER_LEAD = re.compile(
    rf"^\s*{_GREETING}(?:(?:[a-z]+[\s/&-]+){{0,2}}?[a-z]+\s+here\s*,\s*|"
    rf"{_INTRO}{_ROLE}(?:\s*,\s*|\s+(?=(?:i|we)\b)))(?=\S)", re.IGNORECASE)
# A hedge about the asking itself before "but": "not sure I'm asking in the proper spot, but".
ASKING_ASIDE = re.compile(r"^\s*(?:not\s+sure\s+(?:if\s+|whether\s+)?(?:this|i)\b|sorry\b|"
                          r"apologies\b)[^,]*?,?\s*\bbut\s+(?=\S)", re.IGNORECASE)
# Who the answer is for, opening a clause: "marketing wants lapsed accounts per country", "my
# manager needs the PQL list". A singular asker (one word, or "X team") and a verb of
# wanting; a plural subject ("engaged users want ...") takes "want" and is never read as the asker.
REQUESTER = re.compile(r"^\s*(?:(?:the|my|our)\s+)?[a-z]+(?:\s+team)?\s+(?:wants|needs|asked\s+for|"
                       r"asks\s+for|is\s+asking\s+for|requested|would\s+like)\s+"
                       r"(?:to\s+(?:see|know|get|have|pull)\s+)?(?=\S)", re.IGNORECASE)
# What the answer is for: "for the renewal memo", "before friday's sync", "for the
# pricing workshop". The head noun is an occasion or a document, never something counted.
# Said as the asker's work on it, the purpose runs to the verb of needing: "I'm prepping the
# quarterly memo and need ...".
PURPOSE = re.compile(
    r"(?:\b(?:for|in|into|ahead\s+of|before)|(?:\b(?:i'?m|i\s+am|we'?re|we\s+are)\s+)?\b(?:"
    r"prepping|preparing|putting\s+together|building|working\s+on|writing|finishing|drafting))"
    r"\s+(?:the|our|my|a|an|this|next|tomorrow'?s|today'?s|"
    r"(?:mon|tues|wednes|thurs|fri)day'?s|this\s+week'?s|next\s+week'?s)\s+(?:[\w'/&-]+\s+){0,2}"
    r"(?:deck|slides?|review|meeting|handoff|hand-off|campaign|presentation|sync|standup|"
    r"stand-up|offsite|newsletter|outreach|kickoff|kick-off|retro|all-hands|memo|doc|writeup|"
    r"write-up|pitch|workshop|qbr|1:1|one-on-one|board\s+pack)\b(?:(?:\s+(?:and|so))?\s+(?:i\s+|we\s+)?(?:need|want|would\s+like)"
    r"(?:\s+to\s+(?:see|know|get|have))?\b)?",
    re.IGNORECASE)
# A clause after the question saying what the asker will do with the answer or thinks of it
# ("going to phone them all", "I'll pair them with invoices", "feels like a churn roster"):
# context, unless it names something governed that the question does not.
INTENT_CLAUSE = re.compile(
    r"^\s*(?:(?:and|so|but|ok|okay|btw|then)\s+)?(?:(?:i|we|they|he|she|my\s+\w+|our\s+\w+|"
    r"the\s+\w+|\w+)(?:\s+|(?=['\u2019])))?(?:['\u2019]ll|will|wants?\s+to|need\s+to|needs\s+to|['\u2019]m\s+going\s+to|"
    r"am\s+going\s+to|are\s+going\s+to|is\s+going\s+to|going\s+to|gonna|wanna|trying\s+to|"
    r"plan(?:s|ning)?\s+to|hop(?:e|es|ing)\s+to|(?:would|['\u2019]d)\s+like\s+to)\s|"
    r"^\s*(?:it\s+|this\s+|that\s+)?(?:feels?|looks?|sounds?|seems?)\s+like\s|"
    r"^\s*(?:i\s+|we\s+)?(?:don['\u2019]?t|do\s+not)\s+want\s|^\s*so\s+(?:i|we|that|they)\s|"
    # what the asker will judge from it: "to check if churn is creeping up"
    r"^\s*(?:(?:so\s+)?(?:in\s+order\s+)?to|so\s+(?:that\s+)?(?:i|we)\s+can)\s+(?:see|check|know|"
    r"understand|judge|gauge|tell|confirm|figure\s+out|find\s+out|work\s+out)\s+"
    r"(?:whether|if|how|where|why)\s",
    re.IGNORECASE)
# The asker of a figure already named: "q2 orders, the ceo asked for them".
REQUESTER_OF_IT = re.compile(r"[,;]?\s*\b(?:the\s+|my\s+|our\s+)?[a-z]+(?:\s+team)?\s+"
                             r"(?:wants|needs|asked\s+for|requested)\s+(?:it|this|that|these|them)\b",
                             re.IGNORECASE)
WHOLE_MATRIX = re.compile(r"\b(matrix|table|grid|heatmap|curves?|by\s+(signup\s+)?cohort|"
                          r"(each|every|all)\s+(signup\s+)?cohorts?|cohorts|monthly\s+cohort)\b")
# The closed class of words that leave a value out: prepositions and verbs of exclusion.
EXCLUDE = re.compile(r"(\bnot(\s+counting|\s+including)?|n't|\boutside(\s+of)?|"
                     r"\bexclud(?:e|es|ed|ing)|\bexcl|\bexcept(\s+for)?|\bother\s+than|\bapart\s+from|\baside\s+from|"
                     r"\bbesides|\bnon|\bwithout|\bleav(?:e|es|ing)\s+out|\bleft\s+out|"
                     r"\bskip(?:s|ped|ping)?|\bomit(?:s|ted|ting)?|\bignor(?:e|es|ed|ing)|"
                     r"\bminus|\bbarring)\s+(on\s+|in\s+|from\s+|at\s+|"
                     r"the\s+|a\s+|an\s+|any\s+|anyone\s+|anybody\s+|everyone\s+|those\s+|people\s+|users\s+"
                     r"|who\s+(?:are|is)\s+|that\s+(?:are|is)\s+)*$")
# A trend asked for without a grain ("AOV trending since March", "orders over time").
TREND = re.compile(r"\b(trends?|trended|trending|trendline|over\s+time|trajectory|"
                   r"evolution|evolved|progression)\b")
# The same period a year before the one named: a year-over-year comparison.
SAME_LAST_YEAR = re.compile(
    r"\b(?:the\s+)?same\s+(?:month|quarter|half|period|week|time|window|stretch|days?)\s+"
    r"(?:(?:of|in)\s+)?(?:last\s+year|the\s+(?:previous|prior)\s+year|a\s+year\s+(?:ago|before|"
    r"earlier))|\b(?:year\s+over\s+year|year\s+on\s+year|yoy|y/y)\b")
# A period against the one before it, said by its unit: "week over week", "MoM", "q/q".
PERIOD_OVER = re.compile(r"\b(?:(?P<unit>week|month|quarter)[\s-]+(?:over|on)[\s-]+(?P=unit)|"
                         r"(?P<abbr>wow|mom|qoq|w/w|m/m|q/q))\b")
# A change between two periods: "did AOV climb from March to May" compares the two ends.
CHANGE_VERB = re.compile(r"\b(grow|grew|grown|growth|increase[ds]?|decrease[ds]?|drop(ped|s)?|"
                         r"decline[ds]?|change[ds]?|(go|goes|went|gone|going)\s+(up|down)|"
                         r"rise|rose|risen|fall|fell|fallen|jump(ed|s)?|climb(ed|s)?|"
                         r"improve[ds]?|shrink|shrank|dip(ped|s)?)\b")
# A change asked for by its noun: "growth", "the difference", "% change".
CHANGE_NOUN = re.compile(r"(?:\b(?:growth|difference|delta|(?:percent|percentage)\s+change|"
                         r"(?:the|a|an)\s+(?:change|increase|decrease|drop|decline|rise|"
                         r"fall|jump|dip))|%\s*change)\b")
# A change asked as a rate: "% change", "percentage growth".
RATE_OF_CHANGE = re.compile(r"(?:%|\bper\s*cent(?:age)?)\s*(?:change|growth|increase|decrease)\b")
# A clause that asks for the size of a change ("and the % change?", "give the difference"),
# not a bare noun that may name a team ("growth team").
CHANGE_ASKED = re.compile(rf"{RATE_OF_CHANGE.pattern}|"
                          r"\b(?:the|a|an)\s+(?:change|difference|delta)\b")
# The people a segment leaves out, as the other side of a comparison ("vs everyone else",
# "against the remainder of users", "compared with all other accounts").
REST = re.compile(r"\b(?:vs\.?|versus|compared\s+(?:to|with)|against|relative\s+to)\s+(?:the\s+)?"
                  r"(?:(?:every(?:one|body|thing)|any(?:one|body|thing)|all)\s+else|"
                  r"(?:all\s+)?(?:the\s+)?rest"
                  r"(?:\s+of\s+(?:them|us|the\s+base))?|(?:all\s+)?(?:the\s+)?others|"
                  r"(?:all\s+)?(?:the\s+)?other\s+(?=users|customers|people|accounts|folks))\b")
COMPARE_PERIODS = re.compile(r"\b(vs|versus|compared?\s+(with|to)|compare|comparing|against|"
                             r"relative\s+to|stack(s|ed)?\s+up|side\s+by\s+side|next\s+to|"
                             r"alongside|beside)\b")
DATA_WORDS = re.compile(r"\b(numbers?|stats?|statistics|metrics?|kpis?|data|figures|report|"
                        r"dashboard)\b")
