"""The benchmark's questions still mean what its hand-written SQL computes.

`benchmarks/bench_compare.py` times segq's answer to each question of
`benchmarks/hand_sql.py` against that file's hand SQL. If the planner comes to read a
question another way ("pql score distribution" became one row per score value), the timing
compares two different queries; here each question is asked on the small demo and its rows
must equal the hand SQL's.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from assistant.pipeline import Assistant

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from hand_sql import FAMILIES, METRIC_QUESTIONS, normal_rows  # noqa: E402


@pytest.mark.parametrize(("family", "question", "hand"),
                         [*FAMILIES, *METRIC_QUESTIONS], ids=lambda v: str(v)[:40])
def test_each_benchmark_question_is_answered_with_its_hand_sqls_rows(config, family, question,
                                                                    hand):
    assistant = Assistant(config)
    answer = assistant.ask(question, source="eval")
    assert answer.status == "answered", answer.message
    expected = assistant.warehouse.cursor().execute(hand).fetchall()
    assert expected  # an empty pair would prove nothing
    assert normal_rows(answer.rows) == normal_rows(expected)
