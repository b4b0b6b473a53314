"""Values into the book's text: ``glue(name, value)`` in myst-nb's record format, without needing myst-nb.

The chapters call :func:`glue` for every number the prose quotes. At build time myst-nb reads the
records from the executed notebook (``{glue:text}`name```); in a reader's Jupyter or Colab, where
myst-nb (a Sphinx extension) is not installed, the same call just shows the value or does nothing.
"""

from __future__ import annotations

from typing import Any

from . import _validate as v

GLUE_PREFIX = "application/papermill.record/"  # myst-nb's (and scrapbook's) prefix for hidden records


def glue(name: str, value: Any, display: bool = True) -> None:
    """Record ``value`` under ``name`` for the book's text; shown in the notebook only if ``display``."""
    if not isinstance(name, str):
        raise TypeError(f"name must be a str, got {type(name).__name__}")
    if not name:
        raise ValueError("name must be a non-empty string")
    display = v.boolean(display, "display")
    try:
        from IPython.core.formatters import format_display_data
        from IPython.display import display as ipy_display
    except ImportError:  # plain Python, no kernel: nothing to record into
        return
    bundle, metadata = format_display_data(value)
    prefix = "" if display else GLUE_PREFIX
    metadata["scrapbook"] = {"name": name, "mime_prefix": prefix}
    ipy_display({prefix + k: x for k, x in bundle.items()}, raw=True, metadata=metadata)
