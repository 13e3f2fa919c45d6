"""Chart geometry for the dashboard's SVG pictures: pure, so each bar is tested without an app.

A template draws what these return (rectangles, ticks, labels); nothing here knows about
money or words. Coordinates are in the SVG's own units (its viewBox), so the picture scales
to any width without a script; horizontal bars are percentages of their row.
"""

from dataclasses import dataclass

#: The nice steps an axis counts in, times a power of ten.
_NICE = (1, 2, 2.5, 5, 10)


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True)
class Tick:
    value: float
    position: float


@dataclass(frozen=True)
class ColumnChart:
    """Vertical bars over a horizontal baseline (revenue by month)."""

    width: int
    height: int
    plot_left: int
    plot_top: int
    plot_bottom: int
    bars: tuple
    ticks: tuple
    baseline: float


@dataclass(frozen=True)
class Row:
    """One horizontal bar: its label, its value, and its length in percent of the scale."""

    label: object
    value: float
    length: float


def nice_ceiling(value):
    """The smallest 1, 2, 2.5 or 5 times a power of ten that is at least `value` (1 for 0)."""
    if value <= 0:
        return 1
    power = 1
    while power * 10 <= value:
        power *= 10
    while power > value:
        power /= 10
    for step in _NICE:
        if step * power >= value:
            return step * power
    return 10 * power  # pragma: no cover - the loop always returns


def column_chart(points, *, width=640, height=240, left=64, top=12, bottom=36, ticks=4):
    """Bars for [(label, value), ...], negatives below the baseline (a month of refunds)."""
    values = [value for _label, value in points]
    highest, lowest = max([0, *values]), min([0, *values])
    # Ticks in nice steps: 0 is always one of them, the bars fit between the outer two.
    step = nice_ceiling((highest - lowest) / ticks) if highest > lowest else 1
    high = -(-highest // step) * step if highest > 0 else (0 if lowest < 0 else step)
    low = (lowest // step) * step
    plot_height = height - top - bottom
    span = high - low

    def y_of(value):
        return top + (high - value) / span * plot_height

    baseline = y_of(0)
    slot = (width - left) / max(len(points), 1)
    bar_width = slot * 0.7
    bars = []
    for index, (label, value) in enumerate(points):
        y = y_of(max(value, 0))
        bars.append(
            Bar(
                label=label,
                value=value,
                x=round(left + index * slot + (slot - bar_width) / 2, 2),
                y=round(y, 2),
                width=round(bar_width, 2),
                height=round(abs(y_of(value) - baseline), 2),
            )
        )
    marks = [low + step * index for index in range(round(span / step) + 1)]
    if highest == lowest:  # nothing to show: the baseline alone
        marks = [0]
    return ColumnChart(
        width=width,
        height=height,
        plot_left=left,
        plot_top=top,
        plot_bottom=height - bottom,
        bars=tuple(bars),
        ticks=tuple(Tick(value=mark, position=round(y_of(mark), 2)) for mark in marks),
        baseline=round(baseline, 2),
    )


def bar_rows(points, *, scale_max=None):
    """One horizontal bar per (label, value), as a share of the scale: `scale_max` fixes it
    (100 for rates), else the largest value rounded up to a nice number."""
    top = scale_max or nice_ceiling(max([0, *(value for _label, value in points)]))
    return [
        Row(label=label, value=value, length=round(min(max(value, 0) / top, 1) * 100, 2))
        for label, value in points
    ]
