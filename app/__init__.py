"""Reelbox core: everything the app does, with no widgets (see ../shared/DESIGN.md)."""

__version__ = "0.1.0"
APP_NAME = "Reelbox"
APP_ID = "reelbox"
