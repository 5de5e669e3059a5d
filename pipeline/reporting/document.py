"""A report is a list of blocks rendered twice: Markdown (report.md, PNGs next to it) and a
self-contained HTML page (report.html, PNGs embedded as data URIs)."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd


@dataclass
class Block:
    kind: str  # "h1", "h2", "p", "warn", "table", "img", "pre", "ul"
    content: Any
    caption: str = ""


def fmt(value: Any) -> str:
    if isinstance(value, (float, np.floating)):
        if np.isnan(value):
            return ""
        number = float(value)
        if number.is_integer() and abs(number) < 1e15:  # counts (params, epochs) in a float column keep every digit
            return str(int(number))
        return f"{value:.4g}"
    return str(value)


def mean_std(mean: Any, std: Any) -> str:
    """`0.8123 ± 0.012`; the mean alone where there is no std (a baseline row, a single seed)."""
    if isinstance(std, (float, np.floating)) and np.isfinite(std):
        return f"{fmt(mean)} ± {std:.2g}"
    return fmt(mean)


CONTENDED_MARK = "†"


def contended_rows(table: pd.DataFrame) -> pd.Series:
    """Which rows were timed under contention (`contended` is true; blank for baseline rows)."""
    return table["contended"].map(lambda v: isinstance(v, (bool, np.bool_)) and bool(v)).astype(bool)


def contended_note(table: pd.DataFrame) -> str | None:
    """The one line under a table whose timings were taken under contention (None when none were)."""
    if "contended" not in table or not contended_rows(table).any():
        return None
    return (f"{CONTENDED_MARK} timed while the machine's load average exceeded its cores (other work was running): "
            "these times are slower than the model alone and not comparable; rerun on an idle machine to compare.")


def display_table(table: pd.DataFrame, metric: str) -> pd.DataFrame:
    """The leaderboard as strings: every metric with repeats as `mean ± std` over seeds (the
    `<metric>_std` columns folded in; `metric`, the primary one, says so in its header); times
    taken under contention marked with CONTENDED_MARK (see `contended_note`)."""
    shown = table.copy()
    if "contended" in shown:
        marked = contended_rows(shown)
        for column in ("train_s", "cpu_s", "s_per_epoch", "latency_ms"):
            if column in shown:
                shown[column] = [f"{fmt(v)}\u00a0{CONTENDED_MARK}" if m and fmt(v) else fmt(v)  # no-break space
                                 for v, m in zip(shown[column], marked)]
        shown = shown.drop(columns=["contended"])
    for std in [c for c in table.columns if c.endswith("_std") and c.removesuffix("_std") in table.columns]:
        name = std.removesuffix("_std")
        shown[name] = [mean_std(m, s) for m, s in zip(table[name], table[std])]
        shown = shown.drop(columns=[std])
        if name == metric:
            shown = shown.rename(columns={metric: f"{metric} (mean ± std)"})
    if "ensemble" in shown and shown["ensemble"].isna().all():  # no architecture is a seed ensemble
        shown = shown.drop(columns=["ensemble"])
    # One count for every architecture (baseline rows have none): the report's first line says it.
    if "repeats" in shown and shown["repeats"].dropna().nunique() <= 1:
        shown = shown.drop(columns=["repeats"])
    return shown.map(fmt)


def render_markdown(blocks: list[Block]) -> str:
    lines: list[str] = []
    for b in blocks:
        if b.kind == "h1":
            lines += [f"# {b.content}", ""]
        elif b.kind == "h2":
            lines += [f"## {b.content}", ""]
        elif b.kind == "p":
            lines += [b.content, ""]
        elif b.kind == "warn":
            lines += [f"> **Warning:** {b.content}", ""]
        elif b.kind == "table":
            lines += [b.content.to_markdown(index=False), ""]
        elif b.kind == "img":
            lines += [f"![{b.caption}]({b.content})", ""]
        elif b.kind == "pre":
            lines += ["```", b.content.rstrip(), "```", ""]
        elif b.kind == "ul":
            lines += [f"- {item}" for item in b.content] + [""]
    return "\n".join(lines)


_CSS = """
body { font-family: system-ui, -apple-system, Segoe UI, sans-serif; max-width: 1200px; margin: 2em auto;
       padding: 0 1em; color: #222; line-height: 1.45; }
h1 { border-bottom: 2px solid #ddd; padding-bottom: .3em; }
h2 { margin-top: 1.8em; border-bottom: 1px solid #eee; padding-bottom: .2em; }
table { border-collapse: collapse; margin: .6em 0; font-size: .92em; }
th, td { border: 1px solid #ddd; padding: .3em .6em; text-align: left; }
th { background: #f4f6f8; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.wide { overflow-x: auto; max-width: 100%; }
tr:nth-child(even) td { background: #fafafa; }
img { max-width: 100%; border: 1px solid #eee; }
figure { margin: 1em 0; }
figcaption { color: #555; font-size: .9em; }
pre { background: #f6f8fa; padding: .8em; overflow-x: auto; font-size: .85em; }
.warn { background: #fff4e5; border-left: 4px solid #f0a020; padding: .5em .8em; }
code { background: #f3f3f3; padding: 0 .2em; }
"""


def _inline(text: str) -> str:
    """Escape, then the little Markdown the report uses inline: **bold** and `code`."""
    import html
    import re

    out = html.escape(text)
    out = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", out)
    return re.sub(r"`(.+?)`", r"<code>\1</code>", out)


def _is_number(text: str) -> bool:
    try:
        float(str(text).split(" ± ")[0])
        return True
    except ValueError:
        return False


def _html_table(frame: pd.DataFrame) -> str:
    """A table whose numeric cells are right-aligned and text cells left-aligned."""
    import html

    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    body = []
    for row in frame.itertuples(index=False):
        cells = "".join(
            f"<td class='{'num' if _is_number(v) else 'txt'}'>{html.escape(str(v))}</td>" for v in row
        )
        body.append(f"<tr>{cells}</tr>")
    # A wide leaderboard scrolls inside its box instead of pushing the page sideways.
    return f"<div class='wide'><table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table></div>"


def render_html(blocks: list[Block], figures_dir: Path, title: str = "seqpipe report") -> str:
    import base64
    import html

    parts = [f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{html.escape(title)}</title>",
             f"<style>{_CSS}</style></head><body>"]
    for b in blocks:
        if b.kind in ("h1", "h2"):
            parts.append(f"<{b.kind}>{_inline(b.content)}</{b.kind}>")
        elif b.kind == "p":
            parts.append(f"<p>{_inline(b.content)}</p>")
        elif b.kind == "warn":
            parts.append(f"<p class='warn'><strong>Warning:</strong> {_inline(b.content)}</p>")
        elif b.kind == "table":
            parts.append(_html_table(b.content))
        elif b.kind == "img":
            data = base64.b64encode((figures_dir / b.content).read_bytes()).decode("ascii")
            parts.append(f"<figure><img alt='{html.escape(b.caption)}' src='data:image/png;base64,{data}'>"
                         f"<figcaption>{_inline(b.caption)}</figcaption></figure>")
        elif b.kind == "pre":
            parts.append(f"<pre>{html.escape(b.content)}</pre>")
        elif b.kind == "ul":
            parts.append("<ul>" + "".join(f"<li>{_inline(i)}</li>" for i in b.content) + "</ul>")
    parts.append("</body></html>\n")
    return "\n".join(parts)
