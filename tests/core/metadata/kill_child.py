# SPDX-License-Identifier: GPL-3.0-or-later
"""Child of the kill-safety test: writes captions into every JPEG of a folder, round after
round, until it is killed. Prints "ready" once ExifTool runs and "w" after each write."""

from __future__ import annotations

import sys
from pathlib import Path

from altlens.core.metadata import MetadataWriter, WriteRequest, is_temp_file


def main() -> None:
    folder = Path(sys.argv[1])
    start = int(sys.argv[2])
    photos = sorted(p for p in folder.glob("*.jpg") if not is_temp_file(p))
    with MetadataWriter() as writer:
        writer.read(photos[0])  # starts ExifTool; the folder is cleaned on the first write
        print("ready", flush=True)
        k = start
        while True:
            for photo in photos:
                writer.write(WriteRequest(photo, alt_text=f"alt {k}", description=f"caption {k}",
                                          overwrite=True, model="kill-test"))
                print("w", flush=True)
            k += 1


if __name__ == "__main__":
    main()
