"""Library-update notifications: media servers (Jellyfin, Emby, Plex) and user commands hear
which share folders changed (see notifier.py)."""
