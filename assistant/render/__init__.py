"""Renderers turn an Answer into what a surface shows; they never query or write anything.

terminal.py  the readable CLI answer
slack.py     Block Kit messages (and the CSV a Slack user downloads)
charts.py    PNG charts where a picture reads better than a table
"""
