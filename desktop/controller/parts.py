# SPDX-License-Identifier: GPL-3.0-or-later
"""What every capability of the controller works with: the settings, the item models, the
window, the workers and the announcement catalogue. Built once by ReviewController."""

from __future__ import annotations

from dataclasses import dataclass

from desktop.controller.announcements import Announcements
from desktop.models.images import ImageListModel, ReviewOrderModel
from desktop.settings import Settings
from desktop.views.main_window import MainWindow
from desktop.workers.captioner import CaptionWorker
from desktop.workers.describer import DescribeWorker
from desktop.workers.images import ImageWorker
from desktop.workers.library import LibraryWorker
from desktop.workers.writer import WriterWorker


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
