"""``ocr_kie.distributed`` on a local Ray (``ray.init(num_cpus=2)``): 20 real images, real PP-OCR.

The model is a deterministic stand-in that answers with the document's first OCR line, so the
values depend on the real OCR in the Ray actors and can be compared with the local runner's.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from PIL import Image

from conftest import FIXTURES

pytestmark = pytest.mark.model
ray = pytest.importorskip("ray", reason="the ray extra: pip install 'ocr-kie[ray]'")

ROOT = Path(__file__).resolve().parents[1]


class FirstLineModel(BaseChatModel):
    """Answers ``{"first": <the document's first OCR row>}``."""

    @property
    def _llm_type(self) -> str:
        return "first-line"

    def _generate(self, messages, stop=None, run_manager=None, **kwargs) -> ChatResult:
        text = str(messages[-1].content).split("<<<\n", 1)[1].split("\n>>>", 1)[0]
        answer = json.dumps({"first": text.split("\n")[0]}, ensure_ascii=False)
        return ChatResult(generations=[ChatGeneration(message=AIMessage(answer))])


class FirstLineChain:
    """A picklable recipe: real PP-OCR (one thread), the first-line model."""

    def __call__(self):
        from ocr_kie import build_chain
        from ocr_kie.ocr import get_engine

        return build_chain(["first"], llm=FirstLineModel(), ocr=get_engine("paddle", threads=1), cache=False)


class _NicenessFactory:
    """A picklable chain recipe whose chain answers with its process's nice level."""

    threads = 1

    def __call__(self):
        from langchain_core.runnables import RunnableLambda

        return RunnableLambda(lambda source: {"nice": os.nice(0)})


def _test_path() -> str:
    return os.pathsep.join([str(ROOT / "src"), str(ROOT / "tests")])


@pytest.mark.timeout(600)
def test_a_local_ray_run_ray_starts_runs_its_actors_at_the_drivers_priority(tmp_path):
    # Ray lowers its workers' priority by 15 nice levels: beside anything else on the machine
    # (the local runner's workers run at the driver's priority) the actors got a small share of the cores.
    summary, _ = _own_local_ray_run(tmp_path, files=2, num_cpus=1, actors=1)
    assert summary.succeeded == 2
    assert {r["values"]["nice"] for r in read(tmp_path / "out.jsonl").values()} == {os.nice(0)}


def _own_local_ray_run(tmp_path: Path, *, files: int, num_cpus: int, actors: int, look=lambda: None):
    """``run_ray`` starting its own local Ray over ``files`` placeholder files, then Ray shut down.

    Returns the summary and what ``look()`` saw after the run, before the shutdown.
    """
    from ocr_kie.distributed import run_ray

    if ray.is_initialized():
        ray.shutdown()
    paths = []
    for i in range(files):
        paths.append(tmp_path / f"doc-{i}.bin")
        paths[-1].write_bytes(b"any bytes: the chain does not read them")
    init = {"num_cpus": num_cpus, "include_dashboard": False, "runtime_env": {"env_vars": {"PYTHONPATH": _test_path()}}}
    try:
        summary = run_ray(_NicenessFactory(), [str(p) for p in paths], tmp_path / "out.jsonl", actors=actors, init=init)
        return summary, look()
    finally:
        ray.shutdown()


def _idle_ray_workers() -> int:
    """This process's descendants that are idle Ray workers (``ray::IDLE``), read off ``/proc``."""
    parents, names = {}, {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parents[int(entry.name)] = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
                names[int(entry.name)] = (entry / "cmdline").read_bytes().split(b"\0")[0]
            except (OSError, IndexError, ValueError):
                continue

    def descends(pid: int) -> bool:
        while pid > 1:
            pid = parents.get(pid, 0)
            if pid == os.getpid():
                return True
        return False

    return sum(1 for pid, name in names.items() if name == b"ray::IDLE" and descends(pid))


@pytest.mark.timeout(600)
def test_a_local_ray_reads_the_files_in_one_worker_process_for_up_to_16_actors(tmp_path):
    # Unbounded, Ray Data ran a read task per block at once, each in a worker process of its own
    # (3 or 4 for 24 files on 2 CPUs): their start-up took the cores from the actors on a small machine.
    from ocr_kie.distributed import run_ray

    # After the run the actors are busy workers; the read task's worker is idle.
    summary, readers = _own_local_ray_run(tmp_path, files=24, num_cpus=2, actors=2, look=_idle_ray_workers)
    assert summary.succeeded == 24
    assert readers == 1
    done = (tmp_path / "out.jsonl").read_bytes()
    with pytest.raises(ValueError, match="readers"):  # before the output is opened: nothing lost
        run_ray(_NicenessFactory(), [str(tmp_path / "doc-0.bin")], tmp_path / "out.jsonl", readers=0, resume=False)
    assert (tmp_path / "out.jsonl").read_bytes() == done


@pytest.fixture(scope="module")
def local_ray():
    ray.init(num_cpus=2, include_dashboard=False, runtime_env={"env_vars": {"PYTHONPATH": _test_path()}})
    yield
    ray.shutdown()


def images(folder: Path) -> list[str]:
    """20 real images: the three rendered fixtures at several scales, and one corrupt file."""
    folder.mkdir()
    paths = []
    for name in ("receipt_en.png", "screenshot_zh.png", "injection_zh.png"):
        image = Image.open(FIXTURES / name).convert("RGB")
        for scale in (1.0, 0.9, 0.8, 1.1, 1.2, 0.85, 0.95)[: 7 if name != "injection_zh.png" else 6]:
            size = (round(image.width * scale), round(image.height * scale))
            path = folder / f"{Path(name).stem}-{scale}.png"
            image.resize(size).save(path)
            paths.append(str(path))
    bad = folder / "corrupt.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n this is not an image")
    paths.append(str(bad))
    assert len(paths) == 21
    return paths


def read(path: Path) -> dict[str, dict]:
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert len({r["source"] for r in records}) == len(records)
    return {r["source"]: r for r in records}


@pytest.mark.timeout(1800)
def test_ray_gives_the_local_runners_values_a_bad_file_is_its_rows_error_and_a_rerun_skips(tmp_path, local_ray):
    from ocr_kie.batch import run_batch
    from ocr_kie.distributed import run_ray

    paths = images(tmp_path / "docs")
    local = tmp_path / "local.jsonl"
    run_batch(FirstLineChain()(), paths, local, progress=False)
    out = tmp_path / "ray.jsonl"
    summary = run_ray(FirstLineChain(), [str(tmp_path / "docs")], out, actors=2, cpus_per_actor=1)
    assert (summary.total, summary.succeeded, summary.failed) == (21, 20, 1)
    got, expected = read(out), read(local)
    assert set(got) == set(expected) == set(paths)
    assert {k: r.get("values") for k, r in got.items()} == {k: r.get("values") for k, r in expected.items()}
    assert all(r["values"]["first"] for k, r in got.items() if not k.endswith("corrupt.png"))
    bad = got[str(tmp_path / "docs" / "corrupt.png")]
    assert bad["error"]["type"] == expected[str(tmp_path / "docs" / "corrupt.png")]["error"]["type"]

    again = run_ray(FirstLineChain(), [str(tmp_path / "docs")], out, actors=2, cpus_per_actor=1)
    assert (again.skipped, again.succeeded, again.failed, again.retried) == (20, 0, 1, 1)
    assert read(out).keys() == got.keys()  # still one record per document

    parquet = tmp_path / "ray.parquet"
    run_ray(FirstLineChain(), paths[:3], parquet, actors=1)
    import pyarrow.parquet as pq

    rows = pq.read_table(parquet).to_pylist()
    assert {r["source"]: json.loads(r["values"]) for r in rows} == {p: expected[p]["values"] for p in paths[:3]}


def test_without_ray_the_error_says_how_to_install_it(monkeypatch):
    from ocr_kie.distributed import import_ray
    from ocr_kie.errors import MissingDependencyError

    monkeypatch.setitem(sys.modules, "ray", None)
    with pytest.raises(MissingDependencyError, match=r"pip install 'ocr-kie\[ray\]'"):
        import_ray()


class _ThreadsFactory:
    """A picklable chain recipe with a ``threads`` count, as ChainSpec has."""

    threads = 1

    def __call__(self):
        from langchain_core.runnables import RunnableLambda

        return RunnableLambda(lambda source: {"omp": os.environ.get("OMP_NUM_THREADS")})


def test_a_ray_actor_sets_the_worker_thread_environment_before_it_builds_the_chain(monkeypatch):
    # The local runner's worker processes set the OpenMP/MKL thread counts and a passive wait
    # policy before their models load; Ray actors did not, and their OCR threads spun beside the LLM's.
    from ocr_kie.distributed import ChainActor

    for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "OMP_WAIT_POLICY"):
        monkeypatch.delenv(name, raising=False)
    actor = ChainActor(_ThreadsFactory())
    assert actor.build_error is None
    assert (os.environ["OMP_NUM_THREADS"], os.environ["MKL_NUM_THREADS"]) == ("1", "1")
    assert os.environ["OMP_WAIT_POLICY"] == "passive"
