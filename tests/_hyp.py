"""``examples(n)``: a test's number of hypothesis examples, scaled by the active profile (``conftest.py``)."""

import os

from hypothesis import settings

PROFILES = {"ci": 1, "explore": 10}
profile = os.environ.get("NNTHEORY_HYPOTHESIS", "ci")
if profile not in PROFILES:
    raise ValueError(f"NNTHEORY_HYPOTHESIS must be one of {sorted(PROFILES)}, got {profile!r}")


def examples(n: int) -> settings:
    """``@examples(40)``: 40 examples under the ``ci`` profile, 400 under ``explore``."""
    return settings(max_examples=n * PROFILES[profile])
