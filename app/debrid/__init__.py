"""A debrid account (Real-Debrid) as a library source: its client, change detection, fetch,
library sync and the share's streaming of its files. See docs/ARCHITECTURE.md."""
