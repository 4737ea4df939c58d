"""segq: plain-language questions answered from governed semantic-model definitions."""

__version__ = "0.1.0"
