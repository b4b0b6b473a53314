"""Benchmark of exact region counting (nntheory.regions) against a 1000 x 1000 grid of patterns.

The net: 2 inputs, 3 hidden layers of width 64 (192 ReLUs), biases, seed 0; the box [-1, 1]^2.
`run(out)` returns JSON-able timings and counts and saves a region map with the regions that the
grid misses highlighted. Timings are written, never asserted.
"""

from __future__ import annotations

import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from nntheory import nets, regions, viz  # noqa: E402

WIDTHS = [2, 64, 64, 64, 1]
LO, HI = np.array([-1.0, -1.0]), np.array([1.0, 1.0])
GRID = 1000


def run(out: Path) -> dict:
    """Time exact 2-D counting and a 1000 x 1000 grid count on the same net; save a figure into ``out``."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    net = nets.relu_net(WIDTHS, bias=True, seed=0)

    t0 = time.perf_counter()
    regs = regions.regions_2d(net, LO, HI)
    exact_s = time.perf_counter() - t0

    t0 = time.perf_counter()
    found = regions.grid_patterns(net, LO, HI, GRID)
    grid_s = time.perf_counter() - t0

    t0 = time.perf_counter()
    n_line = regions.count_regions_1d(net, LO, HI)
    line_s = time.perf_counter() - t0

    exact = {r.pattern for r in regs}
    missed = [r for r in regs if r.pattern not in found]
    result = {
        "net_widths": WIDTHS,
        "box": [LO.tolist(), HI.tolist()],
        "exact_regions": len(regs),
        "exact_seconds": exact_s,
        "exact_regions_per_second": len(regs) / exact_s,
        "grid_points_per_side": GRID,
        "grid_seconds": grid_s,
        "grid_regions_found": len(found),
        "grid_regions_missed": len(exact - found),
        "grid_patterns_not_exact": len(found - exact),  # must be 0: a grid point always lies in a region
        "diagonal_regions_1d": n_line,
        "diagonal_seconds_1d": line_s,
    }

    viz.setup(svg=False)
    fig, ax = plt.subplots(figsize=(6.4, 6.0))
    viz.plot_regions(ax, regs, cmap="Pastel1", linewidth=0.1)
    if missed:
        viz.plot_regions(ax, missed, values=np.ones(len(missed)), cmap="autumn", edgecolor="#D55E00", linewidth=0.6)
    ax.set_xlim(LO[0], HI[0])
    ax.set_ylim(LO[1], HI[1])
    viz.label(ax, f"{len(regs)} regions ({exact_s:.1f} s exact); {len(missed)} missed by a {GRID}x{GRID} grid (orange)",
              "$x_1$", "$x_2$")
    ax.title.set_fontsize(9)
    fig.savefig(out / "regions_exact_vs_grid.png", dpi=150)
    plt.close(fig)
    print(f"regions: exact {len(regs)} in {exact_s:.2f} s ({len(regs) / exact_s:.0f}/s); "
          f"grid {GRID}^2 found {len(found)} in {grid_s:.2f} s; missed {len(missed)}")
    return result


if __name__ == "__main__":
    import json

    print(json.dumps(run(Path(__file__).resolve().parent / "results"), indent=2))
