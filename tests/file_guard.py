"""Fail a test that reads a file a fresh machine may not have (outside the repo and the installed packages).

A fresh clone in a new venv has the repository, the Python installation, the installed packages
and the usual system files (certificates, time zones, ``/proc``); it has no CJK font in the
system's font folder and no data sets lying around. A test that opens anything else passes on
the machine it was written on and fails on the next one. This guard catches that where it happens:

- an audit hook (:func:`sys.addaudithook`) sees every ``open`` (``open()``, ``os.open``,
  ``io.FileIO``: what Python code and C extensions calling back into Python do); files that C
  libraries open themselves are not audit events, so the known one that matters (Pillow's
  ``ImageFont.truetype`` / ``FreeTypeFont``, which hands the path to FreeType) is audited by a
  shim;
- paths under the allowed roots (:func:`allowed_roots`) pass; anything else is recorded with the
  test that was running, and the pytest hooks of ``tests/file_guard_plugin.py`` (imported by
  ``tests/conftest.py``; or ``pytest -p file_guard_plugin``) fail that test, or the session for
  files opened outside a test, naming the path;
- child Python processes of the tests get the same hook through ``sitecustomize`` (see
  :data:`SITE_DIR`): they append what they opened to the file named by :data:`LOG_ENV`.

Extra roots (a data set that a test reads when present and skips without) go into the
``OCR_KIE_ALLOWED_PATHS`` environment variable (``os.pathsep``-separated).
"""

from __future__ import annotations

import os
import site
import sys
import tempfile
import threading
from collections.abc import Iterable
from pathlib import Path

#: The repository root.
REPO = Path(__file__).resolve().parent.parent
#: The folder holding the ``sitecustomize.py`` that installs this guard in child processes.
SITE_DIR = Path(__file__).resolve().parent / "file_guard_site"
#: The environment variable naming the file where child processes append what they opened.
LOG_ENV = "OCR_KIE_FILE_GUARD_LOG"
#: Extra allowed roots, ``os.pathsep``-separated.
EXTRA_ENV = "OCR_KIE_ALLOWED_PATHS"

#: System files every machine has and that the standard library or installed packages read.
SYSTEM_FILES = (
    "/proc",
    "/sys",
    "/dev",
    "/etc/ssl",
    "/etc/pki",
    "/etc/ca-certificates",
    "/usr/share/ca-certificates",
    "/etc/localtime",
    "/etc/timezone",
    "/usr/share/zoneinfo",
    "/usr/lib/locale",
    "/usr/share/locale",
    "/etc/locale.alias",
    "/usr/share/locale/locale.alias",
    "/etc/hosts",
    "/etc/resolv.conf",
    "/etc/nsswitch.conf",
    "/etc/host.conf",
    "/etc/gai.conf",
    "/etc/os-release",
    "/usr/lib/os-release",
    "/etc/mime.types",  # mimetypes.knownfiles
    "/etc/passwd",
    "/etc/group",
    "/etc/ld.so.cache",
    "/etc/ld.so.conf",
    "/etc/ld.so.conf.d",
    "/run/systemd/resolve",
    # Jupyter's standard search path for kernels and config (looked up, used when present).
    "/usr/local/share/jupyter",
    "/usr/share/jupyter",
    "/usr/local/etc/jupyter",
    "/etc/jupyter",
    "/etc/ipython",
)


def _cache_dirs() -> list[str]:
    """Caches the project and its dependencies write (created on demand, so a fresh machine has them)."""
    home = Path.home()
    dirs = [
        os.environ.get("OCR_KIE_CACHE_DIR", ""),
        os.environ.get("MPLCONFIGDIR", ""),
        os.environ.get("XDG_CACHE_HOME", ""),
        str(home / ".cache" / "ocr-kie"),  # the project's own (platformdirs.user_cache_dir)
        str(home / ".cache" / "matplotlib"),
        str(home / ".config" / "matplotlib"),
        str(home / ".cache" / "paddle"),
        os.environ.get("PADDLE_PDX_CACHE_HOME", "") or str(home / ".paddlex"),  # PaddleX's own cache
        str(home / ".ipython"),  # the notebooks' kernels (created on first use)
        str(home / ".jupyter"),
        str(home / ".local" / "share" / "jupyter"),
        os.environ.get("JUPYTER_RUNTIME_DIR", ""),
        os.environ.get("IPYTHONDIR", ""),
        # Ray probes for a cluster launcher's config in the home folder (absent on a plain machine: fine).
        str(home / "ray_bootstrap_config.yaml"),
    ]
    return [d for d in dirs if d]


def allowed_roots() -> list[str]:
    """The folders (and files) a test may read: repo, Python, packages, temp, caches, system files."""
    roots: list[str] = [str(REPO)]
    roots += [sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix]
    roots += [*site.getsitepackages(), site.getusersitepackages()]
    roots += [p for p in sys.path if p and os.path.isabs(p) and p != "/"]
    roots += [tempfile.gettempdir(), "/tmp", "/var/tmp"]
    roots += _cache_dirs()
    roots += list(SYSTEM_FILES)
    roots += [p for p in os.environ.get(EXTRA_ENV, "").split(os.pathsep) if p]
    out: set[str] = set()
    for root in roots:
        out.add(os.path.normpath(root))
        out.add(os.path.realpath(root))
    return sorted(out)


class Guard:
    """Records opens of paths outside :func:`allowed_roots`.

    Attributes:
        outside: ``(test, path)`` for each file opened outside the roots, in order.
        current: The test running now (set by ``tests/conftest.py``), or ``""``.
    """

    def __init__(self, roots: Iterable[str], log: str | None = None) -> None:
        self.roots = tuple(sorted(set(roots)))
        self.log = log
        self.outside: list[tuple[str, str]] = []
        self.current = os.environ.get("PYTEST_CURRENT_TEST", "").rsplit(" ", 1)[0]
        self._seen: set[tuple[str, str]] = set()
        self._local = threading.local()

    def allowed(self, path: str) -> bool:
        if not os.path.isabs(path):
            path = os.path.join(os.getcwd(), path)
        normal = os.path.normpath(path)
        if self._under_a_root(normal):
            return True
        real = os.path.realpath(path)  # a symlink into an allowed root (e.g. model files in site-packages)
        return real != normal and self._under_a_root(real)

    def _under_a_root(self, path: str) -> bool:
        return any(path == root or path.startswith(root.rstrip("/") + "/") for root in self.roots)

    def check(self, path: object) -> None:
        if isinstance(path, int) or path is None:  # a file descriptor: already open
            return
        if getattr(self._local, "busy", False):
            return
        self._local.busy = True  # our own os.path calls and log writes must not recurse
        try:
            name = os.fsdecode(path) if isinstance(path, (str, bytes, os.PathLike)) else str(path)
            test = self.current or os.environ.get("PYTEST_CURRENT_TEST", "").rsplit(" ", 1)[0] or "<no test>"
            if (test, name) in self._seen or self.allowed(name):
                return
            self._seen.add((test, name))
            self.outside.append((test, name))
            if self.log:
                with open(self.log, "a", encoding="utf-8", errors="backslashreplace") as f:
                    f.write(f"{test}\t{name}\t{' '.join(sys.argv)[:200]}\n")
        finally:
            self._local.busy = False

    def hook(self, event: str, args: tuple) -> None:
        if event == "open" and args:
            self.check(args[0])


def _audit_freetype_fonts() -> None:
    """Pillow passes a font path to FreeType (C), which opens it unaudited: audit it here."""
    try:
        from PIL import ImageFont
    except ImportError:
        return
    original = ImageFont.FreeTypeFont.__init__
    if getattr(original, "_file_guard", False):
        return

    def __init__(self, font, *args, **kwargs):
        if isinstance(font, (str, bytes, os.PathLike)):
            sys.audit("open", os.fspath(font), "rb", 0)
        original(self, font, *args, **kwargs)

    __init__._file_guard = True  # type: ignore[attr-defined]
    ImageFont.FreeTypeFont.__init__ = __init__  # type: ignore[method-assign]


def install(log: str | None = None) -> Guard:
    """Install the guard in this process (once) and return it."""
    existing = getattr(sys, "_ocr_kie_file_guard", None)
    if existing is not None:
        return existing
    guard = Guard(allowed_roots(), log=log)
    sys.addaudithook(guard.hook)
    sys._ocr_kie_file_guard = guard  # type: ignore[attr-defined]
    _audit_freetype_fonts()
    return guard


def read_log(path: str) -> list[tuple[str, str, str]]:
    """What child processes recorded: ``(test, path, command)`` lines."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError:
        return []
    return [tuple(line.split("\t", 2)) for line in text.splitlines() if line.count("\t") >= 2]  # type: ignore[misc]
