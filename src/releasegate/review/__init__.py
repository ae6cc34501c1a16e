"""Human review: answers out to a spreadsheet, scores back in, kept as data, gated on.

- :mod:`.rubric`: a suite's ``review:`` (scale, criteria, pass mark, pending rule);
- :mod:`.metrics`: the metric kind ``human_score`` / ``human_pass_rate``, which registers itself
  and the ``review:`` section with golden's metric registry (entry point ``review`` of
  ``releasegate.metric_kinds``: golden never imports this package);
- :mod:`.sheet` / :mod:`.importing`: the workbook out and back, validated whole;
- :mod:`.store`: the review memory, ``fixtures/reviews/<suite>.jsonl``;
- :mod:`.agreement`: Cohen's kappa and the rows reviewers disagree on;
- :mod:`.verdicts`: a case's human verdict (looked up by the engine, joined to the case by
  ``gate.judging.judge``);
- :mod:`.gate`: ``human_score`` / ``human_pass_rate`` (gated through ``gate.verdicts``), a
  run's summary;
- :mod:`.commands`: ``releasegate review export|import|disagreements``.
"""
