# SPDX-License-Identifier: GPL-3.0-or-later
"""The main window: menus and toolbar, the image list with its filter, the review panel, the
model and writer banners, the progress strip, the log and the live status line.

It lays out widgets and reports what the person did (drops, list navigation); the review
controller decides what happens. It never reads files or talks to a worker itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from altlens.core.library import WatchedFolder
from altlens.desktop.models.entries import FILTERS, ImageEntry
from altlens.desktop.models.images import ImageListModel, ReviewOrderModel, Role
from altlens.desktop.models.presentation import filter_text
from altlens.desktop.settings import Settings
from altlens.desktop.views.a11y import Announcer, name
from altlens.desktop.views.actions import Actions
from altlens.desktop.views.banner import Banner
from altlens.desktop.views.dialogs import MessagesDialog
from altlens.desktop.views.flow import FlowLayout
from altlens.desktop.views.image_list import ImageListView
from altlens.desktop.views.labels import ElidedLabel
from altlens.desktop.views.panels import FoldersPanel, LogPanel, ProgressStrip
from altlens.desktop.views.review_panel import ReviewPanel
from PySide6.QtCore import QByteArray, QModelIndex, QSize, Qt, Signal
from PySide6.QtGui import QCloseEvent, QDragEnterEvent, QDragMoveEvent, QDropEvent, QImage
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDockWidget,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QStyle,
    QToolBar,
    QToolButton,
    QVBoxLayout,
    QWidget,
)


class MainWindow(QMainWindow):
    paths_dropped = Signal(object)  # tuple[Path, ...]: files and folders from outside
    open_requested = Signal(object, bool)  # Path, move focus to the caption field
    close_requested = Signal()

    def __init__(
        self,
        settings: Settings,
        images: ImageListModel,
        order: ReviewOrderModel,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("main_window")
        self.setWindowTitle("AltLens")
        self.setAccessibleName(self.tr("AltLens"))
        self.settings = settings
        self.images = images
        self.order = order
        self.commands = Actions(self)
        self.setAcceptDrops(True)
        self._allow_close = False

        # -- library pane ---------------------------------------------------------------------
        self.filter_label = QLabel(self.tr("Sho&w:"))
        self.filter = QComboBox()
        self.filter.setObjectName("status_filter")
        for key in FILTERS:
            self.filter.addItem(filter_text(key), key)
        name(
            self.filter,
            self.tr("Show images"),
            self.tr("Which images the list shows, by review status"),
        )
        self.filter_label.setBuddy(self.filter)
        self.sort_check = QCheckBox(self.tr("L&owest confidence first"))
        self.sort_check.setObjectName("sort_confidence")
        name(
            self.sort_check,
            self.tr("Sort by confidence, lowest first"),
            self.tr("Put the images the model is least sure about first"),
        )
        self.list = ImageListView()
        self.list.setModel(order)
        name(
            self.list,
            self.tr("Images"),
            self.tr("Press Enter to review the selected image; Delete removes it from the list"),
        )
        self.empty = QWidget()
        self.empty.setObjectName("empty_state")
        self.empty_text = QLabel()
        self.empty_text.setWordWrap(True)
        self.empty_text.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_text.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByKeyboard
            | Qt.TextInteractionFlag.TextSelectableByMouse
        )
        font = self.empty_text.font()
        font.setPointSizeF(font.pointSizeF() * 1.2)
        self.empty_text.setFont(font)
        self.empty_add = QPushButton(self.commands.add_images.icon(), self.tr("Add Images…"))
        name(self.empty_add, self.tr("Add images"), self.commands.add_images.statusTip())
        self.empty_add.clicked.connect(self.commands.add_images.trigger)
        self.empty_folder = QPushButton(self.commands.add_folder.icon(), self.tr("Add Folder…"))
        name(self.empty_folder, self.tr("Add folder"), self.commands.add_folder.statusTip())
        self.empty_folder.clicked.connect(self.commands.add_folder.trigger)
        ev = QVBoxLayout(self.empty)
        ev.addStretch(1)
        ev.addWidget(self.empty_text)
        eb = QHBoxLayout()
        eb.addStretch(1)
        eb.addWidget(self.empty_add)
        eb.addWidget(self.empty_folder)
        eb.addStretch(1)
        ev.addLayout(eb)
        ev.addStretch(2)
        self.list_stack = QStackedWidget()
        self.list_stack.addWidget(self.empty)
        self.list_stack.addWidget(self.list)

        left = QWidget()
        left.setObjectName("library_pane")
        lv = QVBoxLayout(left)
        lv.setContentsMargins(0, 0, 0, 0)
        # The filter and the sort switch wrap onto two rows when the pane is narrow, so the
        # combo's text (which carries the counts) is never cut.
        self.filter.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        top = FlowLayout()
        top.addWidget(self.filter_label)
        top.addWidget(self.filter)
        top.addWidget(self.sort_check)
        lv.addLayout(top)
        lv.addWidget(self.list_stack, 1)

        # -- review pane ----------------------------------------------------------------------
        self.review = ReviewPanel(self.commands)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setObjectName("main_splitter")
        self.splitter.addWidget(left)
        self.splitter.addWidget(self.review)
        self.splitter.setStretchFactor(0, 2)
        self.splitter.setStretchFactor(1, 3)
        self.splitter.setChildrenCollapsible(False)

        # -- banners --------------------------------------------------------------------------
        self.model_banner = Banner("model_banner")
        self.manager_button = self.model_banner.add_button(
            self.tr("Open &Model Manager…"), self.tr("See, download or import captioning models")
        )
        self.import_button = self.model_banner.add_button(
            self.tr("&Import Model Folder…"),
            self.tr("Use a model folder copied from another computer"),
        )
        self.retry_model_button = self.model_banner.add_button(
            self.tr("&Try Again"), self.tr("Load the model again")
        )
        self.manager_button.clicked.connect(self.commands.model_manager.trigger)
        self.import_button.clicked.connect(self.commands.import_model.trigger)
        self.writer_banner = Banner("writer_banner")

        central = QWidget()
        cv = QVBoxLayout(central)
        cv.addWidget(self.model_banner)
        cv.addWidget(self.writer_banner)
        cv.addWidget(self.splitter, 1)
        self.setCentralWidget(central)

        # -- status bar: progress and the live message line -------------------------------------
        # One line, shortened with "…"; the whole message is spoken, in the tooltip and in
        # View > Messages, so a long one never pushes the review panel into scrolling.
        self.status_label = ElidedLabel()
        self.status_label.setObjectName("live_status")
        name(self.status_label, self.tr("Status"), "")
        self.status_label.setAccessibleDescription(
            self.tr("The latest message from AltLens; all of them are in View, Messages")
        )
        self.announcer = Announcer(self.status_label, self)
        self.progress = ProgressStrip(self.commands)
        self.statusBar().addWidget(self.status_label, 1)
        self.statusBar().addPermanentWidget(self.progress)
        self.statusBar().setSizeGripEnabled(True)

        # -- docks ----------------------------------------------------------------------------
        self.log_panel = LogPanel()
        self.log_dock = QDockWidget(self.tr("Log"), self)
        self.log_dock.setObjectName("log_dock")
        self.log_dock.setWidget(self.log_panel)
        self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.log_dock)
        self.log_dock.hide()
        self.folders_panel = FoldersPanel()
        self.folders_dock = QDockWidget(self.tr("Watched Folders"), self)
        self.folders_dock.setObjectName("folders_dock")
        self.folders_dock.setWidget(self.folders_panel)
        self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, self.folders_dock)
        self.folders_dock.hide()

        self._build_menus()
        self._build_toolbar()
        self._wire()
        self._restore()
        self.update_empty_state()

    # -- construction --------------------------------------------------------------------------

    def _build_menus(self) -> None:
        a = self.commands
        bar = self.menuBar()
        file = bar.addMenu(self.tr("&File"))
        file.setObjectName("menu_file")
        for act in (
            a.add_images,
            a.add_folder,
            a.watch_folder,
            None,
            a.model_manager,
            a.import_model,
            None,
            a.settings,
            None,
            a.quit,
        ):
            file.addSeparator() if act is None else file.addAction(act)
        review = bar.addMenu(self.tr("&Review"))
        review.setObjectName("menu_review")
        for act in (
            a.approve,
            a.preview_write,
            a.approve_selected,
            None,
            a.skip,
            a.reject,
            None,
            a.regenerate,
            a.regenerate_sampling,
            a.retry,
            None,
            a.describe,
            a.read_text,
            a.insert_detail,
            a.cancel_detail,
            None,
            a.undo_write,
            None,
            *a.picks,
            None,
            a.remove,
        ):
            review.addSeparator() if act is None else review.addAction(act)
        go = bar.addMenu(self.tr("&Go"))
        go.setObjectName("menu_go")
        for act in (
            a.next_review,
            a.previous_review,
            None,
            a.next,
            a.previous,
            None,
            a.next_pane,
            a.previous_pane,
        ):
            go.addSeparator() if act is None else go.addAction(act)
        cap = bar.addMenu(self.tr("&Captioning"))
        cap.setObjectName("menu_captioning")
        for act in (a.pause, a.cancel, a.retry_failed):
            cap.addAction(act)
        view = bar.addMenu(self.tr("&View"))
        view.setObjectName("menu_view")
        for act in a.filters.values():
            view.addAction(act)
        view.addSeparator()
        view.addAction(a.sort_confidence)
        view.addAction(a.grid_view)
        view.addSeparator()
        view.addAction(a.show_log)
        view.addAction(a.show_messages)
        folders = self.folders_dock.toggleViewAction()
        folders.setText(self.tr("Show &Watched Folders"))
        view.addAction(folders)
        help_menu = bar.addMenu(self.tr("&Help"))
        help_menu.setObjectName("menu_help")
        help_menu.addAction(a.shortcuts)
        help_menu.addAction(a.about)
        ext = bar.findChild(QToolButton, "qt_menubar_ext_button")
        if ext is not None:  # "»" for menus that do not fit a narrow window
            name(ext, self.tr("More menus"), self.tr("Show the menus that do not fit"))

    def _build_toolbar(self) -> None:
        a = self.commands
        tb = QToolBar(self.tr("Main toolbar"))
        tb.setObjectName("main_toolbar")
        tb.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextUnderIcon)
        tb.setIconSize(QSize(24, 24))
        for act in (
            a.add_images,
            a.add_folder,
            None,
            a.approve,
            a.skip,
            a.reject,
            a.regenerate,
            a.undo_write,
            None,
            a.next_review,
            None,
            a.settings,
        ):
            tb.addSeparator() if act is None else tb.addAction(act)
        self.addToolBar(tb)
        self.toolbar = tb
        # Qt's "»" button for the commands that do not fit a narrow window has no name of its
        # own; screen readers would announce an unnamed toggle button.
        ext = tb.findChild(QToolButton, "qt_toolbar_ext_button")
        if ext is not None:
            name(
                ext,
                self.tr("More toolbar commands"),
                self.tr("Show the toolbar commands that do not fit in the window"),
            )

    def _wire(self) -> None:
        a = self.commands
        self.filter.currentIndexChanged.connect(
            lambda _i: self.set_filter(self.filter.currentData())
        )
        for key, act in a.filters.items():
            act.triggered.connect(lambda _c=False, k=key: self.set_filter(k))
        self.sort_check.toggled.connect(self._set_sort)
        a.sort_confidence.toggled.connect(self._set_sort)
        a.grid_view.toggled.connect(self._set_grid)
        a.show_log.toggled.connect(self.log_dock.setVisible)
        a.show_messages.triggered.connect(self.show_messages)
        self.log_dock.visibilityChanged.connect(a.show_log.setChecked)
        a.next_pane.triggered.connect(lambda: self.cycle_focus(1))
        a.previous_pane.triggered.connect(lambda: self.cycle_focus(-1))
        a.quit.triggered.connect(self.close)
        self.list.opened.connect(lambda idx: self._open_index(idx, True))
        self.list.selectionModel().currentChanged.connect(
            lambda idx, _prev: self._open_index(idx, False)
        )
        self.order.rowsInserted.connect(self.update_empty_state)
        self.order.rowsRemoved.connect(self.update_empty_state)
        self.order.modelReset.connect(self.update_empty_state)
        self.order.layoutChanged.connect(self.update_empty_state)
        self.images.counts_changed.connect(self.update_counts)
        # Delete removes from the list only when the list has the focus.
        self.list.addAction(a.remove)
        a.remove.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)

    def _restore(self) -> None:
        geometry = self.settings.value("window/geometry")
        if geometry:
            self.restoreGeometry(QByteArray(geometry))
        else:
            self.resize(1200, 800)
            # The review panel gets the larger share: it holds the work.
            self.splitter.setSizes([450, 750])
        state = self.settings.value("window/state")
        if state:
            self.restoreState(QByteArray(state))
        filt = self.settings.value("review/filter")
        self.set_filter(filt)
        by_conf = self.settings.value("review/sort_by_confidence")
        self.sort_check.setChecked(by_conf)
        self._set_sort(by_conf)
        grid = self.settings.value("view/mode") == "grid"
        self.commands.grid_view.setChecked(grid)
        self._set_grid(grid)

    # -- list state ----------------------------------------------------------------------------

    def set_filter(self, key: str) -> None:
        if key not in FILTERS:
            return
        self.order.set_filter(key)
        i = self.filter.findData(key)
        if self.filter.currentIndex() != i:
            self.filter.setCurrentIndex(i)
        self.commands.filters[key].setChecked(True)
        if self.settings.value("review/filter") != key:
            self.settings.set_value("review/filter", key)
        self.update_empty_state()

    def _set_sort(self, on: bool) -> None:
        self.order.set_sort_by_confidence(on)
        for w in (self.sort_check, self.commands.sort_confidence):
            if w.isChecked() != on:
                w.setChecked(on)
        if self.settings.value("review/sort_by_confidence") != on:
            self.settings.set_value("review/sort_by_confidence", on)

    def _set_grid(self, on: bool) -> None:
        self.list.set_grid(on)
        self.settings.set_value("view/mode", "grid" if on else "list")

    def update_counts(self) -> None:
        counts = self.images.counts()
        for i in range(self.filter.count()):
            key = self.filter.itemData(i)
            label = (
                self.tr("%1 (%2)").replace("%1", filter_text(key)).replace("%2", str(counts[key]))
            )
            self.filter.setItemText(i, label)
            self.commands.filters[key].setText(label)
        review = counts["review"]
        # The title ends with the app's name, the desktop convention ("what — app"); Qt
        # appends the application display name only to titles that do not end with it, so it
        # is never there twice. The accessible name puts the app first, as screen readers
        # announce windows.
        self.setWindowTitle(
            self.tr("%n need(s) review — AltLens", "", review) if review else "AltLens"
        )
        self.setAccessibleName(
            self.tr("AltLens — %n need(s) review", "", review) if review else "AltLens"
        )
        self.update_empty_state()

    def update_empty_state(self, *_args: object) -> None:
        if self.images.rowCount() == 0:
            self.empty_text.setText(
                self.tr(
                    "No images yet.\nDrop photos or folders here, or add them with Ctrl+O (images) "
                    "or Ctrl+Shift+O (a folder)."
                )
            )
            self.list_stack.setCurrentWidget(self.empty)
        elif self.order.rowCount() == 0:
            self.empty_text.setText(
                self.tr(
                    "No images here: %1. Choose another filter with Ctrl+1 (all images)."
                ).replace("%1", filter_text(self.order.filter_name))
            )
            self.list_stack.setCurrentWidget(self.empty)
        else:
            self.list_stack.setCurrentWidget(self.list)

    # -- what the person is shown (the controller asks for these; it never reaches a widget) --

    def show_entry(self, entry: ImageEntry | None) -> None:
        """Show `entry` in the review panel (None: nothing open)."""
        self.review.show_entry(entry)

    def show_text_state(self, entry: ImageEntry) -> None:
        """The person is typing or picking: update the status line and the chosen suggestion,
        and leave the text field alone."""
        self.review.refresh_badge(entry)
        self.review.mark_chosen(entry.chosen)

    def show_preview(self, path: Path, image: QImage | None, error: str = "") -> None:
        self.review.set_preview(path, image, error)

    def focus_alt_text(self) -> None:
        self.review.focus_text()

    def show_model_loading(self, name: str) -> None:
        self.model_banner.show_message(
            self.tr("Loading the captioning model…"),
            self.tr(
                "%1 is loading. You can add images meanwhile; they are captioned when it is ready."
            ).replace("%1", name),
            icon=QStyle.StandardPixmap.SP_BrowserReload,
            busy=True,
        )
        for b in (self.manager_button, self.import_button, self.retry_model_button):
            b.hide()

    def show_model_ready(self) -> None:
        self.model_banner.hide()

    def show_model_problem(self, title: str, text: str) -> None:
        """No model: say why and offer the model manager (where it exists), import, retry."""
        self.model_banner.show_message(title, text, icon=QStyle.StandardPixmap.SP_MessageBoxWarning)
        self.manager_button.setVisible(self.commands.model_manager.isEnabled())
        self.import_button.show()
        self.retry_model_button.show()

    def show_writer_problem(self, title: str, text: str) -> None:
        self.writer_banner.show_message(
            title, text, icon=QStyle.StandardPixmap.SP_MessageBoxWarning
        )

    def show_progress(self, done: int, total: int, failed: int, paused: bool) -> None:
        self.progress.set_progress(done, total, failed, paused)

    def show_captioning_idle(self, paused: bool) -> None:
        # Paused with work left: the strip keeps saying how far it got.
        if not paused:
            self.progress.set_idle()

    def show_paused(self, paused: bool) -> None:
        self.progress.set_paused(paused)
        self.commands.pause.setText(
            self.tr("Resume Captioning") if paused else self.tr("&Pause Captioning")
        )

    def show_folders(self, folders: Sequence[WatchedFolder]) -> None:
        self.folders_panel.set_folders(folders)
        if folders and not self.folders_dock.isVisible():
            self.folders_dock.show()

    def show_messages(self) -> MessagesDialog:
        """Every message of this session in full, newest last (View > Messages)."""
        dialog = MessagesDialog(self.announcer, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.show()
        return dialog

    # -- selection -----------------------------------------------------------------------------

    def _open_index(self, idx: QModelIndex, focus: bool) -> None:
        # Only the person moving in the list opens an image; a row that left the filter (the
        # open image was just decided) must not silently open its neighbour.
        if idx.isValid() and not self.images.changing:
            self.open_requested.emit(Path(idx.data(Role.PATH)), focus)

    def select(self, path: Path | None) -> None:
        """Make `path` the list's current row without asking to open it again."""
        if path is None:
            return
        src = self.images.index_of(path)
        idx = self.order.mapFromSource(src)
        if not idx.isValid():
            return
        sm = self.list.selectionModel()
        sm.blockSignals(True)
        try:
            sm.setCurrentIndex(idx, sm.SelectionFlag.ClearAndSelect)
        finally:
            sm.blockSignals(False)
        self.list.viewport().update()
        self.list.scrollTo(idx)

    def selected_paths(self) -> list[Path]:
        rows = sorted(self.list.selectionModel().selectedIndexes(), key=lambda i: i.row())
        return [Path(i.data(Role.PATH)) for i in rows]

    def cycle_focus(self, step: int) -> None:
        """F6: move between the parts of the window (list, review panel, docks)."""
        panes: list[QWidget] = [
            self.list if self.list_stack.currentWidget() is self.list else self.empty_add
        ]
        panes.append(
            self.review.text_edit if self.review.text_edit.isEnabled() else self.review.candidates
        )
        if self.folders_dock.isVisible():
            panes.append(self.folders_panel.view)
        if self.log_dock.isVisible():
            panes.append(self.log_panel.view)
        panes.append(self.progress.pause)
        focus = self.focusWidget()
        current = next(
            (
                i
                for i, p in enumerate(panes)
                if focus is not None and (p is focus or p.isAncestorOf(focus))
            ),
            -1,
        )
        if current < 0 and focus is not None and self.review.isAncestorOf(focus):
            current = 1
        target = panes[(current + step) % len(panes)]
        target.setFocus(Qt.FocusReason.TabFocusReason)

    # -- drag and drop -------------------------------------------------------------------------

    def _local_paths(self, event: QDropEvent | QDragEnterEvent | QDragMoveEvent) -> list[Path]:
        if event.source() is not None:  # our own thumbnails dragged onto the window
            return []
        mime = event.mimeData()
        if not mime.hasUrls():
            return []
        return [Path(u.toLocalFile()) for u in mime.urls() if u.isLocalFile()]

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if self._local_paths(event):
            event.setDropAction(Qt.DropAction.CopyAction)
            event.accept()
        else:
            event.ignore()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        if self._local_paths(event):
            event.setDropAction(Qt.DropAction.CopyAction)
            event.accept()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:
        paths = self._local_paths(event)
        if not paths:
            event.ignore()
            return
        event.setDropAction(Qt.DropAction.CopyAction)
        event.accept()
        self.paths_dropped.emit(tuple(paths))

    # -- closing -------------------------------------------------------------------------------

    def closeEvent(self, event: QCloseEvent) -> None:
        self.settings.set_value("window/geometry", bytes(self.saveGeometry().data()))
        self.settings.set_value("window/state", bytes(self.saveState().data()))
        if self._allow_close:
            event.accept()
            return
        # The app shuts the workers down in order first, then closes the window for real.
        event.ignore()
        self.close_requested.emit()

    def close_for_real(self) -> None:
        self._allow_close = True
        self.close()
