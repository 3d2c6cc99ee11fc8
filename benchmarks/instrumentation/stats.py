"""Turning the workers' timings into the reported figures: medians, added time, ratio to floor."""

from __future__ import annotations

import math
import statistics
from dataclasses import asdict, dataclass
from typing import Any

MODES = ("non_streaming", "streaming", "streaming_usage")


@dataclass(frozen=True)
class ModeFigures:
    """One configuration, one call mode: what instrumenting it adds per call."""

    baseline_us: float  # median uninstrumented call
    added_us: float  # median over all pairs of (instrumented - uninstrumented) adjacent calls
    ratio_to_floor: float  # added_us / the floor's added_us in the same mode


def _pairs(rounds: list[dict[str, Any]], mode: str) -> list[tuple[int, int]]:
    return [(base, instrumented) for result in rounds for base, instrumented in result[mode]]


def _added_us(rounds: list[dict[str, Any]], mode: str) -> float:
    return statistics.median(inst - base for base, inst in _pairs(rounds, mode)) / 1000


def _ratio(added: float, floor: float) -> float:
    # A floor of exactly zero only happens on tiny smoke runs; no ratio is meaningful then.
    return added / floor if floor else math.nan


def summarize(results: dict[str, list[dict[str, Any]]], floor_name: str) -> dict[str, Any]:
    """JSON-ready figures: per configuration and mode, `ModeFigures`; and the floor's costs."""
    floor_rounds = results[floor_name]
    floor_added = {mode: _added_us(floor_rounds, mode) for mode in MODES}
    tight = [t for result in floor_rounds for t in result["tight_loop"]]
    configurations = {}
    for name, rounds in results.items():
        configurations[name] = {
            mode: asdict(
                ModeFigures(
                    baseline_us=statistics.median(b for b, _ in _pairs(rounds, mode)) / 1000,
                    added_us=_added_us(rounds, mode),
                    ratio_to_floor=_ratio(_added_us(rounds, mode), floor_added[mode]),
                )
            )
            for mode in MODES
        }
    return {
        "floor_in_call_us": floor_added,
        "floor_tight_loop_us": statistics.median(tight) / 1000,
        "configurations": configurations,
    }


def table(summary: dict[str, Any], labels: dict[str, str]) -> str:
    """A plain-text table of the summary, in the order of `labels`."""
    header = (
        f"{'configuration':<50} {'mode':<16} {'baseline us':>12} {'added us':>10} {'x floor':>8}"
    )
    lines = [header, "-" * len(header)]
    for name, label in labels.items():
        for mode, figures in summary["configurations"][name].items():
            lines.append(
                f"{label:<50} {mode:<16} {figures['baseline_us']:>12.1f} "
                f"{figures['added_us']:>10.1f} {figures['ratio_to_floor']:>8.2f}"
            )
    lines.append(
        f"bare span created and ended back to back (no SDK call): "
        f"{summary['floor_tight_loop_us']:.1f} us"
    )
    return "\n".join(lines)
