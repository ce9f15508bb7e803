"""Choose the grounded strategy's weights offline, from the scores a grounded benchmark run stored.

Usage::

    python benchmarks/grounded_weights.py RESULTS [RESULTS ...] [--model-weights 0 0.1 0.3 1]
        [--null-priors 0.05] [--prior-weight 1.0] [--model-reaches none 3]

``RESULTS`` are files written by ``benchmarks/grounded_benchmark.py`` (``<name>.json`` or
``<name>.rows.jsonl``): for every document and key they hold each alternative's prior and the
model's log-probability. This script re-chooses every value under other weights
(:func:`ocr_kie.pipeline.grounded.combine`, what the decoder does) without running the model again, and
prints the overall exact accuracy per file for each setting, with and without length
normalisation. It is an approximation: in a real run the value chosen for one key is part of the
prompt for the next ones, so a different earlier choice slightly changes later scores.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

from extraction_benchmark import score

from ocr_kie.pipeline.grounded import GroundedOptions, combine, model_asks


def grounded_rows(path: Path) -> list[dict[str, Any]]:
    """The grounded rows with stored option scores of a results file (``.json`` or ``.rows.jsonl``)."""
    if path.suffix == ".jsonl":
        rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    else:
        rows = json.loads(path.read_text(encoding="utf-8"))["results"].get("grounded", {}).get("rows", [])
    return [r for r in rows if r.get("strategy", "grounded") == "grounded" and r.get("option_scores")]


def exact_accuracy(rows: list[dict[str, Any]], options: GroundedOptions) -> float:
    """The share of (document, key) pairs whose re-chosen value matches the label exactly."""
    right = total = 0
    for row in rows:
        for key, alternatives in row["option_scores"].items():
            # Stored per alternative: [value, prior, sum of the log-probabilities, tokens]; the null
            # alternative is last and takes this setting's null prior.
            priors = [prior for _, prior, _, _ in alternatives[:-1]] + [options.null_prior]
            asked = set(model_asks(priors, options))
            logprobs = [
                [total_lp / tokens] * tokens if tokens and j in asked else []
                for j, (_, _, total_lp, tokens) in enumerate(alternatives)
            ]
            _, _, best = combine(logprobs if asked else None, priors, options)
            right += score(alternatives[best][0], row["gold"].get(key))[0]
            total += 1
    return right / total if total else 0.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("results", nargs="+", type=Path)
    parser.add_argument("--model-weights", nargs="+", type=float, default=[0, 0.05, 0.1, 0.2, 0.3, 0.5, 1.0, 2.0])
    parser.add_argument("--null-priors", nargs="+", type=float, default=[GroundedOptions().null_prior])
    parser.add_argument("--prior-weight", type=float, default=GroundedOptions().prior_weight)
    parser.add_argument(
        "--model-reaches", nargs="+", type=lambda v: None if v == "none" else float(v),
        default=[GroundedOptions().model_reach], help="GroundedOptions.model_reach values ('none': every candidate)",
    )  # fmt: skip
    args = parser.parse_args()

    sets = {path.name.removesuffix(".rows.jsonl").removesuffix(".json"): grounded_rows(path) for path in args.results}
    print(
        "| length-normalised | model_weight | null_prior | model_reach | "
        + " | ".join(f"{n} ({len(r)})" for n, r in sets.items())
        + " | mean |"
    )
    print("|---" * (len(sets) + 5) + "|")
    settings = itertools.product([True, False], args.model_weights, args.null_priors, args.model_reaches)
    for normalise, weight, null, reach in settings:
        options = GroundedOptions(
            model_weight=weight, prior_weight=args.prior_weight, null_prior=null, length_normalize=normalise,
            model_reach=reach,
        )  # fmt: skip
        accuracies = [exact_accuracy(rows, options) for rows in sets.values()]
        cells = " | ".join(f"{a:.3f}" for a in [*accuracies, sum(accuracies) / len(accuracies)])
        print(f"| {'yes' if normalise else 'no'} | {weight:g} | {null:g} | {reach} | {cells} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
