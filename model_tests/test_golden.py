"""The release gate over the golden suites in fixtures/golden/.

One test per case (``test_case[<suite>/<case_id>]``): the model's answer must pass the case's
check; a case that passed on the baseline and fails now is a regression, one that already failed
is a known failure (xfail), a fixed one is an improvement (xpass), and a case tagged ``critical``
must pass whatever the baseline says.

One test per suite metric (``test_metric[<suite>::<metric>]``): its value must meet its bar; and
one per no-drop comparison (``[<suite>::<metric>::no_drop]``): it must not fall by more than its
``max_drop`` against the baseline.
"""


def test_case(golden_case):
    golden_case.assert_passes()


def test_metric(suite_metric):
    suite_metric.assert_meets_bar()
