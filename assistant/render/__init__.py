"""Renderers turn an Answer into what a surface shows; they never query or write anything.

terminal.py  the readable CLI answer
slack.py     Block Kit messages (and the CSV a Slack user downloads), built from
             slack_blocks.py (Slack's limits), slack_table.py (table, CSV), slack_wording.py
charts.py    PNG charts where a picture reads better than a table
"""
