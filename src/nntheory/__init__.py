"""nntheory: the computing behind the executable lecture notes on neural-network optimization theory.

One module per topic; chapters import what they need, e.g. ``from nntheory import nets, clarke, viz``.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("nntheory")  # one source: pyproject.toml
except PackageNotFoundError:  # pragma: no cover - running from an unpacked source tree
    __version__ = "unknown"
