"""House style for the book's figures, and ``interactive``: sliders that work with or without a kernel.

``interactive(draw, alt=..., p=[...], q=[...])`` calls ``draw(p=..., q=...)`` (which returns a
matplotlib Figure) and shows

* in a live Jupyter kernel: ipywidgets sliders that redraw the figure;
* on the static site (the book build sets ``NNTHEORY_STATIC=1``): every frame of the parameter
  grid precomputed as a PNG and a plain HTML range input per parameter that swaps the image
  (no kernel, no CDN, no JavaScript library);
* in print/PDF: the representative frame (a PNG in the same output, which LaTeX picks).
"""

from __future__ import annotations

import base64
import hashlib
import html
import io
import itertools
import json
import os
from collections.abc import Callable, Sequence

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

__all__ = ["COLORS", "setup", "label", "show", "interactive", "Interactive", "is_static", "MAX_FRAMES", "plot_regions"]

#: The book's colour cycle (Okabe-Ito), colour-blind safe; each colour reads on a white figure shown in a dark theme.
COLORS = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442"]
#: The most frames :func:`interactive` precomputes (the product of its parameters' numbers of values), for page weight.
MAX_FRAMES = 64

_STYLE = {
    "figure.figsize": (6.4, 4.0),
    "figure.dpi": 100,
    "figure.facecolor": "white",  # opaque: legible on the light and the dark theme
    "axes.facecolor": "white",
    "savefig.facecolor": "white",
    "savefig.transparent": False,
    "savefig.bbox": "tight",
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.titlesize": 12,
    "axes.labelsize": 11,
    "legend.fontsize": 9,
    "legend.framealpha": 0.9,
    "lines.linewidth": 1.8,
    "svg.hashsalt": "nntheory",  # deterministic SVG ids: two builds give identical figures
    "svg.fonttype": "path",
    "axes.prop_cycle": matplotlib.cycler(color=COLORS),
}


def setup(*, svg: bool = True) -> None:
    """Apply the house style; in a notebook, show line art as SVG (with a PNG beside it for print).

    Sets matplotlib's ``rcParams`` (figure size, white background, grid, :data:`COLORS` as the colour cycle,
    deterministic SVG ids), numpy's print options (4 digits, no scientific notation for small numbers) and,
    if unset, ``SOURCE_DATE_EPOCH=0`` (no timestamps in saved figures). Every chapter calls it once, first.

    Parameters
    ----------
    svg : bool, default True
        In an IPython session, show figures as SVG plus PNG (True) or as PNG only (False); ignored outside IPython.

    Returns
    -------
    None
    """
    os.environ.setdefault("SOURCE_DATE_EPOCH", "0")  # no timestamps in saved figures
    matplotlib.rcParams.update(_STYLE)
    np.set_printoptions(precision=4, suppress=True, linewidth=100)
    try:
        from IPython import get_ipython

        ip = get_ipython()
    except ImportError:  # pragma: no cover - IPython ships with the book's requirements
        ip = None
    if ip is not None:
        from matplotlib_inline.backend_inline import set_matplotlib_formats

        set_matplotlib_formats(*(["svg", "png"] if svg else ["png"]))


def label(ax: plt.Axes, title: str, xlabel: str, ylabel: str) -> plt.Axes:
    """Set an axes' title and axis labels in one call (every figure in the book has all three).

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        The axes to label.
    title : str
        The title (matplotlib mathtext such as ``"$f(x) = |x|$"`` is allowed, as in all three strings).
    xlabel : str
        The label of the horizontal axis.
    ylabel : str
        The label of the vertical axis (``""`` for none, e.g. on the second of two panels sharing it).

    Returns
    -------
    matplotlib.axes.Axes
        ``ax`` itself, labelled.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> from nntheory import viz
    >>> fig, ax = plt.subplots()
    >>> ax = viz.label(ax, "Gradient descent on a quadratic", "step $k$", "$|x_k|$")
    >>> ax.get_title(), ax.get_xlabel(), ax.get_ylabel()
    ('Gradient descent on a quadratic', 'step $k$', '$|x_k|$')
    >>> plt.close(fig)
    """
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    return ax


def show(fig: Figure, *, alt: str) -> None:
    """Show ``fig`` with alt text computed by the cell (e.g. from the measured slope); then close it.

    The alt text travels in the output's metadata; the book's build puts it on the figure's image (it wins over
    a ``mystnb.image.alt`` typed in the cell's options), so the numbers in it come from the data.
    Outside IPython (a script, a doctest) the figure is only closed.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The figure to show; it is closed afterwards.
    alt : str
        The alt text for readers who do not see the figure: what it shows, with the measured numbers; non-empty.

    Returns
    -------
    None

    Raises
    ------
    TypeError
        If ``fig`` is not a matplotlib Figure, or ``alt`` is not a string.
    ValueError
        If ``alt`` is empty or blank.
    """
    if not isinstance(fig, Figure):
        raise TypeError(f"fig must be a matplotlib Figure, got {type(fig).__name__}")
    if not isinstance(alt, str):
        raise TypeError(f"alt must be a string describing the figure, got {type(alt).__name__}")
    if not alt.strip():
        raise ValueError("alt must be a non-empty string describing the figure")
    try:
        from IPython import get_ipython
        from IPython.display import display
    except ImportError:  # pragma: no cover - IPython ships with the book's requirements
        plt.close(fig)
        return
    if get_ipython() is None:
        plt.close(fig)
        return
    meta = {mime: {"alt": alt} for mime in ("image/svg+xml", "image/png")}
    display(fig, metadata=meta)
    plt.close(fig)


def is_static() -> bool:
    """True when figures must work without a kernel: the book build, or no IPython kernel at all.

    Returns
    -------
    bool
        True if the environment variable ``NNTHEORY_STATIC`` is set to anything but ``""`` or ``"0"``, or there
        is no IPython kernel (plain Python, a terminal IPython, a doctest); False in a live Jupyter kernel.
    """
    if os.environ.get("NNTHEORY_STATIC", "") not in ("", "0"):
        return True
    try:
        from IPython import get_ipython

        ip = get_ipython()
    except ImportError:  # pragma: no cover
        return True
    return ip is None or not hasattr(ip, "kernel")


def _png(fig: Figure, dpi: int) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, metadata={"Software": None})
    plt.close(fig)
    return buf.getvalue()


class Interactive:
    """Precomputed frames over a parameter grid, shown as an image with one range input per parameter.

    Made by :func:`interactive` when there is no kernel. In a notebook its HTML is the image and the sliders
    (plain ``<input type="range">`` with a few lines of inline script); its PNG is the default frame (for
    print/PDF).

    Parameters
    ----------
    frames : list of bytes
        One PNG per combination of parameter values, in row-major order over ``params`` (the last parameter
        varies fastest), as :meth:`frame_index` numbers them.
    params : dict of str to list
        Each parameter's name and its values, in slider order.
    default : dict
        The value of every parameter in the frame shown first (one of its values).
    alt : str
        The alt text of the image.
    """

    def __init__(self, frames: list[bytes], params: dict[str, list], default: dict, alt: str) -> None:
        self.frames = frames
        self.params = params
        self.default = default
        self.alt = alt

    def frame_index(self, **values: object) -> int:
        """Index into ``frames`` of the frame drawn with these parameter values (row-major grid).

        Parameters
        ----------
        **values
            One value per parameter of ``params`` (by name), each one of that parameter's values.

        Returns
        -------
        int
            The index ``i`` such that ``frames[i]`` was drawn with ``values``.

        Raises
        ------
        KeyError
            If a parameter is missing from ``values``.
        ValueError
            If a value is not among its parameter's values (``list.index``).
        """
        idx = 0
        for name, vals in self.params.items():
            idx = idx * len(vals) + vals.index(values[name])
        return idx

    def _html(self) -> str:
        digest = hashlib.sha1(repr((self.alt, self.params)).encode() + b"".join(self.frames)).hexdigest()
        uid = f"nnt-{digest[:10]}"  # deterministic, so two builds give the same page
        srcs = ["data:image/png;base64," + base64.b64encode(f).decode() for f in self.frames]
        sizes = [len(v) for v in self.params.values()]
        start = [self.params[k].index(self.default[k]) for k in self.params]
        rows = []
        for j, (name, vals) in enumerate(self.params.items()):
            labels = json.dumps([_fmt(v) for v in vals])
            rows.append(
                f'<label style="display:flex;gap:.6em;align-items:center;font-family:sans-serif;font-size:90%">'
                f'<span style="min-width:7em">{html.escape(name)}</span>'
                f'<input type="range" class="nnt-slider" data-dim="{j}" data-labels=\'{html.escape(labels)}\' '
                f'min="0" max="{len(vals) - 1}" step="1" value="{start[j]}" aria-label="{html.escape(name)}">'
                f'<output>{html.escape(_fmt(vals[start[j]]))}</output></label>'
            )
        first = srcs[self.frame_index(**self.default)]
        return (
            f'<div class="nnt-interactive" id="{uid}">'
            f'<img class="nnt-frame" src="{first}" alt="{html.escape(self.alt)}" style="max-width:100%;background:white">'
            + "".join(rows)
            + "<script>(function(){"
            f"var root=document.getElementById('{uid}');var srcs={json.dumps(srcs)};var sizes={json.dumps(sizes)};"
            "var img=root.querySelector('img.nnt-frame');var s=root.querySelectorAll('input.nnt-slider');"
            "function upd(){var i=0;for(var j=0;j<s.length;j++){i=i*sizes[j]+parseInt(s[j].value);"
            "s[j].nextElementSibling.textContent=JSON.parse(s[j].dataset.labels)[parseInt(s[j].value)];}"
            "img.src=srcs[i];root.dataset.frame=i;}"
            "for(var j=0;j<s.length;j++){s[j].addEventListener('input',upd);}upd();})();</script></div>"
        )

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict:
        png = self.frames[self.frame_index(**self.default)]
        return {
            "text/html": self._html(),
            "image/png": base64.b64encode(png).decode(),
            "text/plain": f"<interactive figure: {self.alt}; {len(self.frames)} frames over {list(self.params)}>",
        }


def _fmt(v: object) -> str:
    if isinstance(v, float):
        return f"{v:.4g}"
    return str(v)


def interactive(
    draw: Callable[..., Figure],
    *,
    alt: str,
    default: dict | None = None,
    dpi: int = 100,
    **params: Sequence,
):
    """Show ``draw(**params)`` with a slider per parameter: live widgets in a kernel, precomputed frames otherwise.

    In a live Jupyter kernel with ipywidgets it returns a widget (a slider per parameter above the image, redrawn
    on release); when :func:`is_static` (the book build, plain Python), it draws every combination of values
    once and returns an :class:`Interactive`. The cell shows whichever it returns.

    Parameters
    ----------
    draw : callable
        ``draw(**values) -> matplotlib.figure.Figure``: the figure for one value of each parameter (the
        figure is closed after it is rendered).
    alt : str
        The alt text of the figure, for readers who do not see it; non-empty.
    default : dict or None, default None
        The values shown first, by parameter name; a parameter left out starts at the middle of its values
        (``vals[len(vals) // 2]``).
    dpi : int, default 100
        Resolution of the rendered PNG frames.
    **params : sequence
        Each parameter's values, e.g. ``step=[0.1, 0.5, 1.0]``: a non-empty list, tuple or array (not a string).
        At most :data:`MAX_FRAMES` combinations in all.

    Returns
    -------
    Interactive or ipywidgets.VBox
        The precomputed frames (no kernel), or the live sliders and image (kernel).

    Raises
    ------
    TypeError
        If ``draw`` is not callable or returns something other than a Figure, ``alt`` is not a string, or a
        parameter's values are not a sequence.
    ValueError
        If ``alt`` is blank, there is no parameter, a parameter has no values, there are more
        than :data:`MAX_FRAMES` frames, or ``default`` names an unknown parameter or a value not in the list.

    Examples
    --------
    Without a kernel the frames are drawn at once, one per value; the middle value is shown first.

    >>> import matplotlib.pyplot as plt
    >>> from nntheory import viz
    >>> def draw(slope):
    ...     fig, ax = plt.subplots()
    ...     ax.plot([0, 1], [0, slope])
    ...     return fig
    >>> w = viz.interactive(draw, alt="A line through 0 of the chosen slope", dpi=20, slope=[0.5, 1.0, 2.0])
    >>> type(w).__name__, len(w.frames), w.default, w.frame_index(slope=2.0)
    ('Interactive', 3, {'slope': 1.0}, 2)
    """
    if not callable(draw):
        raise TypeError(f"draw must be callable and return a matplotlib Figure, got {type(draw).__name__}")
    if not isinstance(alt, str):
        raise TypeError(f"alt must be a string: a description of the figure (alt text for readers), got {type(alt).__name__}")
    if not alt.strip():
        raise ValueError("alt must be a non-empty description of the figure (alt text for readers)")
    if not params:
        raise ValueError("interactive needs at least one parameter, e.g. step=[0.1, 0.2]")
    grid: dict[str, list] = {}
    for name, vals in params.items():
        if isinstance(vals, (str, bytes)) or not isinstance(vals, (Sequence, np.ndarray)):
            raise TypeError(f"parameter {name!r} must be a sequence of values, got {type(vals).__name__}")
        vals = list(vals)
        if not vals:
            raise ValueError(f"parameter {name!r} has no values")
        grid[name] = vals
    n_frames = int(np.prod([len(v) for v in grid.values()]))
    if n_frames > MAX_FRAMES:
        raise ValueError(f"{n_frames} frames over {list(grid)}: at most {MAX_FRAMES} (page weight); use fewer values")
    default = dict(default or {})
    for name, vals in grid.items():
        default.setdefault(name, vals[len(vals) // 2])
        if default[name] not in vals:
            raise ValueError(f"default {name}={default[name]!r} is not one of the values {vals}")
    unknown = set(default) - set(grid)
    if unknown:
        raise ValueError(f"default names unknown parameters {sorted(unknown)}")

    if not is_static():
        try:
            return _live(draw, grid, default, alt, dpi)
        except ImportError:  # no ipywidgets in this kernel: the precomputed frames still work
            pass

    frames = []
    for combo in itertools.product(*grid.values()):
        fig = draw(**dict(zip(grid, combo)))
        if not isinstance(fig, Figure):
            raise TypeError(f"draw must return a matplotlib Figure, got {type(fig).__name__}")
        frames.append(_png(fig, dpi))
    return Interactive(frames, grid, default, alt)


def _live(draw: Callable[..., Figure], grid: dict[str, list], default: dict, alt: str, dpi: int):
    """ipywidgets sliders that redraw the figure in a live kernel: an HTML image whose value the sliders set.

    The figure is never ``display()``-ed inside an ``Output`` widget (what ``ipywidgets.interactive``
    does): a headless client such as nbclient mirrors Output widgets by writing to the kernel's shell
    socket while it waits on that same socket, and the cell's reply then arrives only at the timeout.
    """
    import ipywidgets as widgets

    controls = {
        name: widgets.SelectionSlider(options=[(_fmt(v), v) for v in vals], value=default[name], description=name,
                                      continuous_update=False)
        for name, vals in grid.items()
    }

    def render() -> str:
        fig = draw(**{name: c.value for name, c in controls.items()})
        if not isinstance(fig, Figure):
            raise TypeError(f"draw must return a matplotlib Figure, got {type(fig).__name__}")
        src = "data:image/png;base64," + base64.b64encode(_png(fig, dpi)).decode()
        return f'<img src="{src}" alt="{html.escape(alt)}" style="max-width:100%;background:white">'

    image = widgets.HTML(value=render())  # an <img> with its alt text, replaced when a slider moves

    def redraw(_change: dict) -> None:
        image.value = render()

    for c in controls.values():
        c.observe(redraw, names="value")
    return widgets.VBox([*controls.values(), image])


def plot_regions(ax: plt.Axes, regions: Sequence, *, values: np.ndarray | None = None, cmap: str = "tab20",
                 seed: int = 0, edgecolor: str = "#333333", linewidth: float = 0.3, fill: bool = True,
                 rasterized: bool = True):
    """Draw 2-D regions as polygons: random qualitative colours, or coloured by ``values`` (one per region).

    Thousands of polygons make a heavy SVG, so the collection is rasterized by default (axes and labels
    stay vector). The axes get the regions' bounding box as limits and an equal aspect ratio.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        The axes to draw into.
    regions : list of nntheory.regions.Region2D
        Non-empty; anything with a ``vertices`` array of shape ``(k, 2)`` (a polygon's corners in order) works,
        e.g. the output of ``regions.regions_2d``.
    values : array_like of shape (len(regions),) or None, default None
        One finite number per region, coloured through ``cmap`` (add a colour bar with
        ``fig.colorbar(collection, ax=ax)``); None: random qualitative colours.
    cmap : str, default "tab20"
        A matplotlib colormap name: the palette of the random colours, or the scale of ``values``.
    seed : int, default 0
        Seed of the random colours (ignored with ``values`` or ``fill=False``).
    edgecolor : str, default "#333333"
        Colour of the polygons' edges.
    linewidth : float, default 0.3
        Width of the edges, in points.
    fill : bool, default True
        False: edges only (e.g. to overlay the region boundaries on another plot).
    rasterized : bool, default True
        Rasterize the polygons in vector output (SVG, PDF).

    Returns
    -------
    matplotlib.collections.PolyCollection
        The polygons, added to ``ax``.

    Raises
    ------
    TypeError
        If ``regions`` is not a non-empty sequence of objects with ``vertices``.
    ValueError
        If ``values`` is not one finite number per region.

    Examples
    --------
    The ReLU layer ``x -> relu(x)`` on the square :math:`[-1, 1]^2` has the four quadrants as its activation
    regions, each of area 1:

    >>> import matplotlib.pyplot as plt
    >>> import torch
    >>> from nntheory import regions, viz
    >>> net = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.ReLU(), torch.nn.Linear(2, 1)).double()
    >>> with torch.no_grad():
    ...     _ = net[0].weight.copy_(torch.eye(2)), net[0].bias.zero_()
    >>> regs = regions.regions_2d(net, [-1, -1], [1, 1])
    >>> fig, ax = plt.subplots()
    >>> coll = viz.plot_regions(ax, regs, values=[r.area for r in regs])
    >>> len(coll.get_paths()), coll.get_array().tolist(), [float(t) for t in ax.get_xlim()]
    (4, [1.0, 1.0, 1.0, 1.0], [-1.0, 1.0])
    >>> plt.close(fig)
    """
    from matplotlib import colormaps
    from matplotlib.collections import PolyCollection

    if isinstance(regions, (str, bytes)) or not isinstance(regions, Sequence) or not regions \
            or not all(hasattr(r, "vertices") for r in regions):
        raise TypeError("regions must be a non-empty list of 2-D regions (from regions.regions_2d)")
    polys = [r.vertices for r in regions]
    if not fill:
        coll = PolyCollection(polys, facecolors="none", edgecolors=edgecolor, linewidths=linewidth)
    elif values is None:
        cm = colormaps[cmap]
        n = getattr(cm, "N", 20)
        idx = np.random.default_rng(seed).integers(0, n, size=len(polys))
        coll = PolyCollection(polys, facecolors=[cm(i % n) for i in idx], edgecolors=edgecolor, linewidths=linewidth)
    else:
        vals = np.asarray(values, dtype=float)
        if vals.shape != (len(polys),) or not np.all(np.isfinite(vals)):
            raise ValueError(f"values must be {len(polys)} finite numbers (one per region), got shape {vals.shape}")
        coll = PolyCollection(polys, array=vals, cmap=cmap, edgecolors=edgecolor, linewidths=linewidth)
    coll.set_rasterized(rasterized)
    ax.add_collection(coll)
    allv = np.vstack(polys)
    ax.set_xlim(allv[:, 0].min(), allv[:, 0].max())
    ax.set_ylim(allv[:, 1].min(), allv[:, 1].max())
    ax.set_aspect("equal")
    return coll
