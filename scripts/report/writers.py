"""writers.py — a small document model written as Markdown and as one
self-contained HTML file (PNG plots base64-embedded, no external resources).

A document is a list of blocks: H(level, text), P(text), UL(items),
Table(headers, rows), Img(figure). Text is plain: the HTML writer escapes it.
"""
from __future__ import annotations

import base64
import html
import os
from dataclasses import dataclass


@dataclass
class H:
    level: int
    text: str
    anchor: str = ""


@dataclass
class P:
    text: str


@dataclass
class UL:
    items: list


@dataclass
class Table:
    headers: list
    rows: list


@dataclass
class Img:
    file: str
    title: str
    caption: str


def _md_cell(s) -> str:
    return str(s).replace("|", "\\|").replace("\n", "<br>")


def to_markdown(blocks) -> str:
    out = []
    for b in blocks:
        if isinstance(b, H):
            out.append("#" * b.level + " " + b.text)
        elif isinstance(b, P):
            out.append(b.text)
        elif isinstance(b, UL):
            out.append("\n".join(f"- {i}" for i in b.items))
        elif isinstance(b, Table):
            rows = ["| " + " | ".join(_md_cell(h) for h in b.headers) + " |",
                    "|" + "---|" * len(b.headers)]
            rows += ["| " + " | ".join(_md_cell(c) for c in r) + " |" for r in b.rows]
            out.append("\n".join(rows))
        elif isinstance(b, Img):
            out.append(f"![{b.title}]({b.file})\n\n*{b.caption}*")
        out.append("")
    return "\n".join(out)


CSS = """
body { font-family: sans-serif; max-width: 1100px; margin: 1.5em auto; padding: 0 1em; color: #222; }
table { border-collapse: collapse; font-size: 0.85em; margin: 0.5em 0 1.5em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.5em; vertical-align: top; text-align: left; }
th { background: #f2f2f2; }
figure { margin: 1em 0 2em; }
figure img { max-width: 100%; border: 1px solid #eee; }
figcaption { font-size: 0.8em; color: #555; }
.v-holds { background: #e3f5e1; } .v-different { background: #fff6d6; }
.v-not { background: #fbe1e1; } .v-unmeasured { color: #777; }
"""

VERDICT_CLASS = {"holds": "v-holds", "holds with a different number": "v-different",
                 "does not hold": "v-not", "not measured": "v-unmeasured"}


def _td(c) -> str:
    s = str(c)
    cls = ""
    for k, v in VERDICT_CLASS.items():
        if s == k or s.startswith(k + " ("):
            cls = f' class="{v}"'
    if s.startswith("holds with a different number"):
        cls = ' class="v-different"'
    return f"<td{cls}>" + html.escape(s).replace("\n", "<br>") + "</td>"


def to_html(blocks, title: str, img_dir: str) -> str:
    out = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
           f"<title>{html.escape(title)}</title><style>{CSS}</style></head><body>"]
    for b in blocks:
        if isinstance(b, H):
            anchor = f' id="{html.escape(b.anchor)}"' if b.anchor else ""
            out.append(f"<h{b.level}{anchor}>{html.escape(b.text)}</h{b.level}>")
        elif isinstance(b, P):
            out.append(f"<p>{html.escape(b.text)}</p>")
        elif isinstance(b, UL):
            out.append("<ul>" + "".join(f"<li>{html.escape(str(i))}</li>" for i in b.items) + "</ul>")
        elif isinstance(b, Table):
            out.append("<table><thead><tr>" + "".join(f"<th>{html.escape(str(h))}</th>" for h in b.headers)
                       + "</tr></thead><tbody>")
            for r in b.rows:
                out.append("<tr>" + "".join(_td(c) for c in r) + "</tr>")
            out.append("</tbody></table>")
        elif isinstance(b, Img):
            with open(os.path.join(img_dir, b.file), "rb") as f:
                data = base64.b64encode(f.read()).decode("ascii")
            out.append(f'<figure><img alt="{html.escape(b.title)}" src="data:image/png;base64,{data}">'
                       f"<figcaption>{html.escape(b.caption)}</figcaption></figure>")
    out.append("</body></html>")
    return "\n".join(out)


def write_atomic(path: str, text: str):
    """write_atomic writes text to path via a temp file and rename."""
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)
