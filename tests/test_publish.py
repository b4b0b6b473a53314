"""publish.glue writes exactly the records myst-nb's own glue writes, so the book reads them the same way."""

import IPython.display
import myst_nb.ext.glue as mnb
import numpy as np
import pytest

from nntheory.publish import glue


def _records(fn, monkeypatch, target, attr) -> list:
    calls = []
    monkeypatch.setattr(target, attr, lambda obj, **kw: calls.append((obj, kw)))
    for name, value, display in [("a", 1.5, False), ("b", "text", True), ("c", np.float64(2.0), False)]:
        fn(name, value, display=display)
    return calls


def test_same_records_as_myst_nb(monkeypatch):
    ours = _records(glue, monkeypatch, IPython.display, "display")
    theirs = _records(mnb.glue, monkeypatch, mnb, "ipy_display")
    assert ours == theirs
    assert ours[0][0] == {"application/papermill.record/text/plain": "1.5"}  # a hidden record
    assert ours[1][1]["metadata"]["scrapbook"] == {"name": "b", "mime_prefix": ""}  # a shown one


def test_bad_arguments():
    with pytest.raises(TypeError, match="name"):
        glue(3, 1.0)
    with pytest.raises(ValueError, match="name"):
        glue("", 1.0)
    with pytest.raises(TypeError, match="display"):
        glue("x", 1.0, display="no")
