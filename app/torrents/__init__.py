"""The torrent engine: one libtorrent session, TorrentService (its public face) and
TorrentFileReader (streaming one file of a torrent). See service.py first."""
