# SPDX-License-Identifier: GPL-3.0-or-later
"""How fast a run goes and how long it has left, from the pace of recent completions.

Done-over-elapsed since the start runs wrong early: the start includes loading the model and
the first batch's warm-up, and a batched captioner reports its results in bursts. This meter
starts measuring at the first completion, measures over intervals of at least a second (so a
burst counts with the time it took to make it), and smooths with an exponential moving
average whose weight follows time, not reports. It gives no figure until a few images were
measured. Plain Python: the window and the command line both use it."""

from __future__ import annotations

import time
from collections.abc import Callable

Clock = Callable[[], float]


class RateMeter:
    """Items per second and the time left, for one run at a time.

    `half_life`: seconds after which an old pace counts half as much as the new one.
    `min_interval`: the shortest stretch measured at once (results that arrive together are
    measured with the time since the last stretch). `min_items`: completions measured before
    any rate is given."""

    def __init__(
        self,
        *,
        half_life: float = 20.0,
        min_interval: float = 1.0,
        min_items: int = 3,
        clock: Clock = time.monotonic,
    ) -> None:
        if half_life <= 0 or min_interval < 0 or min_items < 1:
            raise ValueError("half_life must be > 0, min_interval >= 0 and min_items >= 1")
        self.half_life = half_life
        self.min_interval = min_interval
        self.min_items = min_items
        self._clock = clock
        self.reset()

    def reset(self) -> None:
        """Forget everything: a new run starts."""
        self._anchor: tuple[float, int] | None = None
        self._rate: float | None = None
        self._measured = 0

    def pause(self) -> None:
        """The run stops for a while (paused, or waiting for work): that time is not counted.
        The pace measured so far is kept; measuring starts again at the next completion."""
        self._anchor = None

    def update(self, done: int, now: float | None = None) -> None:
        """`done` items have finished in this run (a count that only grows)."""
        now = self._clock() if now is None else now
        # Measuring starts at a completion: the time before the first one is loading and
        # warming up, and a count that went back is a new run.
        if self._anchor is None or done < self._anchor[1] or (self._anchor[1] == 0 < done):
            self._anchor = (now, done)
            return
        t0, d0 = self._anchor
        dt, dn = now - t0, done - d0
        if dn <= 0 or dt < self.min_interval or dt <= 0:
            return
        pace = dn / dt
        if self._rate is None:
            self._rate = pace
        else:
            weight = 1.0 - 0.5 ** (dt / self.half_life)
            self._rate += weight * (pace - self._rate)
        self._measured += dn
        self._anchor = (now, done)

    @property
    def rate(self) -> float | None:
        """Items per second, or None until `min_items` completions were measured."""
        if self._rate is None or self._measured < self.min_items:
            return None
        return self._rate

    def seconds_left(self, done: int, total: int) -> float | None:
        """Seconds until `total` at the measured pace; None while there is no pace yet or
        nothing is left."""
        rate = self.rate
        if rate is None or rate <= 0 or total <= done:
            return None
        return (total - done) / rate
