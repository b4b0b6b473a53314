"""Unit tests of nntheory.viz: the static interactive figure has one frame per grid point and a slider each."""

import re

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from nntheory import viz  # noqa: E402


def _draw(a, b):
    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, a * b])
    viz.label(ax, f"a={a}, b={b}", "x", "y")
    return fig


def test_interactive_static_frames(monkeypatch):
    monkeypatch.setenv("NNTHEORY_STATIC", "1")
    viz.setup()
    out = viz.interactive(_draw, alt="a line", a=[1, 2, 3], b=[0.5, 1.0])
    assert isinstance(out, viz.Interactive)
    assert len(out.frames) == 6
    assert len(set(out.frames)) == 6  # each parameter value draws something different
    bundle = out._repr_mimebundle_()
    assert set(bundle) >= {"text/html", "image/png", "text/plain"}
    html = bundle["text/html"]
    assert len(re.findall(r'type="range"', html)) == 2
    assert 'alt="a line"' in html
    assert "http" not in html  # no CDN, nothing fetched
    # default frame is the middle value of each list, and print shows exactly that frame
    assert out.frame_index(a=2, b=1.0) == 3
    assert out._repr_mimebundle_()["image/png"] == viz.base64.b64encode(out.frames[3]).decode()
    # deterministic HTML (two builds give the same page)
    assert viz.interactive(_draw, alt="a line", a=[1, 2, 3], b=[0.5, 1.0])._repr_mimebundle_()["text/html"] == html


@pytest.mark.parametrize(
    "kwargs, err, match",
    [
        (dict(draw=1, alt="x", a=[1]), TypeError, "callable"),
        (dict(draw=_draw, alt="", a=[1]), ValueError, "alt"),
        (dict(draw=_draw, alt="x"), ValueError, "at least one"),
        (dict(draw=_draw, alt="x", a=3), TypeError, "sequence"),
        (dict(draw=_draw, alt="x", a=[]), ValueError, "no values"),
        (dict(draw=_draw, alt="x", a=list(range(100)), b=[1]), ValueError, "frames"),
        (dict(draw=_draw, alt="x", a=[1, 2], b=[1], default={"a": 5}), ValueError, "default"),
    ],
)
def test_interactive_bad_input(monkeypatch, kwargs, err, match):
    monkeypatch.setenv("NNTHEORY_STATIC", "1")
    with pytest.raises(err, match=match):
        viz.interactive(**kwargs)


def test_interactive_draw_must_return_figure(monkeypatch):
    monkeypatch.setenv("NNTHEORY_STATIC", "1")
    with pytest.raises(TypeError, match="Figure"):
        viz.interactive(lambda a: None, alt="x", a=[1])


def test_setup_style_is_opaque():
    viz.setup()
    assert matplotlib.rcParams["savefig.transparent"] is False
    assert matplotlib.rcParams["figure.facecolor"] == "white"


def test_interactive_live_uses_ipywidgets(monkeypatch):
    # in a live kernel the same call gives ipywidgets sliders that redraw through `draw`
    import ipywidgets as widgets

    monkeypatch.setattr(viz, "is_static", lambda: False)
    calls = []

    def draw(a, b):
        calls.append((a, b))
        return _draw(a, b)

    w = viz.interactive(draw, alt="a line", a=[1, 2, 3], b=[0.5, 1.0])
    assert isinstance(w, widgets.VBox)
    sliders = [c for c in w.children if isinstance(c, widgets.SelectionSlider)]
    (image,) = [c for c in w.children if isinstance(c, widgets.HTML)]
    assert [s.description for s in sliders] == ["a", "b"]
    assert sliders[0].value == 2 and sliders[1].value == 1.0  # the default frame
    assert calls == [(2, 1.0)] and 'alt="a line"' in image.value and "data:image/png;base64," in image.value
    before = image.value
    sliders[0].value = 3  # moving a slider redraws with the new value
    assert calls[-1] == (3, 1.0) and image.value != before


def test_interactive_live_never_displays_into_an_output_widget(monkeypatch):
    # An Output widget is what stalled headless clients (nbclient mirrors it over the shell socket):
    # the live figure is an HTML image set from the sliders, and nothing is display()-ed.
    import ipywidgets as widgets

    monkeypatch.setattr(viz, "is_static", lambda: False)
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda *a, **k: shown.append(a))
    w = viz.interactive(_draw, alt="a line", a=[1, 2], b=[1.0])
    w.children[0].value = 1

    def walk(widget):
        yield widget
        for child in getattr(widget, "children", ()):
            yield from walk(child)

    assert not any(isinstance(x, widgets.Output) for x in walk(w))
    assert shown == []


def test_interactive_live_checks_what_draw_returns(monkeypatch):
    monkeypatch.setattr(viz, "is_static", lambda: False)
    with pytest.raises(TypeError, match="Figure"):
        viz.interactive(lambda a: None, alt="x", a=[1])


def test_show_checks_its_arguments():
    import matplotlib.pyplot as plt
    import pytest

    from nntheory import viz

    fig = plt.figure()
    with pytest.raises(ValueError, match="alt"):
        viz.show(fig, alt=" ")
    with pytest.raises(TypeError, match="alt must be a string"):
        viz.show(fig, alt=3)
    with pytest.raises(TypeError, match="Figure"):
        viz.show("not a figure", alt="x")
    viz.show(fig, alt="a figure")  # no kernel: closes it quietly
    assert not plt.fignum_exists(fig.number)
