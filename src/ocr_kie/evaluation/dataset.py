"""Labelled datasets: ``images/<id>.<ext>``, ``labels/<id>.json`` and an optional ``dataset.json``.

Layout::

    my-dataset/
      images/X51005268400.jpg      any of ocr_kie.images.IMAGE_SUFFIXES
      labels/X51005268400.json     {"company": "...", "date": "...", "total": null}
      dataset.json                 optional: {"keys": [...], "examples": "examples.jsonl", ...}
      examples.jsonl               optional: worked examples (see ocr_kie.load_examples)

Example:
    >>> dataset = load_labelled_dataset("benchmarks/datasets/zh-kie/screenshots")  # doctest: +SKIP
    >>> dataset.keys, len(dataset.documents)  # doctest: +SKIP
    (['可用额度', '账单日', '到期还款日'], 40)
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ocr_kie.examples import Example
from ocr_kie.images import IMAGE_SUFFIXES

__all__ = ["Dataset", "LabelledDocument", "dataset_examples", "load_dataset", "load_labelled_dataset"]


@dataclass(frozen=True)
class LabelledDocument:
    """One image with its ground-truth values.

    Attributes:
        id: The document id (the file stem shared by image and label).
        image: The image file.
        labels: The labelled value of each key; ``None`` where the document has no value.
    """

    id: str
    image: Path
    labels: dict[str, str | None] = field(default_factory=dict)


@dataclass
class Dataset:
    """A loaded dataset: its documents and what its ``dataset.json`` says.

    Attributes:
        name: ``dataset.json``'s ``name``, else the folder's name (``"<documents>"`` for a list).
        root: The folder, if any.
        documents: The labelled documents, sorted by id.
        keys: The keys from ``dataset.json``, else the union of the label keys in first-seen order.
        examples: The examples file named by ``dataset.json`` (resolved against the folder), if any.
        meta: Everything else ``dataset.json`` holds (description, language, …).
    """

    name: str
    root: Path | None
    documents: list[LabelledDocument]
    keys: list[str]
    examples: Path | None = None
    meta: dict[str, Any] = field(default_factory=dict)


def load_dataset(path: str | Path) -> list[LabelledDocument]:
    """Load the documents of a dataset laid out as ``images/<id>.<ext>`` and ``labels/<id>.json``.

    Each label file is a JSON object ``{key: value or null}`` (numbers are turned into strings).
    Images without a label file are skipped.

    Args:
        path: The dataset directory.

    Returns:
        The documents, sorted by id.

    Raises:
        FileNotFoundError: ``images/`` or ``labels/`` is missing.
        ValueError: A label file is not valid JSON or not an object of strings or nulls; the
            message names the file.
    """
    root = Path(path)
    images_dir, labels_dir = root / "images", root / "labels"
    for directory in (images_dir, labels_dir):
        if not directory.is_dir():
            raise FileNotFoundError(f"dataset directory {directory} does not exist")
    images = {p.stem: p for p in images_dir.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES}
    docs = []
    for doc_id in sorted(images):
        label_path = labels_dir / f"{doc_id}.json"
        if not label_path.is_file():
            continue
        docs.append(LabelledDocument(id=doc_id, image=images[doc_id], labels=_read_labels(label_path)))
    return docs


def load_labelled_dataset(path: str | Path) -> Dataset:
    """Load a dataset folder with its optional ``dataset.json`` (``keys``, ``examples``, anything else).

    Args:
        path: The dataset directory.

    Returns:
        The :class:`Dataset`.

    Raises:
        FileNotFoundError: ``images/`` or ``labels/`` is missing, or ``dataset.json`` names an
            examples file that does not exist.
        ValueError: A label file or ``dataset.json`` is malformed; the message names the file.
    """
    root = Path(path)
    documents = load_dataset(root)
    meta: dict[str, Any] = {}
    info_path = root / "dataset.json"
    if info_path.is_file():
        meta = _read_object(info_path, "dataset file")
    keys = meta.pop("keys", None)
    if keys is not None and not (isinstance(keys, list) and all(isinstance(k, str) for k in keys)):
        raise ValueError(f"bad dataset file {info_path}: 'keys' must be a list of strings")
    examples = meta.pop("examples", None)
    examples_path = None
    if examples:
        examples_path = root / str(examples)
        if not examples_path.is_file():
            raise FileNotFoundError(f"{info_path} names the examples file {examples_path}, which does not exist")
    return Dataset(
        name=str(meta.pop("name", None) or root.resolve().name),
        root=root,
        documents=documents,
        keys=list(keys) if keys else label_keys(documents),
        examples=examples_path,
        meta=meta,
    )


def label_keys(documents: Sequence[LabelledDocument]) -> list[str]:
    """The union of the documents' label keys, in first-seen order."""
    return list(dict.fromkeys(k for d in documents for k in d.labels))


def dataset_examples(
    documents: Sequence[LabelledDocument], ids: Sequence[str], keys: Sequence[str]
) -> tuple[list[Example], list[LabelledDocument]]:
    """Take some labelled documents as worked examples and leave the rest to evaluate.

    Args:
        documents: The dataset's documents.
        ids: The ids of the documents to use as examples, in this order.
        keys: The keys of the examples' answers.

    Returns:
        ``(examples, rest)``: the examples (image and labels) and the documents not used.

    Raises:
        ValueError: An id is not in the dataset.
    """
    by_id = {d.id: d for d in documents}
    missing = [i for i in ids if i not in by_id]
    if missing:
        raise ValueError(f"example ids not in the dataset: {missing}")
    examples = [Example(image=str(by_id[i].image), values={k: by_id[i].labels.get(k) for k in keys}) for i in ids]
    chosen = set(ids)
    return examples, [d for d in documents if d.id not in chosen]


def _read_object(path: Path, what: str) -> dict[str, Any]:
    """A JSON object from a file; a ValueError naming the file otherwise."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ValueError(f"bad {what} {path}: not valid JSON ({e})") from e
    if not isinstance(data, dict):
        raise ValueError(f"bad {what} {path}: expected a JSON object, got {type(data).__name__}")
    return data


def _read_labels(path: Path) -> dict[str, str | None]:
    data = _read_object(path, "label file")
    labels: dict[str, str | None] = {}
    for key, value in data.items():
        if value is None or isinstance(value, str):
            labels[key] = value
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            labels[key] = str(value)
        else:
            raise ValueError(f"bad label file {path}: value of {key!r} must be a string or null")
    return labels
