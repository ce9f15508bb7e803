"""A fresh machine: the tests and scripts read nothing outside the repo and the installed packages.

``tests/file_guard.py`` (installed by ``tests/conftest.py``) fails any test that opens such a
file; these tests show that it does, in a separate pytest run on probe tests.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import file_guard

TESTS = Path(__file__).resolve().parent
SRC = TESTS.parent / "src"

PROBES = textwrap.dedent(
    """
    import os, subprocess, sys
    from PIL import ImageFont
    from ocr_kie.fonts import cjk_font_path

    def test_opens_etc_hostname():
        try:
            open("/etc/hostname").close()
        except OSError:
            pass  # missing or not: reaching for it is the fault

    def test_font_from_the_system_folder():
        try:
            ImageFont.truetype("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 20)
        except OSError:
            pass

    def test_child_process_reads_outside():
        subprocess.run([sys.executable, "-c", "open('/etc/fstab-probe-x', 'a')"], capture_output=True)

    def test_only_allowed_files(tmp_path):
        (tmp_path / "a.txt").write_text("x")
        assert (tmp_path / "a.txt").read_text() == "x"
        ImageFont.truetype(str(cjk_font_path()), 20)  # the font the project ships
        open("/proc/self/status").close()
        import json, decimal, zoneinfo  # the standard library
        subprocess.run([sys.executable, "-c", "import json; open(%r).close()" % __file__], check=True)
    """
)


def _clean_env() -> dict[str, str]:
    """This session's environment without its own guard (the probe run installs its own)."""
    env = {k: v for k, v in os.environ.items() if k not in (file_guard.LOG_ENV, "PYTEST_CURRENT_TEST")}
    env["PYTHONPATH"] = os.pathsep.join([str(TESTS), str(SRC)])
    return env


def test_a_test_reading_outside_the_repo_fails_naming_the_file_and_the_test(tmp_path: Path) -> None:
    (tmp_path / "test_probes.py").write_text(PROBES, encoding="utf-8")
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "file_guard_plugin", "-p", "no:cacheprovider", "-rA", str(tmp_path)],
        capture_output=True,
        text=True,
        env=_clean_env(),
        cwd=tmp_path,
        timeout=300,
    )
    out = run.stdout + run.stderr
    assert run.returncode == 1, out
    assert "3 failed, 1 passed" in out, out
    assert "PASSED test_probes.py::test_only_allowed_files" in out, out
    reports = {line.split(" ")[0]: line for line in out.splitlines() if " opened files outside the repo" in line}
    assert "/etc/hostname" in reports["test_probes.py::test_opens_etc_hostname"], out
    font = reports["test_probes.py::test_font_from_the_system_folder"]
    assert "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc" in font
    child = reports["test_probes.py::test_child_process_reads_outside"]
    assert "/etc/fstab-probe-x" in child and "in a child process" in child
    assert "test_only_allowed_files" not in reports


def test_this_session_is_guarded() -> None:
    guard = sys._ocr_kie_file_guard  # type: ignore[attr-defined]
    assert not guard.allowed("/etc/hostname") and not guard.allowed("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
    assert guard.allowed(str(SRC / "ocr_kie" / "fonts" / "wqy-microhei.ttc")) and guard.allowed(os.__file__)
    assert str(file_guard.SITE_DIR) in os.environ["PYTHONPATH"].split(os.pathsep)  # child processes too
