"""A folder of the share as a plain HTML page, for a browser opening the share's address.

A GET or HEAD of a folder whose Accept names text/html (what a browser sends when it opens a
page) gets an index: a link per child with its size, in the tree's order.
WebDAV clients and players ask for XML, `*/*` or nothing and keep wsgidav's answers, so only
a request that names text/html sees this page; a file's GET is never changed.
Names are HTML-escaped and links URL-quoted absolute paths, so a name with `&`, `#`, `?` or
`%` still opens what it names; the page has no script and forbids any (Content-Security-Policy).
"""

from __future__ import annotations

from collections.abc import Callable
from html import escape
from urllib.parse import quote

from app.share.tree import FileNode, FolderNode

# Inline style only: no script, no outside resources, even if a name slipped past escaping.
_POLICY = "default-src 'none'; style-src 'unsafe-inline'"
_STYLE = (
    "body{font-family:system-ui,sans-serif;margin:2em}"
    "td{padding:.2em 1.5em .2em 0}td.size{text-align:right;color:#555}"
)


def wants_html(environ: dict) -> bool:
    """True if the Accept header names text/html with a non-zero quality (`*/*` does not)."""
    for item in environ.get("HTTP_ACCEPT", "").split(","):
        media, *params = (part.strip() for part in item.split(";"))
        if media.lower() != "text/html":
            continue
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    return float(value) > 0
                except ValueError:
                    return False
        return True
    return False


def answer(folder: FolderNode, environ: dict, start_response: Callable) -> list[bytes]:
    """The folder's index page (headers only for HEAD)."""
    body = page(folder, environ.get("SCRIPT_NAME", "").rstrip("/")).encode("utf-8")
    start_response(
        "200 OK",
        [
            ("Content-Type", "text/html; charset=utf-8"),
            ("Content-Length", str(len(body))),
            ("Content-Security-Policy", _POLICY),
            ("X-Content-Type-Options", "nosniff"),
            ("Cache-Control", "no-cache"),
        ],
    )
    return [b"" if environ.get("REQUEST_METHOD") == "HEAD" else body]


def page(folder: FolderNode, prefix: str = "") -> str:
    """The HTML of one folder's index; `prefix` is where the share is mounted ("" at /)."""
    shown = folder.path if folder.path == "/" else folder.path + "/"
    rows = []
    if folder.path != "/":
        parent = folder.path.rsplit("/", 1)[0] + "/"
        rows.append(_row(prefix + parent, "Parent folder", ""))
    for child in folder.children.values():
        if isinstance(child, FolderNode):
            count = len(child.children)
            size = f"{count} item" if count == 1 else f"{count} items"
            rows.append(_row(prefix + child.path + "/", child.name + "/", size))
        else:
            rows.append(_file_row(prefix, child))
    title = escape(f"Reelbox: {shown}")
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{title}</title><style>{_STYLE}</style></head>\n"
        f"<body><h1>{escape(shown)}</h1>\n<table>\n"
        "<thead><tr><th>Name</th><th>Size</th></tr></thead>\n<tbody>\n"
        + "".join(rows)
        + "</tbody></table></body></html>\n"
    )


def _file_row(prefix: str, node: FileNode) -> str:
    exact = f' title="{node.size:,} bytes"'
    return _row(prefix + node.path, node.name, human_size(node.size), exact)


def _row(path: str, text: str, size: str, size_title: str = "") -> str:
    href = escape(quote(path, safe="/"), quote=True)
    return (
        f'<tr><td><a href="{href}">{escape(text)}</a></td>'
        f'<td class="size"{size_title}>{escape(size)}</td></tr>\n'
    )


def human_size(size: int) -> str:
    """1536 -> "1.5 KiB"; whole bytes below 1 KiB."""
    if size < 1024:
        return f"{size} bytes"
    value = float(size)
    for unit in ("KiB", "MiB", "GiB", "TiB"):
        value /= 1024
        if value < 1024 or unit == "TiB":
            break
    return f"{value:.1f} {unit}"
