"""Real client programs against the share: rclone (a WebDAV client) and ffprobe/ffmpeg (a media
probe that seeks like a player), over a video generated at test time and seeded on loopback.

Needs Debian's `rclone` and `ffmpeg` packages; each test says so and skips when they are missing.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from urllib.parse import quote

import pytest

from tests.app.share.conftest import PASSWORD, USER, write_file
from tests.support import swarm
from tests.support.swarm import KiB, Seeder

MOVIE = "Sintel.2010.720p.WEB-DL/Sintel.2010.720p.WEB-DL.mkv"
SHARE_PATH = "/Movies/Sintel (2010)/Sintel (2010).mkv"


def need(program: str, package: str) -> str:
    found = shutil.which(program)
    if found is None:
        pytest.skip(f"{program} is not installed (apt-get install {package})")
    return found


def run(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run(args, capture_output=True, timeout=timeout, check=False)


@pytest.fixture(scope="module")
def video(tmp_path_factory) -> Path:
    """A real 20 s H.264/AAC Matroska file with a keyframe every second."""
    ffmpeg = need("ffmpeg", "ffmpeg")
    out = tmp_path_factory.mktemp("video") / "sintel.mkv"
    result = run(
        ffmpeg, "-hide_banner", "-loglevel", "error",
        "-f", "lavfi", "-i", "testsrc=duration=20:size=640x360:rate=25",
        "-f", "lavfi", "-i", "sine=frequency=440:duration=20",
        "-c:v", "libx264", "-preset", "ultrafast", "-g", "25", "-c:a", "aac", "-shortest",
        str(out),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr.decode()
    return out


@pytest.fixture
def video_seeder(tmp_path, video, monkeypatch):
    """A loopback Seeder whose file is the generated video instead of random bytes."""

    def place_video(root: Path, files: dict[str, int], seed: int = 0) -> dict[str, Path]:
        target = root / MOVIE
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(video, target)
        return {MOVIE: target}

    monkeypatch.setattr(swarm, "make_files", place_video)
    seeder = Seeder(tmp_path / "seeder", {MOVIE: video.stat().st_size}, piece_length=64 * KiB)
    seeder.start()
    yield seeder
    seeder.stop()


@pytest.fixture
def shared_video(stack, video_seeder) -> str:
    """Assign the seeded video to a movie; returns its share URL with credentials."""
    with stack.client() as client:
        movie = client.post("/api/movies", json={"title": "Sintel", "year": 2010}).json()
        reply = client.post(
            f"/api/movies/{movie['id']}/assign", json={"magnet_uri": video_seeder.magnet}
        )
        assert reply.status_code == 201, reply.text
        assert reply.json()["share_path"] == SHARE_PATH
    return f"http://{USER}:{PASSWORD}@127.0.0.1:{stack.share.port}{quote(SHARE_PATH)}"


def test_ffprobe_reads_the_stream_over_http(shared_video, video):
    ffprobe = need("ffprobe", "ffmpeg")
    result = run(
        ffprobe, "-v", "error", "-show_format", "-show_streams", "-of", "json", shared_video
    )
    assert result.returncode == 0, result.stderr.decode()
    probe = json.loads(result.stdout)
    assert float(probe["format"]["duration"]) == pytest.approx(20, abs=0.2)
    assert int(probe["format"]["size"]) == video.stat().st_size
    assert {s["codec_name"] for s in probe["streams"]} == {"h264", "aac"}
    assert probe["streams"][0]["width"] == 640


def test_ffmpeg_seeks_into_the_middle_and_decodes(shared_video):
    ffmpeg = need("ffmpeg", "ffmpeg")
    # -ss before -i makes ffmpeg seek with the Matroska cues: a ranged request into the file
    result = run(
        ffmpeg,
        "-hide_banner",
        "-loglevel",
        "error",
        "-ss",
        "14",
        "-i",
        shared_video,
        "-frames:v",
        "5",
        "-f",
        "null",
        "-",
    )
    assert result.returncode == 0, result.stderr.decode()
    full = run(
        ffmpeg,
        "-hide_banner",
        "-loglevel",
        "error",
        "-i",
        shared_video,
        "-map",
        "0",
        "-c",
        "copy",
        "-f",
        "md5",
        "-",
    )
    assert full.returncode == 0, full.stderr.decode()


def rclone_remote(port: int) -> str:
    obscured = run("rclone", "obscure", PASSWORD).stdout.decode().strip()
    return f":webdav,url='http://127.0.0.1:{port}/',vendor=other,user={USER},pass={obscured}:"


def test_rclone_lists_and_copies_from_the_share(stack, shared_video, video, tmp_path):
    need("rclone", "rclone")
    remote = rclone_remote(stack.share.port)
    base = ("--config", str(tmp_path / "none.conf"), "--low-level-retries", "1", "--retries", "1")
    listing = run("rclone", *base, "lsjson", "-R", remote)
    assert listing.returncode == 0, listing.stderr.decode()
    entries = {e["Path"]: e for e in json.loads(listing.stdout)}
    assert set(entries) == {
        "Movies",
        "TV Shows",
        "Movies/Sintel (2010)",
        "Movies/Sintel (2010)/Sintel (2010).mkv",
    }
    file = entries["Movies/Sintel (2010)/Sintel (2010).mkv"]
    assert file["IsDir"] is False and file["Size"] == video.stat().st_size
    assert file["MimeType"] == "video/x-matroska"
    assert entries["Movies"]["IsDir"] is True

    data = video.read_bytes()
    part = run(
        "rclone",
        *base,
        "cat",
        "--offset",
        "100000",
        "--count",
        "5000",
        remote + "Movies/Sintel (2010)/Sintel (2010).mkv",
    )
    assert part.returncode == 0, part.stderr.decode()
    assert part.stdout == data[100000:105000]
    whole = run("rclone", *base, "cat", remote + "Movies/Sintel (2010)/Sintel (2010).mkv")
    assert whole.stdout == data

    # rclone cannot write through the share; nothing changes
    upload = write_file(tmp_path / "upload.mkv", 1000)
    copied = run("rclone", *base, "copyto", str(upload), remote + "Movies/Upload.mkv")
    assert copied.returncode != 0
    deleted = run("rclone", *base, "deletefile", remote + "Movies/Sintel (2010)/Sintel (2010).mkv")
    assert deleted.returncode != 0
    again = run("rclone", *base, "lsjson", "-R", remote)
    assert {e["Path"] for e in json.loads(again.stdout)} == set(entries)
