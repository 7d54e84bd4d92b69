"""The read-only wsgidav provider over the share tree, and the wsgidav app built around it.

Resources are thin views of ShareTree nodes with O(1) getters. Files stream through an
opener (a TorrentFileReader in the app, a plain file in tests) that wsgidav seeks and reads in
`block_size` chunks, honouring Range and If-Range. PROPFIND is answered by propfind.py from the
tree directly (wsgidav's generic path is too slow for big folders), and a browser's GET of a
folder by browse.py's index page.
"""

from __future__ import annotations

import logging
import xml.etree.ElementTree as ElementTree
from collections.abc import Callable
from typing import BinaryIO

from wsgidav.dav_error import (
    HTTP_GATEWAY_TIMEOUT,
    HTTP_RANGE_NOT_SATISFIABLE,
    HTTP_SERVICE_UNAVAILABLE,
    DAVError,
)
from wsgidav.dav_provider import DAVCollection, DAVNonCollection, DAVProvider
from wsgidav.request_resolver import RequestResolver
from wsgidav.wsgidav_app import WsgiDAVApp

from app.share import browse, propfind
from app.share.dav_errors import DavErrors
from app.share.hangups import HUNG_UP, never
from app.share.ranges import RangeError, requested_span
from app.share.tree import FileNode, FolderNode, ShareTree

logger = logging.getLogger(__name__)

# Without lxml, wsgidav serialises the XML it still writes (error conditions) with ElementTree,
# which invents `ns0:` prefixes; clients expect `D:`. Process-wide, names only DAV's namespace.
ElementTree.register_namespace("D", "DAV:")

# opens a node's bytes; the second argument says when the request's client has hung up
# (hangups.py), so a stream that waits for its data can stop waiting
Opener = Callable[[FileNode, Callable[[], bool]], BinaryIO]
TREE_KEY = "reelbox.tree"


class OpenFailed(Exception):
    """The opener could not provide the file; `status` is the HTTP answer (503/504/404)."""

    def __init__(self, message: str, status: int = HTTP_SERVICE_UNAVAILABLE) -> None:
        super().__init__(message)
        self.status = status


class ClientGone(Exception):
    """A stream stopped waiting because the request's client hung up: the connection is cut."""


class ShareProvider(DAVProvider):
    """Maps URL paths to tree nodes; takes one snapshot per request."""

    def __init__(self, tree: Callable[[], ShareTree], opener: Opener) -> None:
        super().__init__()
        self._tree = tree
        self.opener = opener

    def is_readonly(self) -> bool:
        return True

    def snapshot(self, environ: dict) -> ShareTree:
        tree = environ.get(TREE_KEY)
        if tree is None:
            tree = environ[TREE_KEY] = self._tree()
        return tree

    def get_resource_inst(self, path: str, environ: dict):
        node = self.snapshot(environ).lookup(path)
        if node is None:
            return None
        return make_resource(node, environ)

    def exists(self, path: str, environ: dict) -> bool:
        return self.snapshot(environ).lookup(path) is not None

    def is_collection(self, path: str, environ: dict) -> bool:
        return isinstance(self.snapshot(environ).lookup(path), FolderNode)

    def custom_request_handler(self, environ: dict, start_response, default_handler):
        method = environ["REQUEST_METHOD"]
        if method == "PROPFIND" and environ.get("HTTP_DEPTH") in ("0", "1"):
            return propfind.handle(self.snapshot(environ), environ, start_response)
        if method in ("GET", "HEAD"):
            node = self.snapshot(environ).lookup(environ["PATH_INFO"])
            if isinstance(node, FolderNode) and browse.wants_html(environ):
                return browse.answer(node, environ, start_response)
            if isinstance(node, FileNode) and "HTTP_RANGE" in environ:
                _check_range(environ, node.size)
        return default_handler(environ, start_response)


def _check_range(environ: dict, size: int) -> None:
    """Leave wsgidav a Range it handles right: one plain span, or none (see ranges.py)."""
    try:
        span = requested_span(environ["HTTP_RANGE"], size)
    except RangeError as exc:
        raise DAVError(
            HTTP_RANGE_NOT_SATISFIABLE,
            str(exc),
            add_headers=[("Content-Range", f"bytes */{size}")],
        ) from None
    if span is None:
        del environ["HTTP_RANGE"]
    else:
        environ["HTTP_RANGE"] = f"bytes={span[0]}-{span[1]}"


def make_resource(node: FileNode | FolderNode, environ: dict):
    if isinstance(node, FolderNode):
        return FolderResource(node, environ)
    return FileResource(node, environ)


class FolderResource(DAVCollection):
    def __init__(self, node: FolderNode, environ: dict) -> None:
        path = node.path if node.path == "/" else node.path + "/"
        super().__init__(path, environ)
        self.node = node

    def get_member_names(self) -> list[str]:
        return list(self.node.children)

    def get_member(self, name: str):
        child = self.node.children.get(name)
        return None if child is None else make_resource(child, self.environ)

    def get_display_name(self) -> str:
        return self.node.name

    def get_creation_date(self) -> float:
        return self.node.mtime

    def get_last_modified(self) -> float:
        return self.node.mtime


class FileResource(DAVNonCollection):
    def __init__(self, node: FileNode, environ: dict) -> None:
        super().__init__(node.path, environ)
        self.node = node

    def get_content_length(self) -> int:
        return self.node.size

    def get_content_type(self) -> str:
        return self.node.content_type

    def get_display_name(self) -> str:
        return self.node.name

    def get_creation_date(self) -> float:
        return self.node.mtime

    def get_last_modified(self) -> float:
        return self.node.mtime

    def get_etag(self) -> str:
        return self.node.etag

    def support_etag(self) -> bool:
        return True

    def support_ranges(self) -> bool:
        return True

    def get_content(self) -> BinaryIO:
        # Called before the first body byte leaves (dav_errors.DavErrors holds the
        # response back), so a failure here still becomes a clean error status.
        try:
            stream = self.provider.opener(self.node, self.environ.get(HUNG_UP, never))
        except OpenFailed as exc:
            logger.warning("Cannot open %s: %s", self.node.path, exc)
            raise DAVError(exc.status, str(exc)) from None
        return _Content(stream, self.node.path)


class _Content:
    """The opened stream as wsgidav uses it; read failures become HTTP errors, not 500s."""

    def __init__(self, stream: BinaryIO, path: str) -> None:
        self._stream = stream
        self._path = path

    def seek(self, offset: int, whence: int = 0) -> int:
        return self._stream.seek(offset, whence)

    def read(self, size: int = -1) -> bytes:
        try:
            return self._stream.read(size)
        except OpenFailed as exc:
            logger.warning("Read of %s failed: %s", self._path, exc)
            raise DAVError(exc.status, str(exc)) from None
        except TimeoutError as exc:
            logger.warning("Read of %s timed out: %s", self._path, exc)
            raise DAVError(HTTP_GATEWAY_TIMEOUT, str(exc)) from None

    def close(self) -> None:
        self._stream.close()


def make_dav_app(provider: ShareProvider, *, block_size: int) -> WsgiDAVApp:
    """wsgidav without its own auth (auth.py does it for the share and the API alike) and
    with our error answers (dav_errors.py) instead of its HTML pages."""
    config = {
        "provider_mapping": {"/": provider},
        "middleware_stack": [DavErrors, RequestResolver],
        "lock_storage": False,
        "property_manager": None,
        "block_size": block_size,
        "verbose": 1,
        "logging": {"enable": False},
        "suppress_version_info": True,
        "add_header_MS_Author_Via": False,
        "dir_browser": {"enable": False},
        # auth.py authenticates; these only keep wsgidav from warning about its own Basic auth
        "http_authenticator": {"accept_basic": False, "accept_digest": False},
    }
    return WsgiDAVApp(config)
