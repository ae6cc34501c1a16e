"""What a run leaves behind: ``reports/<run-id>/`` (results.json, summary.md, junit.xml)
and the terminal summary; written by the controller only.
"""

from __future__ import annotations
