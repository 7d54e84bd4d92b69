"""Typed, versioned settings: validation with readable messages, atomic save, safe load.

Settings live in one JSON file in the config dir. Each section is a dataclass whose fields
carry their limits in `field(metadata=...)`; `validate()` turns every bad value into a
message a user understands. Loading keeps every usable value and never loses the user's
file: each bad value falls back to its default (a file that is no settings at all gives
defaults throughout) and the file is copied aside. Saving writes a temp file and renames it
over the old one.
"""

from __future__ import annotations

import copy
import glob
import json
import logging
import os
import re
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import MISSING, asdict, dataclass, field, fields
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

logger = logging.getLogger(__name__)

SETTINGS_VERSION = 2
MiB = 1024 * 1024
THEMES = ("system", "light", "dark")


class SettingsError(ValueError):
    """A setting has a value we cannot use; the message names the setting and the fix."""


def _opt(
    default: Any,
    help: str,
    *,
    min: float | None = None,
    max: float | None = None,
    choices: tuple[str, ...] | None = None,
    parse: Callable[[str, Any], Any] | None = None,
) -> Any:
    # `parse(dotted, value)` converts and checks a value that is not a plain bool, number or
    # text (a list of notification targets); it raises SettingsError.
    meta = {"help": help, "min": min, "max": max, "choices": choices, "parse": parse}
    if isinstance(default, tuple):
        return field(default_factory=lambda: default, metadata=meta)
    return field(default=default, metadata=meta)


@dataclass
class ShareSettings:
    enabled: bool = _opt(True, "serve the library over WebDAV and the JSON API")
    bind_address: str = _opt(
        "0.0.0.0", "address to listen on; 127.0.0.1 keeps the share on this computer"
    )
    port: int = _opt(8484, "TCP port of the share", min=1, max=65535)
    username: str = _opt("reelbox", "user name for Basic authentication")
    anonymous: bool = _opt(False, "allow access without a password (anyone on the network)")
    threads: int = _opt(48, "worker threads; each playing stream holds one", min=4, max=512)
    socket_timeout: int = _opt(
        300, "seconds before an idle connection is dropped", min=10, max=3600
    )
    block_size_kib: int = _opt(1024, "size of each chunk sent to a player, KiB", min=64, max=16384)
    metadata_files: bool = _opt(
        True, "show poster.jpg, fanart.jpg and Kodi .nfo files beside the videos"
    )


@dataclass
class TorrentSettings:
    listen_port: int = _opt(6881, "port for incoming peers; 0 picks a free one", min=0, max=65535)
    dht: bool = _opt(True, "find peers through the DHT")
    lsd: bool = _opt(True, "find peers on the local network")
    upnp: bool = _opt(True, "open the listen port on the router with UPnP")
    natpmp: bool = _opt(True, "open the listen port on the router with NAT-PMP")
    download_rate_limit_kib: int = _opt(0, "download limit in KiB/s; 0 means unlimited", min=0)
    upload_rate_limit_kib: int = _opt(0, "upload limit in KiB/s; 0 means unlimited", min=0)
    connections_limit: int = _opt(200, "connections in total", min=2, max=65535)
    connections_per_torrent: int = _opt(50, "connections per torrent", min=2, max=65535)
    active_limit: int = _opt(8, "torrents active at once", min=1, max=1000)
    storage_dir: str = _opt("", "folder for downloaded data; empty uses the app's data folder")
    cache_budget_mib: int = _opt(
        0, "largest size of downloaded data in MiB; 0 means no limit", min=0
    )
    add_timeout: float = _opt(60.0, "seconds to wait for a torrent's metadata", min=1, max=3600)
    read_timeout: float = _opt(
        120.0, "seconds a read waits for its data before failing", min=1, max=3600
    )
    idle_enabled: bool = _opt(True, "quiet torrents that nobody is streaming")
    idle_timeout: int = _opt(
        300, "seconds without reads before a torrent stops transferring", min=5
    )
    idle_pause_timeout: int = _opt(1800, "seconds without reads before a torrent is paused", min=5)
    start_paused: bool = _opt(False, "start with every torrent paused until it is streamed")
    stall_timeout: int = _opt(
        60, "seconds without progress before a torrent counts as stalled", min=5
    )
    readahead_mib: int = _opt(32, "data fetched ahead of a player, MiB", min=1, max=1024)


@dataclass
class TmdbSettings:
    language: str = _opt("en-US", "language of titles and overviews (IETF tag)")
    include_adult: bool = _opt(False, "include adult titles in search results")


@dataclass
class SyncSettings:
    # Each source's interval and mode live in the library (table sync_source), not here.
    enabled: bool = _opt(True, "sync sources on their timers")


@dataclass
class DebridSettings:
    # The account's token lives in the keyring; its sync interval and mode in the library.
    check_seconds: int = _opt(
        15, "seconds between the cheap change checks of the debrid account", min=5, max=3600
    )
    add_unmatched: bool = _opt(
        False, "add the movies and shows of unmatched debrid files to the library (TMDB if set)"
    )
    send_to: str = _opt(
        "torrent",
        "where a dropped link goes first when an account is set: torrent (this computer) or "
        "debrid (the account); the drop's last choice",
        choices=("torrent", "debrid"),
    )
    token_expires: float = _opt(
        0.0, "when the device login's access token expires (seconds since 1970; set by it)", min=0
    )


NOTIFY_KINDS = ("jellyfin", "emby", "plex", "command")
_TARGET_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,39}")


@dataclass(frozen=True)
class NotifyTarget:
    """A media server (or a command) told which share folders changed; see app/notify/.

    `path_from` is a share path prefix and `path_to` what the server sees there (where it
    mounts the share): "/" -> "/mnt/reelbox" sends "/mnt/reelbox/Movies/Heat (1995)". Its
    token lives in the keyring (app/notify/targets.py: token_key), never here.
    """

    name: str
    kind: str
    url: str = ""  # jellyfin, emby, plex: the server's address
    command: str = ""  # command: a program and its arguments, the changed paths appended
    path_from: str = "/"
    path_to: str = ""
    timeout: float = 10.0  # seconds for one delivery


def parse_notify_targets(dotted: str, value: Any) -> tuple[NotifyTarget, ...]:
    """Targets from the settings file (a list of objects) or `--set` (the same as JSON)."""
    if isinstance(value, str):
        try:
            value = json.loads(value) if value.strip() else []
        except json.JSONDecodeError as exc:
            raise SettingsError(f"{dotted}: expected a JSON list of targets ({exc})") from None
    if not isinstance(value, list | tuple):
        raise SettingsError(f"{dotted}: expected a list of targets (got {value!r})")
    targets: list[NotifyTarget] = []
    for number, item in enumerate(value, 1):
        if isinstance(item, NotifyTarget):
            item = asdict(item)
        if not isinstance(item, dict):
            raise SettingsError(f"{dotted}: target {number} is not an object (got {item!r})")
        target = _notify_target(f"{dotted}[{number}]", item)
        if any(t.name == target.name for t in targets):
            raise SettingsError(f"{dotted}: two targets are named {target.name!r}")
        targets.append(target)
    return tuple(targets)


def _notify_target(where: str, item: dict[str, Any]) -> NotifyTarget:
    known = {f.name for f in fields(NotifyTarget)}
    unknown = sorted(set(item) - known)
    if unknown:
        raise SettingsError(f"{where}: unknown field {unknown[0]!r}")
    texts = {}
    for key in known - {"timeout"}:
        text = item.get(key, "/" if key == "path_from" else "")
        if not isinstance(text, str):
            raise SettingsError(f"{where}.{key}: expected text (got {text!r})")
        texts[key] = text.strip()
    name, kind = texts["name"], texts["kind"]
    if not _TARGET_NAME.fullmatch(name):
        raise SettingsError(
            f"{where}.name: 1 to 40 letters, digits, '-' or '_', starting with a letter or "
            f"digit (got {name!r})"
        )
    if kind not in NOTIFY_KINDS:
        raise SettingsError(f"{where}.kind: must be one of {', '.join(NOTIFY_KINDS)}")
    if kind == "command":
        if not texts["command"]:
            raise SettingsError(f"{where}.command: a command target needs a command")
    else:
        parts = urlsplit(texts["url"])
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise SettingsError(
                f"{where}.url: expected the server's address, like http://192.168.1.5:8096 "
                f"(got {texts['url']!r})"
            )
    if not texts["path_from"].startswith("/"):
        raise SettingsError(f"{where}.path_from: a share path starts with '/'")
    timeout = item.get("timeout", 10.0)
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or not 1 <= timeout <= 300:
        raise SettingsError(f"{where}.timeout: must be between 1 and 300 seconds (got {timeout!r})")
    return NotifyTarget(timeout=float(timeout), **texts)


@dataclass
class NotifySettings:
    debounce_seconds: float = _opt(
        2.0, "seconds without library changes before media servers are told", min=0.1, max=600
    )
    targets: tuple[NotifyTarget, ...] = _opt(
        (),
        "media servers and commands told about changed share folders (a JSON list; "
        "Settings -> Media servers)",
        parse=parse_notify_targets,
    )


@dataclass
class UiSettings:
    last_view: str = _opt(
        "movies", "view shown at start-up", choices=("movies", "shows", "torrents", "sync")
    )
    library_layout: str = _opt(
        "grid", "movies as a poster grid or a list", choices=("grid", "list")
    )
    geometry: str = _opt("", "window geometry (managed by the app)")
    close_to_tray: bool = _opt(
        True, "closing the window keeps the app in the tray when there is one"
    )
    player: str = _opt(
        "",
        "program that plays an item's share URL (vlc, mpv, open -a IINA, or a path); "
        "empty opens a playlist with the desktop's media player",
    )
    connect_shown: bool = _opt(
        False, "the Connect a device panel has been shown once at first start (managed by the app)"
    )
    theme: str = _opt("system", "light or dark; system follows the desktop", choices=THEMES)


SECTIONS: dict[str, type] = {
    "share": ShareSettings,
    "torrents": TorrentSettings,
    "tmdb": TmdbSettings,
    "sync": SyncSettings,
    "debrid": DebridSettings,
    "notify": NotifySettings,
    "ui": UiSettings,
}


@dataclass
class Settings:
    share: ShareSettings = field(default_factory=ShareSettings)
    torrents: TorrentSettings = field(default_factory=TorrentSettings)
    tmdb: TmdbSettings = field(default_factory=TmdbSettings)
    sync: SyncSettings = field(default_factory=SyncSettings)
    debrid: DebridSettings = field(default_factory=DebridSettings)
    notify: NotifySettings = field(default_factory=NotifySettings)
    ui: UiSettings = field(default_factory=UiSettings)

    # ---- access by "section.key" -------------------------------------------------------

    def get(self, dotted: str) -> Any:
        section, key = _split(dotted)
        return getattr(getattr(self, section), key)

    def set(self, dotted: str, value: Any) -> None:
        """Set one value, converting strings (from --set or a form) to the field's type."""
        section, key = _split(dotted)
        spec = _field(section, key)
        converted = _convert(dotted, spec, value)
        _check(dotted, spec, converted)
        setattr(getattr(self, section), key, converted)

    def validate(self) -> None:
        """Raise SettingsError listing every invalid value."""
        problems = []
        for section, cls in SECTIONS.items():
            for spec in fields(cls):
                dotted = f"{section}.{spec.name}"
                try:
                    _check(dotted, spec, _convert(dotted, spec, self.get(dotted)))
                except SettingsError as exc:
                    problems.append(str(exc))
        if problems:
            raise SettingsError("; ".join(problems))

    def copy(self) -> Settings:
        return copy.deepcopy(self)

    def diff(self, other: Settings) -> set[str]:
        """Dotted names whose values differ: tells the core which parts to restart."""
        return {name for name in all_keys() if self.get(name) != other.get(name)}

    # ---- (de)serialisation --------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        return {"version": SETTINGS_VERSION, **asdict(self)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> tuple[Settings, list[str]]:
        """Build settings from a saved dict, value by value, and say what could not be used.

        An unknown section or key is dropped and a bad value falls back to its default, each
        with one message in the returned list: one typo must not cost the user every other
        setting (a lost bind_address=127.0.0.1 would open the share to the network). Only data
        that is not settings at all (not an object, a newer version) raises SettingsError.
        """
        if not isinstance(data, dict):
            raise SettingsError("the settings file does not hold a JSON object")
        data = _upgrade(dict(data))
        settings = cls()
        problems = [f"{name}: unknown settings section" for name in data if name not in SECTIONS]
        for section in SECTIONS:
            values = data.get(section, {})
            if not isinstance(values, dict):
                problems.append(f"{section}: expected a group of settings (got {values!r})")
                continue
            for key, value in values.items():
                if key not in _field_names(section):
                    problems.append(f"{section}.{key}: unknown setting")
                    continue
                try:
                    settings.set(f"{section}.{key}", value)
                except SettingsError as exc:
                    if f"{section}.{key}" == "share.bind_address":
                        # the user meant to choose: do not open the share to the network
                        settings.share.bind_address = "127.0.0.1"
                        exc = SettingsError(f"{exc}; using 127.0.0.1 until it is fixed")
                    problems.append(str(exc))
        return settings, problems


def all_keys() -> list[str]:
    return [f"{s}.{f.name}" for s, cls in SECTIONS.items() for f in fields(cls)]


def describe(dotted: str) -> str:
    section, key = _split(dotted)
    return _field(section, key).metadata["help"]


def default_of(dotted: str) -> Any:
    section, key = _split(dotted)
    spec = _field(section, key)
    if spec.default_factory is not MISSING:
        return spec.default_factory()
    return spec.default if spec.default is not MISSING else None


def parse_override(text: str) -> tuple[str, str]:
    """Split `section.key=value` from the command line."""
    name, sep, value = text.partition("=")
    if not sep:
        raise SettingsError(f"--set {text!r}: expected section.key=value")
    name = name.strip()
    _split(name)
    return name, value


def with_overrides(settings: Settings, overrides: dict[str, str]) -> Settings:
    """A copy of `settings` with command-line overrides applied (never saved)."""
    result = settings.copy()
    for name, value in overrides.items():
        result.set(name, value)
    return result


# ---- file handling -------------------------------------------------------------------------


def load(path: Path) -> Settings:
    """Read settings, keeping every usable value; the file itself is never changed here.

    A missing file gives defaults. A file with bad values keeps the good ones, and one warning
    lists every value that fell back to its default; a file that is unusable as a whole
    (unreadable, not JSON, a newer version) gives defaults. Either way the file is copied aside
    first, because the next save (when the user changes a setting) writes only what was used.
    """
    if not path.exists():
        return Settings()
    try:
        settings, problems = Settings.from_dict(json.loads(path.read_text(encoding="utf-8")))
    except (
        OSError,
        UnicodeDecodeError,
        json.JSONDecodeError,
        SettingsError,
        RecursionError,
    ) as exc:
        # RecursionError is what json raises for absurdly deep nesting.
        logger.warning(
            "Settings file %s is unusable (%s); using defaults, the file is %s",
            path,
            exc,
            _keep_aside(path),
        )
        return Settings()
    if problems:
        logger.warning(
            "Settings file %s has values this app cannot use, so they fall back to their "
            "defaults: %s. Every other setting is kept; the file is %s",
            path,
            "; ".join(problems),
            _keep_aside(path),
        )
    return settings


def _keep_aside(path: Path) -> str:
    """Copy a bad settings file aside (once per content) and say where, for the warning."""
    try:
        content = path.read_bytes()
    except OSError as exc:
        return f"left untouched (could not read it to copy it aside: {exc})"
    # Until the user changes a setting the file stays as it is and every start finds the
    # same problems: one copy of it is enough.
    for earlier in sorted(path.parent.glob(f"{glob.escape(path.name)}.broken-*")):
        try:
            if earlier.read_bytes() == content:
                return f"kept as {earlier}"
        except OSError:
            continue
    stamp = time.strftime("%Y%m%d-%H%M%S")
    backup, n = path.with_name(f"{path.name}.broken-{stamp}"), 1
    while backup.exists():  # a different file within the same second: keep both
        n += 1
        backup = path.with_name(f"{path.name}.broken-{stamp}-{n}")
    try:
        shutil.copy2(path, backup)
    except OSError as exc:
        return f"left untouched (could not copy it aside: {exc})"
    return f"kept as {backup}"


def save(settings: Settings, path: Path) -> None:
    """Validate, then write atomically: a crash leaves either the old or the new file."""
    settings.validate()
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(settings.to_dict(), indent=2, sort_keys=True) + "\n"
    fd, tmp = tempfile.mkstemp(prefix=".settings-", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


# ---- helpers ---------------------------------------------------------------------------


def _upgrade(data: dict[str, Any]) -> dict[str, Any]:
    """Forward steps from older file versions; each step edits the dict in place."""
    version = data.pop("version", SETTINGS_VERSION)
    if not isinstance(version, int) or version > SETTINGS_VERSION:
        raise SettingsError(f"settings version {version!r} is newer than this app understands")
    if version < 2:
        # Sync intervals moved to the library, one per source: the old global one goes.
        sync = data.get("sync")
        if isinstance(sync, dict):
            sync.pop("interval_minutes", None)
    return data


def _split(dotted: str) -> tuple[str, str]:
    section, _, key = dotted.partition(".")
    if section not in SECTIONS:
        raise SettingsError(f"unknown settings section {section!r} (known: {', '.join(SECTIONS)})")
    if key not in _field_names(section):
        raise SettingsError(f"unknown setting {dotted!r}")
    return section, key


def _field_names(section: str) -> set[str]:
    return {f.name for f in fields(SECTIONS[section])}


def _field(section: str, key: str):
    return next(f for f in fields(SECTIONS[section]) if f.name == key)


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def _convert(dotted: str, spec, value: Any) -> Any:
    if spec.metadata["parse"] is not None:
        return spec.metadata["parse"](dotted, value)
    kind = (
        spec.type
        if isinstance(spec.type, type)
        else {"bool": bool, "int": int, "float": float, "str": str}[spec.type]
    )
    if kind is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
            return value.strip().lower() in _TRUE
        raise SettingsError(f"{dotted}: expected yes or no (got {value!r})")
    if kind in (int, float):
        if isinstance(value, bool):
            raise SettingsError(f"{dotted}: expected a number (got {value!r})")
        try:
            number = float(value) if kind is float else _to_int(value)
        except (TypeError, ValueError):
            raise SettingsError(f"{dotted}: expected a number (got {value!r})") from None
        return number
    if not isinstance(value, str):
        raise SettingsError(f"{dotted}: expected text (got {value!r})")
    return value.strip()


def _to_int(value: Any) -> int:
    if isinstance(value, float):
        if not value.is_integer():
            raise ValueError(value)
        return int(value)
    return int(str(value).strip())


def _check(dotted: str, spec, value: Any) -> None:
    low, high, choices = spec.metadata["min"], spec.metadata["max"], spec.metadata["choices"]
    if low is not None and high is not None and not low <= value <= high:
        raise SettingsError(f"{dotted}: must be between {low:g} and {high:g} (got {value:g})")
    if low is not None and value < low:
        what = "negative" if low == 0 else f"below {low:g}"
        raise SettingsError(f"{dotted}: cannot be {what} (got {value:g})")
    if high is not None and value > high:
        raise SettingsError(f"{dotted}: must be at most {high:g} (got {value:g})")
    if choices and value not in choices:
        raise SettingsError(f"{dotted}: must be one of {', '.join(choices)} (got {value!r})")
    if dotted == "share.bind_address":
        _check_address(dotted, value)
    if dotted == "share.username" and (not value or ":" in value):
        raise SettingsError(f"{dotted}: must not be empty or contain ':'")


def _check_address(dotted: str, value: str) -> None:
    import ipaddress

    try:
        ipaddress.ip_address(value)
    except ValueError:
        raise SettingsError(
            f"{dotted}: {value!r} is not an IP address "
            "(use 0.0.0.0 for every interface or 127.0.0.1 for this computer)"
        ) from None
