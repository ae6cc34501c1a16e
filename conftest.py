"""The repository's own pytest settings.

The releasegate plugin itself is installed as a pytest11 entry point (see pyproject.toml); its
engine lives in src/releasegate. Nothing here changes how suites are judged.
"""

pytest_plugins = ["pytester"]
