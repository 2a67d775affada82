"""The Markdown and SVG that `make bench` writes: figures, their ratios, the targets, and a chart.

`docs/benchmarks.md` keeps whatever is written by hand outside the generated part (between the
two markers below); only the generated part is replaced.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

BEGIN = "<!-- begin: written by `make bench`; edit outside these markers -->"
END = "<!-- end: written by `make bench` -->"


@dataclass(frozen=True)
class Target:
    what: str
    value: float
    limit: float
    at_most: bool
    """True: `value` must be at most `limit` (a ratio to a floor); False: at least (a speed-up)."""

    @property
    def met(self) -> bool:
        return self.value <= self.limit if self.at_most else self.value >= self.limit

    def row(self) -> str:
        sign = "≤" if self.at_most else "≥"
        return f"| {self.what} | {self.value:.2f}× | {sign} {self.limit:g}× | {'met' if self.met else '**missed**'} |"


def replace_generated(document: str, generated: str) -> str:
    """`document` with its generated part replaced (appended after its title when it has none yet)."""
    block = f"{BEGIN}\n{generated.rstrip()}\n{END}"
    if BEGIN in document and END in document:
        head, rest = document.split(BEGIN, 1)
        return head + block + rest.split(END, 1)[1]
    title, _, rest = document.partition("\n")
    return f"{title}\n\n{block}\n{rest}"


def svg_chart(bars: list[tuple[str, float, float | None]], *, title: str) -> str:
    """Horizontal bars of ratios to the floor (1× marked), each with its target line when it has one."""
    width, left, bar, gap, top = 760, 330, 18, 8, 40
    scale_max = max([3.0, *(r for _, r, _ in bars), *(t for _, _, t in bars if t is not None)]) * 1.1
    height = top + len(bars) * (bar + gap) + 30

    def x(ratio: float) -> float:
        return left + (width - left - 20) * ratio / scale_max

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">',
        f'<rect width="{width}" height="{height}" fill="white"/>',
        f'<text x="10" y="20" font-size="14" font-weight="bold">{escape(title)}</text>',
    ]
    for i, (name, ratio, target) in enumerate(bars):
        y = top + i * (bar + gap)
        missed = target is not None and ratio > target
        colour = "#c0392b" if missed else "#2e86c1"
        out.append(f'<text x="{left - 6}" y="{y + bar - 5}" text-anchor="end">{escape(name)}</text>')
        out.append(f'<rect x="{left}" y="{y}" width="{x(ratio) - left:.1f}" height="{bar}" fill="{colour}"/>')
        out.append(f'<text x="{x(ratio) + 4:.1f}" y="{y + bar - 5}">{ratio:.2f}×</text>')
        if target is not None:
            out.append(f'<line x1="{x(target):.1f}" x2="{x(target):.1f}" y1="{y - 2}" y2="{y + bar + 2}" '
                       'stroke="black" stroke-width="2" stroke-dasharray="3,2"/>')
    axis_y = top + len(bars) * (bar + gap)
    for tick in range(int(scale_max) + 1):
        out.append(f'<line x1="{x(tick):.1f}" x2="{x(tick):.1f}" y1="{top - 4}" y2="{axis_y}" stroke="#bbb"/>')
        out.append(f'<text x="{x(tick):.1f}" y="{axis_y + 14}" text-anchor="middle">{tick}×</text>')
    out.append(f'<text x="10" y="{axis_y + 28}" fill="#555">time over its floor (1× = the unavoidable '
               'cryptography); dashed: the target; red: missed</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"
