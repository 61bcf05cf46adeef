#!/bin/sh
# Runs a test program on a private Xvfb display with a system-tray host (trayer), so that the
# window, the tray icon and screenshots are real X11 ones. Used by ctest for the *_x11 tests.
set -eu
exec xvfb-run -a -s "-screen 0 1280x800x24" sh -c '
  trayer --edge top --align right --widthtype request --height 24 >/dev/null 2>&1 &
  tray=$!
  QT_QPA_PLATFORM=xcb "$@"
  rc=$?
  kill "$tray" 2>/dev/null || true
  exit $rc' ferry-x11 "$@"
