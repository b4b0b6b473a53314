"""Hypothesis profiles for the whole suite (see README, "Property tests").

* ``ci`` (the default; ``make test`` and ``.ci/run`` use it): derandomized, so every run draws the
  same examples and a clean checkout passes or fails the same way every time; no example database.
* ``explore``: random draws, ten times the examples of each test (``tests/_hyp.py``), failures
  remembered in ``.hypothesis/`` so they replay. Select it with ``NNTHEORY_HYPOTHESIS=explore``.
"""

import os

from hypothesis import settings

settings.register_profile("ci", derandomize=True, database=None, deadline=None, print_blob=True)
settings.register_profile("explore", derandomize=False, deadline=None, print_blob=True)
settings.load_profile(os.environ.get("NNTHEORY_HYPOTHESIS", "ci"))
