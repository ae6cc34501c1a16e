"""The release gate over general benchmarks ([tool.releasegate.general], run through lm-eval).

One test per task metric (``test_benchmark[general/<task>::<metric>]``): its value, held to the
task's ``min`` where it has one; and one per comparison with the baseline
(``[general/<task>::<metric>::no_drop]``): paired on the same questions, it fails when the drop
exceeds ``max_drop`` or is significant at ``alpha``. All of them run on one pytest-xdist worker,
which evaluates every task once, on the model it already loaded. Without general benchmarks
configured it is one skipped test that says so.
"""


def test_benchmark(general_benchmark):
    general_benchmark.assert_passes()
