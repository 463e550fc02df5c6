# SPDX-License-Identifier: GPL-3.0-or-later
"""The Qt item models pass Qt's model tester and show what they should."""

from __future__ import annotations

from pathlib import Path

import pytest
from altlens.core.types import Candidate, CaptionResult, ErrorInfo
from altlens.desktop.models.candidates import CandidateListModel
from altlens.desktop.models.entries import ImageEntry, Status
from altlens.desktop.models.images import ImageListModel, ReviewOrderModel, Role
from PySide6.QtCore import Qt


def entry(name: str, status: Status = Status.SUGGESTED, score: float | None = 0.5) -> ImageEntry:
    cands = (Candidate(f"caption of {name}", score),) if score is not None else ()
    return ImageEntry(Path("/photos") / name, status, cands, text=cands[0].text if cands else "")


def test_image_list_model_passes_the_model_tester(qtmodeltester) -> None:
    model = ImageListModel()
    model.add([entry("a.jpg"), entry("b.jpg", Status.QUEUED, None)])
    qtmodeltester.check(model, force_py=True)
    model.add([entry("c.jpg", Status.ERROR, None)])
    model.update(entry("a.jpg", Status.WRITTEN))
    model.remove([Path("/photos/b.jpg")])
    qtmodeltester.check(model, force_py=True)


def test_review_order_passes_the_model_tester_while_it_changes(qtmodeltester) -> None:
    source = ImageListModel()
    order = ReviewOrderModel(source)
    qtmodeltester.check(order, force_py=True)
    source.add(
        [entry("a.jpg", score=0.9), entry("b.jpg", score=0.2), entry("c.jpg", Status.QUEUED, None)]
    )
    order.set_filter("review")
    order.set_sort_by_confidence(True)
    source.update(entry("c.jpg", score=0.5))
    source.remove([Path("/photos/a.jpg")])
    qtmodeltester.check(order, force_py=True)


def test_candidate_model_passes_the_model_tester(qtmodeltester) -> None:
    model = CandidateListModel()
    model.set_candidates([Candidate("a dog", 0.8), Candidate("a cat", 0.1)], chosen=0)
    qtmodeltester.check(model, force_py=True)
    model.set_chosen(1)
    model.set_candidates([Candidate("a bird", 0.4)])
    qtmodeltester.check(model, force_py=True)
    idx = model.index(0, 0)
    assert idx.data().startswith("1. ")
    assert "a bird" in idx.data(Qt.ItemDataRole.AccessibleTextRole)


def test_filters_and_confidence_order() -> None:
    source = ImageListModel()
    order = ReviewOrderModel(source)
    source.add(
        [
            entry("high.jpg", score=0.9),
            entry("low.jpg", score=0.1),
            entry("mid.jpg", score=0.5),
            entry("wait.jpg", Status.QUEUED, None),
            entry("done.jpg", Status.WRITTEN, 0.05),
        ]
    )
    assert [p.name for p in order.paths()] == [
        "high.jpg",
        "low.jpg",
        "mid.jpg",
        "wait.jpg",
        "done.jpg",
    ]
    order.set_sort_by_confidence(True)
    assert [p.name for p in order.paths()] == [
        "done.jpg",
        "low.jpg",
        "mid.jpg",
        "high.jpg",
        "wait.jpg",
    ]
    order.set_filter("review")
    assert [p.name for p in order.paths()] == ["low.jpg", "mid.jpg", "high.jpg"]
    source.update(entry("low.jpg", Status.REJECTED, 0.1))
    assert [p.name for p in order.paths()] == ["mid.jpg", "high.jpg"]
    order.set_filter("queued")
    assert [p.name for p in order.paths()] == ["wait.jpg"]
    assert source.counts() == {
        "all": 5,
        "review": 2,
        "queued": 1,
        "approved": 0,
        "written": 1,
        "rejected": 1,
        "error": 0,
    }


def test_rows_speak_their_status_in_words() -> None:
    model = ImageListModel()
    model.add([entry("a.jpg", score=0.42)])
    e = model.entry(Path("/photos/a.jpg"))
    model.update(
        e.with_result(
            CaptionResult(
                0, e.path, error=ErrorInfo("corrupt-image", "a.jpg: The file is damaged.")
            )
        )
    )
    idx = model.index(0, 0)
    spoken = idx.data(Qt.ItemDataRole.AccessibleTextRole)
    assert spoken.startswith("a.jpg, Error") and "damaged" in spoken
    assert idx.data(Role.STATUS_TEXT) == "Error"
    assert not idx.data(Role.STATUS_ICON).isNull()  # an icon as well as words


def test_thumbnails_drag_out_as_files() -> None:
    model = ImageListModel()
    model.add([entry("a.jpg"), entry("b.jpg")])
    mime = model.mimeData([model.index(0, 0), model.index(1, 0)])
    assert [u.toLocalFile() for u in mime.urls()] == ["/photos/a.jpg", "/photos/b.jpg"]
    assert model.flags(model.index(0, 0)) & Qt.ItemFlag.ItemIsDragEnabled


def test_thumbnails_are_requested_once(qtbot) -> None:
    model = ImageListModel()
    model.add([entry("a.jpg")])
    wanted: list[Path] = []
    model.thumbnail_wanted.connect(wanted.append)
    for _ in range(3):
        model.index(0, 0).data(Qt.ItemDataRole.DecorationRole)
    assert wanted == [Path("/photos/a.jpg")]


def test_a_new_caption_keeps_text_a_person_typed() -> None:
    e = ImageEntry(Path("/p/a.jpg"), Status.QUEUED, text="My own words", edited=True)
    r = CaptionResult(0, e.path, candidates=(Candidate("A model caption", 0.3),), model="toy")
    after = e.with_result(r)
    assert after.text == "My own words" and after.status is Status.SUGGESTED and after.candidates
    fresh = ImageEntry(Path("/p/b.jpg"), Status.QUEUED).with_result(r)
    assert fresh.text == "A model caption" and fresh.machine_made and fresh.chosen == 0


def test_thumbnail_memory_is_bounded(monkeypatch) -> None:
    import altlens.desktop.models.images as images_module
    from PySide6.QtGui import QImage, QPixmap

    pixels = QImage(8, 8, QImage.Format.Format_RGB888)
    one = 8 * 8 * QPixmap.fromImage(pixels).depth() // 8
    monkeypatch.setattr(images_module, "THUMBNAIL_CACHE_BYTES", 3 * one)
    model = ImageListModel()
    model.add([entry(f"{i}.jpg") for i in range(5)])
    wanted: list[Path] = []
    model.thumbnail_wanted.connect(wanted.append)
    for i in range(5):
        model.index(i, 0).data(Qt.ItemDataRole.DecorationRole)
        model.set_thumbnail(Path(f"/photos/{i}.jpg"), pixels)
        assert model.thumbnail_bytes <= 3 * one
    assert len(wanted) == 5 and model.thumbnail_count() == 3 and model.thumbnail_bytes == 3 * one
    assert not model.index(4, 0).data(Qt.ItemDataRole.DecorationRole).isNull()  # recent: kept
    model.index(0, 0).data(Qt.ItemDataRole.DecorationRole)  # dropped: asked for again
    assert wanted[-1] == Path("/photos/0.jpg") and len(wanted) == 6


def test_the_window_never_sets_a_library_images_status() -> None:
    """A library image's status comes from its record; one with no row yet moves only through
    core.review's transitions."""
    stored = ImageEntry(Path("/p/a.jpg"), Status.SUGGESTED, record_id=7)
    with pytest.raises(ValueError, match="comes from its record"):
        stored.with_(status=Status.APPROVED)
    assert stored.with_(pending=True).status is Status.SUGGESTED  # the overlay only
    placeholder = ImageEntry(Path("/p/b.jpg"), Status.QUEUED)
    assert placeholder.dequeued().status is Status.NEW
    assert placeholder.failed(ErrorInfo("corrupt-image", "x")).status is Status.ERROR
    result = CaptionResult(0, Path("/p/b.jpg"), (Candidate("a circle", 0.4),), model="toy")
    assert placeholder.with_result(result).status is Status.SUGGESTED
    # A decision the library made stays: new suggestions for an approved image keep it.
    approved = ImageEntry(Path("/p/c.jpg"), Status.APPROVED)
    assert approved.with_result(result).status is Status.APPROVED
