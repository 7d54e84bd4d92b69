"""M3U playlists of the share for VLC and Kodi: `GET /api/playlist.m3u` (every video) and
`GET /api/shows/{id}/playlist.m3u` (one show's episodes in episode order).

Extended M3U: `#EXTM3U`, then per video `#EXTINF:-1,<title>` (-1: the length is unknown
until the player opens the file) and its absolute URL, built from the request's Host so it
works from wherever the player reached us. Paths are percent-encoded; the URLs carry no
credentials: the player asks for them when the share answers 401, as it does for the
playlist itself (these routes sit behind the API's auth like every other).
Sidecar subtitles are left out: players find them beside their videos on their own.

The type is `audio/x-mpegurl`, what VLC and Kodi register for `.m3u`; the other candidate,
`application/vnd.apple.mpegurl`, names HLS playlists (RFC 8216), which players then try to
read as a stream of segments.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

from app.player import share_url
from app.share.api_errors import ApiError
from app.share.routes import Body, Request, Router
from app.share.tree import FileNode, FolderNode, ShareTree

CONTENT_TYPE = "audio/x-mpegurl; charset=utf-8"
# a host name, IPv4 address or [IPv6] literal, with an optional port: nothing that could
# break a playlist line or point the URLs elsewhere than a host name
_HOST = re.compile(r"(?:[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?")


class PlaylistApi:
    """The playlist routes; `tree` gives the share's current tree (never a database query
    for the whole-share list)."""

    def __init__(self, library, tree: Callable[[], ShareTree]) -> None:
        self.library = library
        self.tree = tree

    def register(self, router: Router) -> None:
        router.add("GET", "/api/playlist.m3u", self.everything)
        router.add("GET", "/api/shows/{id:int}/playlist.m3u", self.show)

    def everything(self, request: Request) -> tuple[int, Any]:
        videos = list(_videos(self.tree().root))
        return 200, _playlist(base_url(request.environ), videos, "reelbox.m3u")

    def show(self, request: Request) -> tuple[int, Any]:
        show = self.library.get_show(request.params["id"])  # NotFound: 404
        tree = self.tree()
        seasons = sorted(self.library.seasons(show.id), key=lambda s: (s.number == 0, s.number))
        videos: dict[str, FileNode] = {}  # by path: a file holding two episodes comes once
        for season in seasons:  # specials (season 0) after the regular seasons
            for episode in self.library.episodes(season.id):
                assignment = self.library.active_assignment("episode", episode.id)
                path = tree.path_of(assignment.id) if assignment is not None else None
                node = tree.lookup(path) if path is not None else None
                if isinstance(node, FileNode):
                    videos.setdefault(node.path, node)
        filename = f"reelbox-show-{show.id}.m3u"
        return 200, _playlist(base_url(request.environ), list(videos.values()), filename)


def base_url(environ: dict) -> str:
    """`http://host:port` as the client named us (Host), else the address it reached."""
    host = environ.get("HTTP_HOST") or (
        f"{environ.get('SERVER_NAME', '')}:{environ.get('SERVER_PORT', '')}"
    )
    if not _HOST.fullmatch(host):
        raise ApiError(400, "the Host header is not a host name or address")
    return f"{environ.get('wsgi.url_scheme', 'http')}://{host}"


def render(base: str, videos: list[FileNode]) -> str:
    """The Extended M3U text: a title and an absolute URL per video, in the given order."""
    lines = ["#EXTM3U"]
    for node in videos:
        title = node.name.rsplit(".", 1)[0] if "." in node.name else node.name
        lines.append(f"#EXTINF:-1,{' '.join(title.splitlines())}")
        lines.append(share_url(base, node.path))
    return "\n".join(lines) + "\n"


def _playlist(base: str, videos: list[FileNode], filename: str) -> Body:
    return Body(
        render(base, videos).encode("utf-8"),
        CONTENT_TYPE,
        (("Content-Disposition", f'attachment; filename="{filename}"'),),
    )


def _videos(folder: FolderNode) -> Iterator[FileNode]:
    """Every file but sidecar subtitles, in the tree's order (Movies, then TV Shows)."""
    for child in folder.children.values():
        if isinstance(child, FolderNode):
            yield from _videos(child)
        elif not child.sidecar:
            yield child
