"""The ground floor: what every other subpackage stands on, importing nothing of releasegate's
but :mod:`releasegate.exceptions`.

- :mod:`.atomic`: a file written whole or not at all;
- :mod:`.locks`: the one cross-process lock for first-use files in the cache folder;
- :mod:`.memo`: JSON memos in the cache folder, read, merged or computed once on that lock;
- :mod:`.devices`: which device a worker takes, and how many replicas a machine holds;
- :mod:`.display`: text shortened and made safe per medium (terminal, Markdown, HTML);
- :mod:`.records`: the typed records of a run, and :mod:`.serialisation`, their one
  serialisation (JSON to and from the fields' declared types);
- :mod:`.stats`: the statistics of paired comparisons (McNemar, and the comparisons the gate
  calls), standing on :mod:`.paired` (the comparison record), :mod:`.bootstrap` (intervals,
  resampling) and :mod:`.permutation` (sign-flip and count-swapping tests).

A test (``tests/test_architecture.py``) keeps this floor at the bottom.
"""
