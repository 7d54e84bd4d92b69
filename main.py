"""Reelbox entry point: parse the command line, then start the window or the headless core."""

from __future__ import annotations

import argparse
import logging
import multiprocessing
import sys
import textwrap

from app import APP_NAME, __version__
from app.logs import LEVELS, setup_logging
from app.paths import HOME_ENV, Paths
from app.settings import (
    Settings,
    SettingsError,
    all_keys,
    default_of,
    describe,
    parse_override,
    with_overrides,
)

logger = logging.getLogger("reelbox")


def build_parser() -> argparse.ArgumentParser:
    keys = "\n".join(
        f"  {key:<36} {describe(key)} (default: {default_of(key)!r})" for key in all_keys()
    )
    parser = argparse.ArgumentParser(
        prog="reelbox",
        description=f"{APP_NAME}: stream your movie and TV library from torrents to the "
        "players you already own (Infuse, VLC, Kodi, Finder, rclone) over a WebDAV share.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        # dedent before the keys go in: they are not indented like the template
        epilog=textwrap.dedent(
            """\
            Settings you can override with --set section.key=value:
            {keys}

            Examples:
              reelbox                                   open the window
              reelbox --headless --set share.port=9000  run the share on a server, no window
              reelbox "magnet:?xt=urn:btih:..."         hand a link to the running window
            """
        ).format(keys=keys),
    )
    parser.add_argument("--version", action="version", version=f"{APP_NAME} {__version__}")
    parser.add_argument(
        "--headless",
        action="store_true",
        help="run the core (torrents, share, API, sync) with no window until SIGINT or SIGTERM",
    )
    parser.add_argument(
        "--data-dir",
        metavar="DIR",
        help=f"keep all state (settings, library, downloads, logs) under DIR; "
        f"the {HOME_ENV} environment variable does the same; default: the platform's folders",
    )
    parser.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="SECTION.KEY=VALUE",
        help="override a setting for this run only, without saving it (repeatable)",
    )
    parser.add_argument(
        "--log-level",
        default="INFO",
        type=str.upper,
        choices=LEVELS,
        help="how much to log to the console and the log file (default: INFO)",
    )
    parser.add_argument(
        "links",
        nargs="*",
        metavar="LINK",
        help="magnet links or .torrent files to assign; a running window receives them",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        overrides = dict(parse_override(text) for text in args.overrides)
        with_overrides(Settings(), overrides)  # reject bad values before anything starts
    except SettingsError as exc:
        parser.error(str(exc))
    paths = Paths.resolve(args.data_dir)
    paths.ensure()
    setup_logging(paths.log_file, args.log_level)
    logger.info("%s %s starting with data in %s", APP_NAME, __version__, paths.data_dir)

    from app.core import Core

    if args.headless:
        from app.headless import run_headless

        return run_headless(Core(paths, overrides))
    from ui.app import run_gui

    # The window checks for a running copy (and hands it the links) before building a core.
    return run_gui(lambda: Core(paths, overrides), args.links, data_dir=paths.data_dir)


if __name__ == "__main__":
    # a frozen app's helper process (app/sync/folder_parse.py) starts here and must stop here
    multiprocessing.freeze_support()
    sys.exit(main())
