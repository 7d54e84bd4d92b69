"""Reelbox core: everything the app does, with no widgets (see docs/ARCHITECTURE.md)."""

__version__ = "0.1.0"
APP_NAME = "Reelbox"
APP_ID = "reelbox"
