"""A breakdown as a terminal table and as notebook HTML.

Names are often Chinese, and a CJK character takes two terminal columns, so
padding counts display width rather than ``len``.
"""

from __future__ import annotations

import html
import unicodedata
from collections.abc import Sequence
from typing import TYPE_CHECKING

from mallcore.money import format_yuan

if TYPE_CHECKING:
    from mallcore.pricing.breakdown import PriceBreakdown


def width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, size: int, right: bool = False) -> str:
    gap = " " * max(0, size - width(text))
    return gap + text if right else text + gap


def _table(rows: Sequence[Sequence[str]], numeric_from: int) -> list[str]:
    sizes = [max(width(row[c]) for row in rows) for c in range(len(rows[0]))]
    return [
        "  ".join(_pad(cell, sizes[c], right=c >= numeric_from) for c, cell in enumerate(row))
        .rstrip()
        for row in rows
    ]


def _grid(b: PriceBreakdown) -> list[list[str]]:
    from mallcore.pricing.breakdown import STAGES

    rows = [["", *[s.value for s in STAGES]]]
    for line in b.lines:
        label = f"{line.line_id} ×{line.quantity}"
        if line.family != "regular":
            label += f" [{line.family}]"
        rows.append([label, *[format_yuan(f) for f in line.fen]])
    rows.append(["shipping", *[format_yuan(f) for f in b.shipping_fen]])
    rows.append(["total", *[format_yuan(b.total_fen(s)) for s in STAGES]])
    return rows


def render_text(b: PriceBreakdown) -> str:
    out = [f"Price breakdown ({b.currency})", *_table(_grid(b), numeric_from=1)]
    if b.applied:
        out += ["", "Applied"]
        rows = [[p.stage.value, p.id, p.name, p.kind, f"-{format_yuan(p.saving_fen)}", p.detail]
                for p in b.applied]
        out += ["  " + r for r in _table(rows, numeric_from=99)]
    if b.skipped:
        out += ["", "Considered, not applied"]
        rows = [[p.stage.value, p.id, p.name, p.reason.value, p.detail] for p in b.skipped]
        out += ["  " + r for r in _table(rows, numeric_from=99)]
    if b.gifts:
        out += ["", "Granted after completion"]
        out += [f"  {g.quantity}× {g.kind} {g.ref} (from {g.source})" for g in b.gifts]
    out += ["", f"Payable: {format_yuan(b.payable_fen)} {b.currency}"]
    if b.points_used:
        out[-1] += f"  (points used: {b.points_used})"
    return "\n".join(out)


def render_html(b: PriceBreakdown) -> str:
    e = html.escape
    grid = _grid(b)
    head = "".join(f"<th>{e(c)}</th>" for c in grid[0])
    body = "".join(
        "<tr>" + f"<th style='text-align:left'>{e(row[0])}</th>"
        + "".join(f"<td style='text-align:right'>{e(c)}</td>" for c in row[1:]) + "</tr>"
        for row in grid[1:]
    )
    parts = [f"<div class='mallcore-breakdown'><table><thead><tr>{head}</tr></thead>"
             f"<tbody>{body}</tbody></table>"]
    if b.applied:
        items = "".join(
            f"<li><b>{e(p.name)}</b> ({e(p.stage.value)}, {e(p.kind)}): "
            f"−{format_yuan(p.saving_fen)} <small>{e(p.detail)}</small></li>" for p in b.applied
        )
        parts.append(f"<p>Applied</p><ul>{items}</ul>")
    if b.skipped:
        items = "".join(
            f"<li><b>{e(p.name)}</b> ({e(p.stage.value)}): <code>{e(p.reason.value)}</code> "
            f"<small>{e(p.detail)}</small></li>" for p in b.skipped
        )
        parts.append(f"<p>Considered, not applied</p><ul>{items}</ul>")
    if b.gifts:
        items = "".join(f"<li>{g.quantity}× {e(g.kind)} {e(g.ref)} (from {e(g.source)})</li>"
                        for g in b.gifts)
        parts.append(f"<p>Granted after completion</p><ul>{items}</ul>")
    parts.append(f"<p><b>Payable: {format_yuan(b.payable_fen)} {e(b.currency)}</b></p></div>")
    return "".join(parts)
