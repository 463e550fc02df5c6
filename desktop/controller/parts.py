# SPDX-License-Identifier: GPL-3.0-or-later
"""What every capability of the controller works with: the settings, the item models, the
window, the workers and the announcement catalogue. Built once by ReviewController."""

from __future__ import annotations

from dataclasses import dataclass

from altlens.desktop.controller.announcements import Announcements
from altlens.desktop.models.images import ImageListModel, ReviewOrderModel
from altlens.desktop.settings import Settings
from altlens.desktop.views.main_window import MainWindow
from altlens.desktop.workers.captioner import CaptionWorker
from altlens.desktop.workers.describer import DescribeWorker
from altlens.desktop.workers.images import ImageWorker
from altlens.desktop.workers.library import LibraryWorker
from altlens.desktop.workers.writer import WriterWorker


@dataclass(frozen=True)
class Parts:
    settings: Settings
    images: ImageListModel
    order: ReviewOrderModel
    window: MainWindow
    captioner: CaptionWorker
    image_worker: ImageWorker
    library_worker: LibraryWorker
    writer: WriterWorker | None  # None: this installation cannot write metadata
    say: Announcements
    describer: DescribeWorker | None = None  # None: no improve pass (Describe in detail)
