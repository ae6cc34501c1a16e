"""Fixtures of the review tests: a small project answered by a scripted server
(review_project.py)."""

from review_project import answers, exported, project, server  # noqa: F401  (fixtures for this folder)
