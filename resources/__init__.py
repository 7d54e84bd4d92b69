"""Icons, the .desktop launcher and AppStream metainfo, shipped inside the package."""

from pathlib import Path

FOLDER = Path(__file__).resolve().parent
APP_ICON_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)


def icon_files() -> list[Path]:
    return [FOLDER / "icons" / f"reelbox-{size}.png" for size in APP_ICON_SIZES]
