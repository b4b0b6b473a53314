"""nntheory: the computing behind the executable lecture notes on neural-network optimization theory.

One module per topic; chapters import what they need, e.g. ``from nntheory import nets, clarke, viz``.
"""

__version__ = "0.1.0"
