"""Batch workers (issue 13): threads and processes keep every guarantee; Ctrl-C ends within 2 s in both modes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from langchain_core.runnables import RunnableLambda

from ocr_kie.batch import run_batch
from ocr_kie.errors import InvalidImageError
from ocr_kie.workers import ChainSpec, default_processes, default_workers

ROOT = Path(__file__).resolve().parents[1]


class FakeFactory:
    """A picklable chain recipe: values from the file name; ``bad*`` files fail, ``crash*`` kill the worker."""

    def __init__(self, builds_dir: str) -> None:
        self.builds_dir = builds_dir

    def __call__(self):
        Path(self.builds_dir, f"{os.getpid()}-{time.monotonic_ns()}").write_text("built")
        return RunnableLambda(fake_extract)


def fake_extract(source: str) -> dict:
    name = Path(source).stem
    if name.startswith("bad"):
        raise InvalidImageError("not an image", source=source)
    if name.startswith("crash"):
        os._exit(3)  # a native crash, as far as the parent can tell
    return {"total": f"total@{name}", "pid": os.getpid()}


def documents(folder: Path, n: int, every_bad: int = 7) -> list[str]:
    folder.mkdir(exist_ok=True)
    paths = []
    for i in range(n):
        path = folder / (f"bad{i}.png" if i % every_bad == 3 else f"{i}.png")
        path.write_bytes(b"x")
        paths.append(str(path))
    return paths


def records(path: Path) -> dict[str, dict]:
    lines = path.read_text(encoding="utf-8").splitlines()
    out = {}
    for line in lines:
        record = json.loads(line)
        assert record["source"] not in out, "two records of one document"
        record.get("values", {}).pop("pid", None)
        out[record["source"]] = record
    return out


def test_threads_over_200_documents_with_failures_give_the_records_of_one_worker(tmp_path):
    paths = documents(tmp_path / "docs", 200)
    chain = FakeFactory(str(tmp_path))()
    one = run_batch(chain, paths, tmp_path / "one.jsonl", workers=1, progress=False)
    four = run_batch(chain, paths, tmp_path / "four.jsonl", workers=4, progress=False)
    assert (one.succeeded, one.failed) == (four.succeeded, four.failed) == (171, 29)
    assert records(tmp_path / "one.jsonl") == records(tmp_path / "four.jsonl")


def test_processes_over_200_documents_build_the_chain_once_each_and_give_the_same_records(tmp_path):
    paths = documents(tmp_path / "docs", 200)
    builds = tmp_path / "builds"
    builds.mkdir()
    factory = FakeFactory(str(builds))
    run_batch(factory(), paths, tmp_path / "one.jsonl", progress=False)
    for f in builds.iterdir():
        f.unlink()
    summary = run_batch(factory, paths, tmp_path / "procs.jsonl", processes=2, progress=False)
    assert (summary.succeeded, summary.failed) == (171, 29)
    assert records(tmp_path / "one.jsonl") == records(tmp_path / "procs.jsonl")
    pids = {f.name.split("-")[0] for f in builds.iterdir()}
    assert len(list(builds.iterdir())) == len(pids) <= 2  # each worker process built the chain once
    assert str(os.getpid()) not in pids  # and the parent loaded nothing
    failed = [r for r in records(tmp_path / "procs.jsonl").values() if "error" in r]
    assert {r["error"]["type"] for r in failed} == {"InvalidImageError"}
    assert all(r["error"]["message"].endswith(": not an image") for r in failed)


def test_a_worker_process_that_dies_fails_its_document_and_the_rest_go_on(tmp_path):
    paths = documents(tmp_path / "docs", 12, every_bad=100)
    crash = tmp_path / "docs" / "crash.png"
    crash.write_bytes(b"x")
    paths.insert(5, str(crash))
    out = tmp_path / "out.jsonl"
    summary = run_batch(FakeFactory(str(tmp_path)), paths, out, processes=2, workers=2, progress=False)
    got = records(out)
    assert len(got) == 13
    assert got[str(crash)]["error"]["type"] == "WorkerProcessDied"
    # the documents in flight beside the crash were tried again: only the crash is lost (and bad3 is bad)
    assert (summary.succeeded, summary.failed) == (11, 2)
    assert sorted(r["error"]["type"] for r in got.values() if "error" in r) == [
        "InvalidImageError",
        "WorkerProcessDied",
    ]


class SignalMaskFactory:
    """A picklable chain recipe whose answer says whether SIGINT is blocked in the worker process."""

    def __call__(self):
        return RunnableLambda(sigint_blocked)


def sigint_blocked(source: str) -> dict:
    return {"sigint_blocked": signal.SIGINT in signal.pthread_sigmask(signal.SIG_BLOCK, [])}


def test_worker_processes_start_with_ctrl_c_held_back_so_one_still_importing_prints_no_traceback(tmp_path):
    # A Ctrl-C sent to the process group while a spawned worker was still importing its modules
    # printed the worker's KeyboardInterrupt traceback (seen under load): workers now start with
    # SIGINT blocked, and the parent's own SIGINT is not blocked after submitting.
    paths = documents(tmp_path / "docs", 4, every_bad=100)
    out = tmp_path / "out.jsonl"
    run_batch(SignalMaskFactory(), paths, out, processes=2, workers=2, progress=False)
    got = records(out)
    assert len(got) == 4 and all(r["values"]["sigint_blocked"] is True for r in got.values()), got
    assert signal.SIGINT not in signal.pthread_sigmask(signal.SIG_BLOCK, [])


def test_a_chain_object_cannot_go_to_processes(tmp_path):
    with pytest.raises(ValueError, match="ChainSpec"):
        run_batch(RunnableLambda(fake_extract), [], tmp_path / "o.jsonl", processes=2)


def test_defaults_come_from_the_model_and_the_cores():
    assert default_processes(True, 100, cores=2) == 2
    assert default_processes(True, 3, cores=2) == 1  # a few documents: loading models twice does not pay
    assert default_processes(False, 100, cores=2) == 1
    assert default_workers(True, 2) == 2 and default_workers(False) == 8


def test_chain_spec_is_picklable_with_examples_and_rebuilds_them(tmp_path):
    import pickle

    from ocr_kie.examples import Example

    spec = ChainSpec(keys=["total"], examples=[Example(text="TOTAL 1.00", values={"total": "1.00"})], threads=1)
    again = pickle.loads(pickle.dumps(spec))
    assert again.kwargs["examples"] == [{"text": "TOTAL 1.00", "image": None, "values": {"total": "1.00"}}]
    assert again.threads == 1 and not again.is_local(qianfan_in_env=True) and ChainSpec().is_local()


SLOW_CLI = textwrap.dedent(
    """
    import os, sys, time
    from pathlib import Path
    from langchain_core.runnables import RunnableLambda
    import ocr_kie.pipeline.chain, ocr_kie.ocr

    def slow(source):
        if Path(source).stem != "0" and not os.environ.get("SLOW_CLI_FAST"):
            time.sleep(60)  # a call in flight that nothing can cancel (llama.cpp, a hung server)
        return {"total": "1"}

    # At module level: spawned worker processes import this file (as __mp_main__) and get the fakes too.
    ocr_kie.pipeline.chain.build_chain = lambda **kwargs: RunnableLambda(slow)
    ocr_kie.ocr.get_engine = lambda *args, **kwargs: None  # a worker's ChainSpec(threads=...) asks for one

    if __name__ == "__main__":
        from ocr_kie.cli import main
        sys.exit(main(sys.argv[1:]))
    """
)


def _slow_cli(tmp_path: Path, extra: list[str]) -> tuple[list[str], Path, list[str], dict[str, str]]:
    """(documents, results file, command, environment) of an ``extract`` whose documents but "0" hang."""
    paths = documents(tmp_path / "docs", 6, every_bad=100)
    out = tmp_path / "out.jsonl"
    script = tmp_path / "slow_cli.py"
    script.write_text(SLOW_CLI, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    env.pop("SLOW_CLI_FAST", None)
    cmd = [sys.executable, str(script), "extract", *paths, "--keys", "total", "-o", str(out), "--quiet", *extra]
    return paths, out, cmd, env


def _interrupt_after_the_first_record(process: subprocess.Popen, out: Path, send: Callable[[], None]) -> float:
    """Wait for the first record, let the other calls hang a moment, ``send`` the SIGINT; seconds to exit."""
    deadline = time.monotonic() + 180
    while (not out.exists() or not out.read_text()) and time.monotonic() < deadline:
        assert process.poll() is None, process.stderr.read()
        time.sleep(0.05)
    time.sleep(0.3)  # the other calls are in flight, sleeping
    start = time.monotonic()
    send()
    code = process.wait(timeout=30)
    took = time.monotonic() - start
    err = process.stderr.read()
    assert code == 130, err
    assert took < 2.0, f"took {took:.1f} s to stop"
    assert "interrupted after 1 of 6 documents" in err and "Traceback" not in err, err
    return start


@pytest.mark.parametrize("extra", [["--workers", "3"], ["--workers", "3", "--llm", "openai:m"]])
def test_ctrl_c_with_calls_in_flight_ends_within_2_s_and_leaves_a_valid_file(tmp_path, extra):
    paths, out, cmd, env = _slow_cli(tmp_path, extra)
    process = subprocess.Popen(cmd, env=env, stderr=subprocess.PIPE, text=True)
    _interrupt_after_the_first_record(process, out, lambda: process.send_signal(signal.SIGINT))
    assert list(records(out)) == [paths[0]]


def _session(sid: int) -> list[int]:
    """The processes of session ``sid`` that are still running (zombies excluded)."""
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) == sid and fields[0] != "Z":
            members.append(int(stat.parent.name))
    return members


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads the session's processes from /proc")
@pytest.mark.parametrize("to_group", [False, True], ids=["sigint-to-the-cli", "sigint-to-the-process-group"])
def test_ctrl_c_in_process_mode_ends_within_2_s_leaves_a_valid_file_and_a_resumed_run_completes(tmp_path, to_group):
    paths, out, cmd, env = _slow_cli(tmp_path, ["--processes", "2", "--workers", "2"])
    # A session of its own: Ctrl-C in a terminal signals the whole foreground group (the workers too).
    process = subprocess.Popen(cmd, env=env, stderr=subprocess.PIPE, text=True, start_new_session=True)

    def ctrl_c() -> None:
        assert len(_session(process.pid)) >= 3, "the CLI and its two worker processes"
        if to_group:
            os.killpg(process.pid, signal.SIGINT)
        else:
            process.send_signal(signal.SIGINT)

    start = _interrupt_after_the_first_record(process, out, ctrl_c)
    while _session(process.pid) and time.monotonic() - start < 2.0:
        time.sleep(0.05)
    assert not _session(process.pid), "worker processes outlived the CLI by more than 2 s"
    assert out.read_text(encoding="utf-8").endswith("\n")  # no partial line
    assert list(records(out)) == [paths[0]]  # every line valid JSON, no document twice
    # The same command again resumes: the five documents not done, each once.
    again = subprocess.run(cmd, env={**env, "SLOW_CLI_FAST": "1"}, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    done = records(out)
    assert sorted(done) == sorted(paths)
    assert all(r["values"] == {"total": "1"} for r in done.values())


@pytest.mark.model
@pytest.mark.timeout(1800)
def test_two_workers_on_real_images_give_the_records_of_one_real_ocr_and_the_embedded_model(tmp_path):
    from conftest import FIXTURES
    from ocr_kie import build_chain
    from ocr_kie.ocr import get_engine

    samples = ROOT / "src" / "ocr_kie" / "samples" / "examples.jsonl"
    chain = build_chain(["可用额度", "账单日", "到期还款日"], examples=samples, ocr=get_engine("paddle"), cache=False)
    paths = [str(FIXTURES / n) for n in ("screenshot_zh.png", "receipt_en.png", "injection_zh.png", "blank.png")]
    run_batch(chain, paths, tmp_path / "one.jsonl", workers=1, progress=False)
    run_batch(chain, paths, tmp_path / "two.jsonl", workers=2, progress=False)
    one, two = records(tmp_path / "one.jsonl"), records(tmp_path / "two.jsonl")
    assert len(one) == 4 and one == two
    assert one[paths[0]]["values"]["可用额度"]  # the sample screenshot's value was read
