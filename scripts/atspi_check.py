# SPDX-License-Identifier: GPL-3.0-or-later
"""What a Linux screen reader (Orca) sees of AltLens, read through AT-SPI.

    scripts/atspi_check.sh [MODEL_FOLDER]

The shell wrapper starts a private D-Bus session, Xvfb, the AT-SPI bus and the app (with
QT_LINUX_ACCESSIBILITY_ALWAYS_ON=1) on a few toy scenes, then runs this file with the
system python3 (which has pyatspi). It prints the accessibility tree of the window (role,
name, description, shortcut), lists interactive objects without a name, and records the
announcements and name changes the app sends while it captions. Exit status 1 when an
interactive object has no name or no announcement arrived.
"""

from __future__ import annotations

import sys
import time

import pyatspi  # system package python3-pyatspi
from gi.repository import GLib

INTERACTIVE = {
    "push button",
    "toggle button",
    "check box",
    "radio button",
    "text",
    "entry",
    "combo box",
    "list",
    "list box",
    "table",
    "tree table",
    "spin button",
    "slider",
    "page tab",
    "menu item",
    "check menu item",
    "radio menu item",
    "password text",
    "tool bar",
}
APP_NAMES = ("altlens", "AltLens", "python3", "python")


def find_app(timeout: float = 240.0) -> pyatspi.Accessible | None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        desktop = pyatspi.Registry.getDesktop(0)
        for app in desktop:
            if app is None:
                continue
            try:
                if (
                    app.name in APP_NAMES
                    and app.childCount > 0
                    and any(c is not None and c.name.startswith("AltLens") for c in app)
                ):
                    return app
            except Exception:  # an application that went away while we looked
                continue
        time.sleep(1)
    return None


def walk(
    node: pyatspi.Accessible, depth: int, out: list[tuple[int, str, str, str, str, bool]]
) -> None:
    try:
        role = node.getRoleName()
        name = node.name or ""
        desc = node.description or ""
        states = node.getState()
        showing = states.contains(pyatspi.STATE_SHOWING)
        keys = ""
        try:
            action = node.queryAction()
            keys = ", ".join(
                action.getKeyBinding(i) for i in range(action.nActions) if action.getKeyBinding(i)
            )
        except NotImplementedError:
            pass
    except Exception as exc:
        out.append((depth, "?", f"<error {exc}>", "", "", False))
        return
    out.append((depth, role, name, desc, keys, showing))
    if role in ("list", "table", "tree table") and node.childCount > 12:
        children = list(node)[:12]  # the rows of a long list say little more
    else:
        children = list(node)
    for child in children:
        if child is not None:
            walk(child, depth + 1, out)


def main() -> int:
    events: list[str] = []

    def on_event(event: pyatspi.event.Event) -> None:
        try:
            source = event.source.name if event.source is not None else ""
        except Exception:
            source = "?"
        if event.type.startswith("object:announcement"):
            events.append(f"announcement: {event.any_data!r}")
        elif "accessible-name" in event.type and source and source == event.any_data:
            events.append(f"name-change: {event.any_data!r}")

    pyatspi.Registry.registerEventListener(
        on_event, "object:announcement", "object:property-change:accessible-name"
    )
    app = find_app()
    if app is None:
        print("AltLens did not appear on the accessibility bus", file=sys.stderr)
        return 2
    # Let the app caption and announce for a while, with the event loop running.
    loop = GLib.MainLoop()
    GLib.timeout_add_seconds(int(sys.argv[1]) if len(sys.argv) > 1 else 40, loop.quit)
    loop.run()

    tree: list[tuple[int, str, str, str, str, bool]] = []
    for window in app:
        if window is not None:
            walk(window, 0, tree)
    unnamed = []
    for depth, role, name, desc, keys, showing in tree:
        extra = f"  [{desc}]" if desc else ""
        extra += f"  keys: {keys}" if keys else ""
        flag = "" if showing else "  (hidden)"
        print(f"{'  ' * depth}{role}: {name!r}{extra}{flag}")
        if role in INTERACTIVE and not name.strip() and showing:
            unnamed.append(f"{role} at depth {depth}")
    print("\n--- events while captioning ---")
    for e in events:
        print(e)
    print(f"\n{len(tree)} accessible objects; {len(unnamed)} interactive without a name: {unnamed}")
    announcements = [e for e in events if e.startswith("announcement")]
    changes = len(events) - len(announcements)
    print(f"{len(announcements)} announcements, {changes} live-label name changes")
    return 1 if unnamed or not events else 0


if __name__ == "__main__":
    sys.exit(main())
