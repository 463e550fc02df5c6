# SPDX-License-Identifier: GPL-3.0-or-later
"""Per-file write time for N photos (default 200 copies of a 12 MP JPEG with maker notes):
AltLens's writer through one `exiftool -stay_open` process, versus the same writer starting a
new exiftool process for every command. Both do the full safe write (inspect, write a copy,
verify it, fsync, rename, journal). The bare ExifTool write (one `-o` command, no checks) is
timed both ways as well.

    python benchmarks/metadata_write.py [--count 200] [--photo PATH]

Needs ExifTool; uses ../shared/corpus/landscape_iphone7_4032x3024_makernote.jpg when present,
else a generated 12 MP JPEG (without maker notes).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from altlens.core.metadata import MetadataWriter, WriteRequest  # noqa: E402
from altlens.core.metadata.exiftool import ExifTool, ExifToolResult, config_file, encode_arg  # noqa: E402

DEFAULT_PHOTO = REPO.parent / "shared" / "corpus" / "landscape_iphone7_4032x3024_makernote.jpg"


class OneShotExifTool(ExifTool):
    """The same interface, but a new exiftool process for every command (the slow way)."""

    def start(self) -> None:  # nothing stays running
        self.version = 0.0

    @property
    def running(self) -> bool:
        return True

    def execute(self, args: Sequence[str | os.PathLike[str]], *,
                timeout: float | None = None) -> ExifToolResult:
        with tempfile.NamedTemporaryFile("wb", suffix=".args", delete=False) as fh:
            fh.write(b"".join(encode_arg(a) + b"\n" for a in args))
            argfile = fh.name
        try:
            self.starts += 1
            res = subprocess.run(
                [self.executable, "-config", os.fspath(self.config_path), "-charset", "utf8",
                 "-charset", "filename=utf8", "-api", "LargeFileSupport=1", "-@", argfile],
                capture_output=True, timeout=timeout or self.timeout, check=False)
        finally:
            os.unlink(argfile)
        stderr = res.stderr.decode("utf-8", "replace")
        warnings = [ln[9:] for ln in stderr.splitlines() if ln.startswith("Warning: ")]
        errors = [ln[7:] for ln in stderr.splitlines() if ln.startswith("Error: ")]
        return ExifToolResult(res.stdout, stderr, warnings, errors)

    def close(self) -> None:
        pass


def make_photo(path: Path) -> None:
    from PIL import Image

    size = (4032, 3024)
    base = Image.merge("RGB", [Image.linear_gradient("L").resize(size),
                               Image.radial_gradient("L").resize(size),
                               Image.linear_gradient("L").rotate(90).resize(size)])
    Image.blend(base, Image.effect_noise(size, 40).convert("RGB"), 0.15).save(path, quality=90)


def timed_writes(writer: MetadataWriter, photos: list[Path], label: str) -> list[float]:
    times = []
    for i, photo in enumerate(photos):
        t = time.perf_counter()
        writer.write(WriteRequest(photo, alt_text=f"{label} alt text {i}",
                                  description=f"{label} caption {i}", overwrite=True,
                                  model="benchmark"))
        times.append(time.perf_counter() - t)
    return times


def bare_writes(et: ExifTool, photos: list[Path], label: str) -> list[float]:
    times = []
    for i, photo in enumerate(photos):
        out = photo.with_name(f".{photo.name}.bare-{label}")
        t = time.perf_counter()
        res = et.execute(["-o", out, f"-XMP-dc:Description-x-default={label} {i}", photo])
        times.append(time.perf_counter() - t)
        if res.errors or not out.exists():
            raise SystemExit(f"exiftool failed: {res.errors}")
        out.unlink()
    return times


def summary(times: list[float]) -> str:
    return (f"mean {statistics.mean(times) * 1000:7.1f} ms, median "
            f"{statistics.median(times) * 1000:7.1f} ms, total {sum(times):6.1f} s")


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--count", type=int, default=200)
    ap.add_argument("--photo", type=Path, default=DEFAULT_PHOTO)
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="altlens-bench-") as tmp:
        root = Path(tmp)
        os.environ["ALTLENS_HOME"] = str(root / "home")
        src = args.photo
        if not src.is_file():
            src = root / "generated_12mp.jpg"
            make_photo(src)
        folder = root / "photos"
        folder.mkdir()
        photos = []
        for i in range(args.count):
            dst = folder / f"IMG_{i:04d}.jpg"
            shutil.copyfile(src, dst)
            photos.append(dst)
        cfg = config_file(root / "cfg")
        print(f"{args.count} copies of {src.name} ({src.stat().st_size / 1e6:.1f} MB)")

        stay = ExifTool(config_path=cfg)
        one = OneShotExifTool(config_path=cfg)
        stay.start()
        b_stay = bare_writes(stay, photos, "stay")
        b_one = bare_writes(one, photos, "one")
        with MetadataWriter(exiftool=stay, journal_path=root / "j1.sqlite3") as w:
            w.read(photos[0])  # start-up and folder clean-up are not per-file costs
            full_stay = timed_writes(w, photos, "stay_open")
        with MetadataWriter(exiftool=one, journal_path=root / "j2.sqlite3") as w:
            w.read(photos[0])
            one.starts = 0
            full_one = timed_writes(w, photos, "per-process")
        stay.close()
        print(f"exiftool {stay.version}; {os.cpu_count()} CPUs")
        print("bare ExifTool write (-o, no checks):")
        print(f"  stay_open     {summary(b_stay)}")
        print(f"  per process   {summary(b_one)}")
        print(f"  ratio         {statistics.mean(b_one) / statistics.mean(b_stay):.1f}x")
        print("AltLens safe write (inspect, write copy, verify, fsync, rename, journal):")
        print(f"  stay_open     {summary(full_stay)}  ({stay.starts} exiftool process)")
        print(f"  per process   {summary(full_one)}  ({one.starts} exiftool processes, "
              f"{one.starts / len(photos):.0f} per write)")
        print(f"  ratio         {statistics.mean(full_one) / statistics.mean(full_stay):.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
