"""A judge model for open-ended answers: a referee model scores each answer on the suite's
rubric (pointwise) or compares it with the baseline's answer in both orders (pairwise), and gates
only as far as it agrees with the project's own reviewers (calibration).

The shared types are in :mod:`.types`.
"""
