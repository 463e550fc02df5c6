# SPDX-License-Identifier: GPL-3.0-or-later
"""The model manager dialog against the local fake hub (127.0.0.1) and a real model store:
list, download with progress, use, verify, import, remove, and a failing download."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from altlens.desktop.models.catalog import ModelCatalogModel
from altlens.desktop.workers.captioner import LoadModel
from altlens.desktop.workers.models import Download, ImportFolder, Remove, Verify
from PySide6.QtCore import Qt

from tests.core.modelstore.fake_hub import FakeHub
from tests.desktop.conftest import answer_next_dialog
from tests.desktop.test_accessibility import unnamed_controls

REPO_ID = "altlens-test/toy-captioner"


@pytest.fixture
def hub(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeHub]:
    import huggingface_hub.constants as c

    monkeypatch.setattr(c, "HF_HUB_CACHE", str(tmp_path / "hf-cache"))
    monkeypatch.setattr(c, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(c, "HF_HUB_DISABLE_XET", True)
    monkeypatch.setenv("HF_HUB_DISABLE_XET", "1")
    fake = FakeHub().start()
    try:
        yield fake
    finally:
        from huggingface_hub.utils import close_session

        close_session()  # the client's kept-alive connections hold the server's threads
        fake.stop()


@pytest.fixture
def app_with_hub(make_app, hub: FakeHub, toy_model_dir: Path, settings):
    from altlens.core.captioning.store import ModelStore

    hub.add_repo(REPO_ID, toy_model_dir)
    settings.set_value("model/name", "")  # the default model: not on this computer
    return make_app(
        wait_model=False,
        store_factory=lambda: ModelStore(
            endpoint=hub.url, download_retry_wait=0.02, download_timeout=5
        ),
    )


def rows(dialog) -> dict[str, str]:
    cat = dialog.catalog
    return {cat.index(r, 0).data(): cat.index(r, 1).data() for r in range(cat.rowCount())}


def test_download_use_verify_remove(qtbot, app_with_hub, record) -> None:
    app = app_with_hub
    qtbot.waitUntil(lambda: app.controller.model_error is not None, timeout=60_000)
    assert app.window.model_banner.isVisibleTo(
        app.window
    ) and app.window.manager_button.isVisibleTo(app.window)
    app.window.manager_button.click()
    dialog = app.model_manager
    qtbot.waitUntil(lambda: dialog.catalog.rowCount() > 0, timeout=30_000)
    listed = rows(dialog)
    assert listed["vit-gpt2"] == "Default, not downloaded"
    assert unnamed_controls(dialog) == []
    # Download another model by id: progress, then it is used at once (no model worked before).
    progress = record(app.model_worker.download_progress)
    ready = record(app.caption_worker.done)
    dialog.other.setText(REPO_ID)
    with qtbot.waitSignal(
        ready.fired, timeout=120_000, check_params_cb=lambda a: isinstance(a[0], LoadModel)
    ):
        dialog.other_button.click()
    assert progress.values and progress.values[-1].bytes_done == progress.values[-1].bytes_total
    assert app.settings.value("model/name") == REPO_ID
    qtbot.waitUntil(lambda: "on this computer" in rows(dialog).get(REPO_ID, ""), timeout=30_000)
    assert rows(dialog)[REPO_ID] == "In use, on this computer"
    assert not app.window.model_banner.isVisibleTo(app.window)
    assert any(m.startswith(f"Downloaded {REPO_ID}") for m in dialog.announcer.history)
    # Verify.
    dialog.table.selectRow(dialog.catalog.row_of(REPO_ID))
    done = record(app.model_worker.done)
    with qtbot.waitSignal(
        done.fired, timeout=60_000, check_params_cb=lambda a: isinstance(a[0], Verify)
    ):
        dialog.verify_button.click()
    assert done.calls[-1][1].ok
    qtbot.waitUntil(lambda: "match their recorded hashes" in dialog.status.text())
    # Remove, after confirming.
    answer_next_dialog(lambda box: box.button(box.StandardButton.Yes).click())
    with qtbot.waitSignal(
        done.fired, timeout=30_000, check_params_cb=lambda a: isinstance(a[0], Remove)
    ):
        dialog.remove_button.click()
    qtbot.waitUntil(lambda: REPO_ID not in rows(dialog), timeout=30_000)


def test_import_a_folder_and_a_failing_download(
    qtbot, app_with_hub, toy_model_dir: Path, tmp_path: Path, record
) -> None:
    app = app_with_hub
    dialog = app.show_model_manager()
    failed = record(app.model_worker.failed)
    dialog.other.setText("altlens-test/does-not-exist")
    with qtbot.waitSignal(failed.fired, timeout=60_000):
        dialog.other_button.click()
    request, error = failed.calls[0]
    assert request == Download("altlens-test/does-not-exist") and error.message
    qtbot.waitUntil(lambda: dialog.status.text() == error.message)
    assert dialog.other_button.isEnabled()  # ready for the next try
    done = record(app.model_worker.done)
    with qtbot.waitSignal(done.fired, timeout=60_000):
        app.model_worker.import_folder(toy_model_dir, "my-toy")
    assert done.calls[0][0] == ImportFolder(toy_model_dir, "my-toy")
    assert done.calls[0][1].name == "my-toy"
    qtbot.waitUntil(lambda: "imported" in rows(dialog).get("my-toy", "").lower(), timeout=30_000)
    # An incomplete folder is explained, not imported.
    (tmp_path / "half").mkdir()
    (tmp_path / "half" / "config.json").write_text("{}")
    with qtbot.waitSignal(failed.fired, timeout=30_000):
        app.model_worker.import_folder(tmp_path / "half")
    assert isinstance(failed.calls[-1][0], ImportFolder) and failed.calls[-1][1].message


def test_catalog_model_passes_the_model_tester(qtmodeltester, toy_model_dir: Path) -> None:
    from altlens.core.captioning.store import ModelStore

    model = ModelCatalogModel()
    model.set_records(ModelStore().list())
    assert model.rowCount() >= 4
    qtmodeltester.check(model, force_py=True)
    assert model.headerData(0, Qt.Orientation.Horizontal) == "Model"


def test_a_model_folder_given_on_the_command_line_is_listed_as_in_use(
    qtbot, make_app, settings, toy_model_dir: Path
) -> None:
    from altlens.desktop.models.catalog import ExternalModel

    settings.override("model/name", str(toy_model_dir))  # altlens gui --model DIR
    app = make_app()
    dialog = app.show_model_manager()
    qtbot.addWidget(dialog)
    cat = dialog.catalog
    qtbot.waitUntil(lambda: cat.rowCount() > 1)  # the store's list has arrived
    in_use = [r for r in range(cat.rowCount()) if cat.in_use(cat.record(r))]
    assert len(in_use) == 1
    record = cat.record(in_use[0])
    assert isinstance(record, ExternalModel) and record.path == toy_model_dir
    assert cat.index(in_use[0], 1).data() == f"In use, from {toy_model_dir}"
    # Selected when the dialog opens, and nothing AltLens does not own can be done to it.
    assert dialog.table.currentIndex().row() == in_use[0]
    viewport = dialog.table.viewport().rect()
    assert viewport.intersects(dialog.table.visualRect(dialog.table.currentIndex()))
    for b in (dialog.use_button, dialog.verify_button, dialog.remove_button, dialog.download_button):
        assert not b.isEnabled(), b.text()
    assert "--model" in dialog.details.text()
    # Going back to the default model (from the store) removes the row.
    cat.set_in_use("")
    assert not any(isinstance(cat.record(r), ExternalModel) for r in range(cat.rowCount()))
    dialog.close()
