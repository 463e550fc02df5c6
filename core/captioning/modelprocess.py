# SPDX-License-Identifier: GPL-3.0-or-later
"""A Captioner in a process of its own, for the window.

torch alone is about 270 MB resident before a model loads, and a long captioning session grows
the allocator's heap further; in the window's process that memory is never given back and a
crash in the runtime (a bad kernel, the out-of-memory killer) takes the window and the
person's unsaved edits with it. `ProcessCaptioner` keeps the same methods the window uses
(`load`, `iter_caption`, `describe`, `accepts_context`) and runs the real `Captioner` in a
child started with multiprocessing's "spawn" method, so the window's process never imports
torch. `close()` ends the child and hands all of its memory back to the system.

- Results stream back one by one as the child yields them; cancelling sets an event the child's
  CancelToken reads, so a batch stops within a decoding step, as in process.
- Errors keep their class and message: an `AltLensError` is rebuilt as the same class (the
  window's wording and codes do not change); anything else arrives as the builtin exception
  of that name or a RuntimeError naming it.
- If the child dies (killed, crashed) while it works, the call in progress raises
  `ModelProcessError` naming how it ended, and the next call starts a new child and loads the
  model again. A child found dead before it answered anything is replaced once at once (it may
  have been killed while idle).
- The child exits when the parent's end of the pipe closes, so it never outlives the window.
"""

from __future__ import annotations

import builtins
import contextlib
import importlib
import logging
import multiprocessing
import os
import threading
import traceback
from collections.abc import Callable, Iterable, Iterator, Sequence
from multiprocessing.connection import Connection, wait
from typing import TYPE_CHECKING, Any

from altlens.core.errors import AltLensError, CancelledError, ModelError
from altlens.core.jobs import CancelToken
from altlens.core.types import CaptionResult

if TYPE_CHECKING:
    from altlens.core.captioning.engine import LoadedModelInfo
    from altlens.core.captioning.settings import GenerationSettings

log = logging.getLogger(__name__)

POLL_SECONDS = 0.05  # how often a waiting call looks at its cancel token and the child
# close(): how long the child may take to leave before it is killed. It leaves at once unless
# the converted weights of a model loaded for the first time are still being written.
STOP_SECONDS = 15.0


class ModelProcessError(ModelError):
    """The process that runs the model ended while it worked (killed, crashed, out of memory)."""

    code = "model-process-ended"


def _exit_description(code: int | None) -> str:
    if code is None:
        return "it stopped answering"
    if code < 0:
        import signal

        try:
            return f"it was stopped by signal {signal.Signals(-code).name}"
        except ValueError:
            return f"it was stopped by signal {-code}"
    return f"it exited with status {code}"


# -- errors across the pipe ------------------------------------------------------------------


def _pack_error(exc: BaseException) -> tuple[str, str, str]:
    cls = type(exc)
    return cls.__module__, cls.__qualname__, str(exc)


def _unpack_error(module: str, qualname: str, text: str) -> BaseException:
    """The exception the child raised, as this process can rebuild it without importing the
    runtime (only AltLens's own modules and builtins are imported here)."""
    if module.startswith("altlens."):
        try:
            cls: Any = importlib.import_module(module)
            for part in qualname.split("."):
                cls = getattr(cls, part)
            if isinstance(cls, type) and issubclass(cls, AltLensError):
                exc = cls.__new__(cls)
                Exception.__init__(exc, text)
                exc.message, exc.path, exc.hint = text, None, None
                return exc
        except Exception:  # an error class this side cannot rebuild: say it in words below
            pass
    if module == "builtins":
        cls = getattr(builtins, qualname, None)
        if isinstance(cls, type) and issubclass(cls, Exception):
            try:
                return cls(text)
            except Exception:
                pass
    return RuntimeError(f"{qualname}: {text}")


# -- the child --------------------------------------------------------------------------------


class _LogToParent(logging.Handler):
    """The child's log records go to the window's log (its file and log panel)."""

    def __init__(self, send: Callable[[Any], None]) -> None:
        super().__init__()
        self._send = send

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = record.getMessage()
            if record.exc_info:
                text += "\n" + "".join(traceback.format_exception(*record.exc_info)).rstrip()
            self._send(("log", (record.name, record.levelno, text)))
        except Exception:  # the window is gone (or the record cannot be formatted): drop it
            pass


def _serve(
    conn: Connection, cancel_event: Any, options: dict[str, Any], threads: int | None, log_level: int
) -> None:
    """The child's main loop: one request at a time, answered on `conn`."""
    _exit_with_parent()
    lock = threading.Lock()

    def send(message: Any) -> None:  # decode and cache threads log too: one writer at a time
        with lock:
            conn.send(message)

    root = logging.getLogger()
    root.handlers[:] = [_LogToParent(send)]
    root.setLevel(log_level)
    from altlens.core.captioning.engine import Captioner

    if threads:
        import torch

        if torch.get_num_threads() > threads:
            torch.set_num_threads(threads)
    captioner = Captioner(**options)
    token = CancelToken(cancel_event)
    while True:
        try:
            request = conn.recv()
        except (EOFError, OSError):
            return  # the window is gone
        op, kwargs = request
        if op == "close":
            _finish_writes()
            os._exit(0)  # torch's teardown would take another 0.4 s, for nothing
        try:
            if op == "load":
                info = captioner.load()
                send(("return", (info, captioner.accepts_context)))
            elif op == "caption":
                for result in captioner.iter_caption(kwargs.pop("images"), cancel=token, **kwargs):
                    send(("item", result))
                send(("return", None))
            elif op == "describe":
                results = captioner.describe(
                    kwargs.pop("images"),
                    cancel=token,
                    progress=lambda done, total: send(("progress", (done, total))),
                    **kwargs,
                )
                send(("return", results))
            else:
                raise RuntimeError(f"unknown request {op!r}")
        except (BrokenPipeError, EOFError):
            return
        except BaseException as exc:  # every failure goes back to the caller, in words
            try:
                send(("error", _pack_error(exc)))
            except (BrokenPipeError, EOFError, OSError):
                return


def _finish_writes() -> None:
    """Let the converted-weights cache finish writing (a non-daemon thread, see
    weightcache.save_in_background), or the next start converts the model again."""
    for thread in threading.enumerate():
        if thread is not threading.current_thread() and not thread.daemon:
            thread.join()


def _exit_with_parent() -> None:
    """A window killed outright closes no pipe in time for a long load or answer: the child
    watches its parent and leaves at once when it is gone (whatever it was doing)."""
    parent = multiprocessing.parent_process()
    if parent is None:
        return

    def watch() -> None:
        wait([parent.sentinel])
        os._exit(0)

    threading.Thread(target=watch, name="altlens-parent-watch", daemon=True).start()


def _relay(record: tuple[str, int, str]) -> None:
    name, level, text = record
    logging.getLogger(name).log(level, "%s", text)


# -- the window's side ------------------------------------------------------------------------


class ProcessCaptioner:
    """`Captioner`'s interface for the window, with the model in a child process.

    `options` are Captioner's keyword arguments (model, device, dtype, settings, batch_size,
    lanes ...); `threads` caps torch's threads in the child (None: torch's default).
    One call at a time: the window's captioner and describer threads each own one.
    """

    def __init__(self, model: str | None = None, *, threads: int | None = None, **options: Any) -> None:
        self.options: dict[str, Any] = {"model": model, **options}
        self.threads = threads
        self.batch_size: int = int(options.get("batch_size", 4))
        self.info: LoadedModelInfo | None = None
        self._accepts_context = False
        self._ctx = multiprocessing.get_context("spawn")
        self._process: Any = None
        self._conn: Connection | None = None
        self._cancel_event: Any = None
        self._lock = threading.Lock()

    # -- lifetime ------------------------------------------------------------------------------

    @property
    def pid(self) -> int | None:
        """The child's process id while it runs."""
        return self._process.pid if self._process is not None and self._process.is_alive() else None

    def _start(self) -> None:
        if self._process is not None and self._process.is_alive():
            return
        self._drop()
        ours, theirs = self._ctx.Pipe()
        self._cancel_event = self._ctx.Event()
        process = self._ctx.Process(
            target=_serve,
            args=(theirs, self._cancel_event, self.options, self.threads,
                  logging.getLogger().getEffectiveLevel()),
            name="altlens-model",
            daemon=True,  # multiprocessing ends it when the window exits normally
        )
        process.start()
        theirs.close()  # only the child holds its end: EOF reaches each side when the other goes
        self._process, self._conn = process, ours
        log.info("model process %d started", process.pid)

    def _drop(self) -> None:
        if self._conn is not None:
            self._conn.close()
        self._conn = None
        self._process = None
        self.info = None

    def close(self) -> None:
        """End the child (it finishes nothing) and give back its memory. Safe to call twice."""
        with self._lock:
            process, conn = self._process, self._conn
            if process is None:
                return
            loaded = self.info is not None
            try:
                if conn is not None and process.is_alive() and loaded:
                    conn.send(("close", {}))
            except (BrokenPipeError, OSError):
                pass
            self._drop()
            # A child still importing torch or loading reads no request until it is done, and
            # holds nothing that a kill could damage (the weight cache is written atomically).
            process.join(STOP_SECONDS if loaded else 0)
            if process.is_alive():
                process.kill()
                process.join(STOP_SECONDS)
            log.info("model process %d ended", process.pid)

    def __del__(self) -> None:
        with contextlib.suppress(Exception):
            self.close()

    # -- calls ---------------------------------------------------------------------------------

    def _events(self, op: str, kwargs: dict[str, Any], cancel: CancelToken | None) -> Iterator[tuple[str, Any]]:
        """Send one request and yield what comes back ("item", "progress") up to its answer,
        ("return", value); an error in the child is raised here. Closed early, the request is
        cancelled and its remaining messages read, so the next request starts clean.

        A child that ends before it has answered anything is started again once and asked
        again: it may have ended while idle (the out-of-memory killer picks the biggest
        process), which this side only learns from the pipe. Ending a second time, or after
        answering part of the request, is the request's error."""
        for attempt in range(2):
            self._start()
            conn, process = self._conn, self._process
            assert conn is not None and process is not None
            self._cancel_event.clear()
            heard = answered = False
            try:
                conn.send((op, kwargs))
                while True:
                    if cancel is not None and cancel.cancelled:
                        self._cancel_event.set()  # the child's token reads the same event
                    if not conn.poll(POLL_SECONDS):
                        if not process.is_alive() and not conn.poll(0):
                            raise EOFError
                        continue
                    kind, value = conn.recv()
                    if kind == "log":
                        _relay(value)
                        continue  # may be from before this request: not an answer
                    heard = True
                    if kind == "error":
                        answered = True
                        raise _unpack_error(*value)
                    answered = kind == "return"
                    yield kind, value
                    if answered:
                        return
            except (EOFError, BrokenPipeError, ConnectionResetError) as exc:
                answered = True
                process.join(1.0)
                how = _exit_description(process.exitcode)
                log.warning("model process %d ended: %s", process.pid, how)
                self._drop()
                if not heard and attempt == 0:
                    continue
                raise ModelProcessError(
                    f"The process that runs the model ended while it worked ({how}). "
                    "It starts again for the next image."
                ) from exc
            finally:
                if not answered and self._conn is conn:
                    self._finish_abandoned(conn)

    def _finish_abandoned(self, conn: Connection) -> None:
        self._cancel_event.set()
        try:
            while True:
                kind, value = conn.recv()
                if kind == "log":
                    _relay(value)
                elif kind in ("return", "error"):
                    return
        except (EOFError, OSError):
            self._drop()

    def _call(self, op: str, kwargs: dict[str, Any], *, cancel: CancelToken | None = None,
              progress: Callable[[int, int], None] | None = None) -> Any:
        for kind, value in self._events(op, kwargs, cancel):
            if kind == "progress" and progress is not None:
                progress(*value)
            elif kind == "return":
                return value
        raise AssertionError("unreachable: _events ends with the answer or raises")

    def load(self) -> LoadedModelInfo:
        """Start the child and load the model there; raises the model's own errors."""
        with self._lock:
            if self.info is None:
                self.info, self._accepts_context = self._call("load", {})
            return self.info

    @property
    def loaded(self) -> bool:
        return self.info is not None

    @property
    def accepts_context(self) -> bool:
        self.load()
        return self._accepts_context

    def iter_caption(
        self,
        images: Iterable[Any],
        settings: GenerationSettings | None = None,
        *,
        cancel: CancelToken | None = None,
    ) -> Iterator[CaptionResult]:
        """Captioner.iter_caption in the child: results in input order as each is ready."""
        self.load()
        with self._lock:
            events = self._events("caption", {"images": list(images), "settings": settings}, cancel)
            try:
                for kind, value in events:
                    if kind == "item":
                        yield value
            finally:
                events.close()

    def caption(
        self, images: Sequence[Any], settings: GenerationSettings | None = None, *,
        cancel: CancelToken | None = None,
    ) -> list[CaptionResult]:
        return list(self.iter_caption(images, settings, cancel=cancel))

    def describe(
        self,
        images: Sequence[Any],
        task: str = "alt",
        *,
        contexts: Sequence[str | None] | None = None,
        settings: GenerationSettings | None = None,
        max_new_tokens: int | None = None,
        cancel: CancelToken | None = None,
        progress: Callable[[int, int], None] | None = None,
    ) -> list[CaptionResult]:
        """Captioner.describe in the child; `progress(done, total)` is called on this thread."""
        self.load()
        with self._lock:
            return self._call(
                "describe",
                {"images": list(images), "task": task,
                 "contexts": list(contexts) if contexts is not None else None,
                 "settings": settings, "max_new_tokens": max_new_tokens},
                cancel=cancel,
                progress=progress,
            )


__all__ = ["CancelledError", "ModelProcessError", "ProcessCaptioner"]
