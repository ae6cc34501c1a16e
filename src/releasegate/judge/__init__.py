"""A judge model for open-ended answers: a referee model scores each answer on the suite's
rubric (pointwise) or compares it with the baseline's answer in both orders (pairwise), and gates
only as far as it agrees with the project's own reviewers (calibration).

- :mod:`.types`: the shared types (judgments, pair judgments in both orders, the identity);
- :mod:`.config`: :class:`~.config.JudgeSpec`, the manifest's ``judge:`` over
  ``[tool.releasegate.judge]``;
- :mod:`.kinds`: what registers with golden's metric registry (entry point ``judge`` of
  ``releasegate.metric_kinds``: golden never imports this package);
- :mod:`.prompts`: the templates (shipped in ``templates/``, English and Chinese), checked,
  rendered, hashed; :mod:`.parsing`: the judge's output read strictly;
- :mod:`.items`: a case and its answers as the judge reads them;
- :mod:`.runner`: :class:`~.runner.Judge` and :func:`~.runner.judge_for`, over :mod:`.cache`
  (the verdict cache).
"""
