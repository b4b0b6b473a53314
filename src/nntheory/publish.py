"""Values into the book's text: ``glue(name, value)`` in myst-nb's record format, without needing myst-nb.

The chapters call :func:`glue` for every number the prose quotes. At build time myst-nb reads the
records from the executed notebook (``{glue:text}`name```); in a reader's Jupyter or Colab, where
myst-nb (a Sphinx extension) is not installed, the same call just shows the value or does nothing.
"""

from __future__ import annotations

from typing import Any

from . import _validate as v

__all__ = ["glue"]

GLUE_PREFIX = "application/papermill.record/"  # myst-nb's (and scrapbook's) prefix for hidden records


def glue(name: str, value: Any, display: bool = True) -> None:
    """Record ``value`` under ``name`` for the book's text; shown in the notebook only if ``display``.

    The record is the display bundle of ``value`` (its ``text/plain``, ``text/html``, ... representations)
    with ``metadata["scrapbook"] = {"name": name, "mime_prefix": prefix}``, exactly as ``myst_nb.glue``
    writes it; a hidden record (``display=False``) prefixes every MIME type with ``GLUE_PREFIX``. The text
    then quotes it as ``{glue:text}`name``` (with a format, e.g. ``{glue:text}`name:.3f```).

    Parameters
    ----------
    name : str
        The key the text uses to quote the value; non-empty, unique within a chapter.
    value : object
        Any value IPython can display: a float, an int, a string, an array, a figure, ...
    display : bool, default True
        True: the value is also shown in the cell's output; False: a hidden record only (what the chapters
        use for numbers quoted in the prose).

    Returns
    -------
    None
        The record is written to the cell's output. In plain Python without IPython nothing is recorded;
        with IPython but no kernel, ``display=True`` prints the value and ``display=False`` does nothing.

    Raises
    ------
    TypeError
        If ``name`` is not a str, or ``display`` is not a bool.
    ValueError
        If ``name`` is empty.

    Examples
    --------
    Outside a kernel (here, a doctest) a shown value is printed and a hidden record leaves no trace:

    >>> from nntheory.publish import glue
    >>> glue("slope", 0.5)
    0.5
    >>> glue("slope_hidden", 0.5, display=False)

    What a kernel receives for a hidden record (IPython's ``display`` replaced by a recorder, then restored):
    the value's ``text/plain`` under myst-nb's prefix, and its name.

    >>> import IPython.display
    >>> records, real_display = [], IPython.display.display
    >>> IPython.display.display = lambda bundle, **kw: records.append((bundle, kw["metadata"]["scrapbook"]))
    >>> glue("slope", 0.5, display=False)
    >>> IPython.display.display = real_display
    >>> records
    [({'application/papermill.record/text/plain': '0.5'},
      {'name': 'slope', 'mime_prefix': 'application/papermill.record/'})]
    >>> glue("", 0.5)
    Traceback (most recent call last):
    ...
    ValueError: name must be a non-empty string
    """
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
