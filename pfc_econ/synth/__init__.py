"""Synthetic data for pfc-econ: every source file of a scenario, its run config and its truth.

    generate_scenario("feasibility", Path("out"))          # the 19 families of the feasibility study
    generate_scenario("trial", Path("out"), families=5000)  # any size, with a known IPS effect

Deterministic for a seed: all randomness comes from numpy Generators seeded from
SeedSequence([seed, stream, chunk]); nothing depends on the clock, hashing or set order.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import pyarrow as pa

from . import feasibility, plants, providers, questionnaire, trial
from ..errors import OutputFolderError
from ..output_folder import MARKERS, read_marker
from ..progress import detail, stage
from .layout import questionnaire_layout
from .spine import Families
from .writers import CsvSink, ParquetSink, XlsxSink, survey_header, write_json, write_study_toml

__all__ = ["SCENARIOS", "SynthResult", "generate_scenario", "questionnaire_layout"]

SCENARIOS = ("feasibility", "trial")
CHUNK_FAMILIES = 5000
SYNTH_MARKER = MARKERS["synth"]
STREAM_SPINE, STREAM_QUESTIONNAIRE, STREAM_NSPCC, STREAM_SAU, STREAM_PLANTS = range(5)


@dataclass(frozen=True)
class SynthResult:
    out_dir: Path
    config_path: Path
    files: dict[str, Path]
    n_families: int
    n_rows: dict[str, int]
    truth_path: Path | None = field(default=None)


def _rng(seed: int, *stream: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence([seed, *stream]))


def as_arm(fam: Families, arm: str) -> Families:
    """The chunk with every family in ``arm``: provider records are drawn for every family."""
    return dataclasses.replace(fam, arm=np.full(len(fam.arm), arm, dtype="<U3"))


def keep_arm(d: dict[str, np.ndarray], fam: Families, arm: str) -> dict[str, np.ndarray]:
    """The provider records of the chunk's families that are in ``arm``.

    Common random numbers (trial scenario): the provider streams draw records for every family of
    the chunk as if it were in the provider's arm, and only then keep that arm's families, so a
    family's records are the same draws whichever arm the others are in (observed world and both
    counterfactual worlds alike). Record ids keep the gaps of the families dropped.
    """
    keep = np.isin(d["family_id"].astype(str), fam.family_id[fam.arm == arm].astype(str))
    return {column: values[keep] for column, values in d.items()}


def _randomisation_table(fam: Families) -> pa.Table:
    return pa.table({
        "family_id": pa.array(fam.family_id, pa.string()),
        "site": pa.array(fam.site, pa.string()),
        "arm": pa.array(fam.arm, pa.string()),
        "randomised_date": pa.array(fam.randomised, pa.date32()),
        "withdrawn_date": pa.array(fam.withdrawn, pa.date32()),
        "withdrawal_reason": pa.array(fam.reason, pa.string()),
    })


def _validate(scenario: str, families: int | None, seed: int) -> int:
    if scenario not in SCENARIOS:
        raise ValueError(f"unknown scenario {scenario!r}: choose one of {', '.join(SCENARIOS)}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    if scenario == "feasibility":
        if families not in (None, feasibility.N_FAMILIES):
            raise ValueError(f"the feasibility scenario has exactly {feasibility.N_FAMILIES} families "
                             f"(got families={families}); use the trial scenario for other sizes")
        return feasibility.N_FAMILIES
    n = trial.DEFAULT_FAMILIES if families is None else families
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 2:
        raise ValueError(f"families must be an integer of at least 2, got {families!r}")
    return int(n)


def _claim_folder(out_dir: Path, names: list[str]) -> None:
    """Make ``out_dir`` synth's, or refuse it: a folder may be new, empty, or one synth wrote (its
    marker, SYNTH_MARKER, lists what it wrote). A study folder holding a user's extracts is never
    written into: its questionnaire.csv or study.toml would be overwritten. Entries synth did not
    write stay as they are. The marker is written first, so a folder whose generation was stopped
    half-way is still recognised as synth's."""
    if out_dir.is_symlink() or (out_dir.exists() and not out_dir.is_dir()):
        raise OutputFolderError(f"refusing to write synthetic data to {out_dir}: it exists and is not a folder")
    ours: set[str] = set()
    if out_dir.exists():
        marker = read_marker(out_dir, "synth")
        if marker is not None:
            ours = set(marker.get("entries", []))
        else:
            present = sorted(p.name for p in out_dir.iterdir())
            if present:
                raise OutputFolderError(
                    f"refusing to write synthetic data into {out_dir}: it holds files pfc-econ synth did not write "
                    f"({', '.join(present[:3])}{', …' if len(present) > 3 else ''}); name a new folder") from None
    clash = sorted(n for n in names if n not in ours and (out_dir / n).exists())
    if clash:
        raise OutputFolderError(f"refusing to replace {out_dir / clash[0]}: pfc-econ synth did not write it")
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / SYNTH_MARKER).write_text(json.dumps({"kind": "synth", "entries": sorted(ours | set(names))}, indent=2)
                                        + "\n", encoding="utf-8")


def generate_scenario(scenario: str, out_dir: Path, families: int | None = None,
                      seed: int = 20231101, include_nspcc: bool = True, include_sau: bool = True,
                      progress: Callable[[str], None] | None = None, include_true_effect: bool = False,
                      counterfactual_arm: str | None = None) -> SynthResult:
    """Write a scenario's source files, study.toml and truth.json into out_dir.

    ``include_true_effect`` (trial scenario) adds the true IPS effect on the base-case follow-up
    cost and on child QALYs to truth.json (``truth.compute_true_effect``: two more generations
    and pipeline runs). ``counterfactual_arm`` ('IPS' or 'SAU') gives every family that arm and
    switches off item-level missingness: the potential-outcome worlds of that computation.
    """
    n = _validate(scenario, families, seed)
    out_dir = Path(out_dir)
    is_feas = scenario == "feasibility"
    formats = {"randomisation": "csv", "questionnaire": "survey_csv", "sau_log": "csv",
               "nspcc_activity": "xlsx" if is_feas else "parquet"}
    _claim_folder(out_dir, ["randomisation.csv", "questionnaire.csv", "study.toml", "truth.json", ".true_effect"]
                  + [f"nspcc_activity.{formats['nspcc_activity']}"] * include_nspcc + ["sau_log.csv"] * include_sau)
    say = progress or (lambda message: None)
    layout = questionnaire_layout()
    spine_rng = _rng(seed, STREAM_SPINE)
    fam = feasibility.families(spine_rng) if is_feas else trial.families(spine_rng, n)
    profile = feasibility.PROFILE if is_feas else trial.PROFILE
    if counterfactual_arm is not None:
        if counterfactual_arm not in ("IPS", "SAU") or is_feas:
            raise ValueError(f"counterfactual_arm must be 'IPS' or 'SAU' (trial scenario), got {counterfactual_arm!r}")
        fam = dataclasses.replace(fam, arm=np.full(len(fam.arm), counterfactual_arm, dtype="<U3"))
        profile = dataclasses.replace(profile, **trial.COMPLETE_RESPONSES)
    writing = stage(progress, f"{scenario}: {len(fam):,} families", len(fam), "families")

    files: dict[str, Path] = {"randomisation": out_dir / "randomisation.csv",
                              "questionnaire": out_dir / "questionnaire.csv"}
    rand = CsvSink(files["randomisation"], _randomisation_table(fam).schema)
    rand.write(_randomisation_table(fam))
    rand.close()
    sinks = {"questionnaire": CsvSink(files["questionnaire"], questionnaire.schema(layout),
                                      header_rows=survey_header(layout))}
    if include_nspcc:
        files["nspcc_activity"] = out_dir / f"nspcc_activity.{formats['nspcc_activity']}"
    if include_sau:
        files["sau_log"] = out_dir / "sau_log.csv"
    planted: list[dict] = []
    offsets = {"questionnaire": 0, "nspcc_activity": 0, "contacts": 0, "sau_log": 0}
    n_chunks = -(-len(fam) // CHUNK_FAMILIES)
    for k in range(n_chunks):
        sub = fam.take(slice(k * CHUNK_FAMILIES, (k + 1) * CHUNK_FAMILIES))
        plant_rng = _rng(seed, STREAM_PLANTS, k)
        d = questionnaire.responses(sub, layout, profile, _rng(seed, STREAM_QUESTIONNAIRE, k),
                                    offsets["questionnaire"])
        if is_feas:
            planted += plants.feasibility_questionnaire(d, plant_rng, files["questionnaire"].name)
        sinks["questionnaire"].write(questionnaire.to_table(d, layout))
        offsets["questionnaire"] += len(d["ResponseId"])
        if include_nspcc:
            d = providers.nspcc_activity(sub if is_feas else as_arm(sub, "IPS"), _rng(seed, STREAM_NSPCC, k),
                                         offsets["nspcc_activity"], offsets["contacts"])
            n_contacts = int(np.unique(d["contact_id"]).size)
            d = d if is_feas else keep_arm(d, sub, "IPS")
            if k == 0 and counterfactual_arm is None:
                planted += plants.nspcc_faults(d, sub, fam, plant_rng, files["nspcc_activity"].name)
            table = providers.to_table(d)
            if "nspcc_activity" not in sinks:
                sinks["nspcc_activity"] = (
                    XlsxSink(files["nspcc_activity"], table.schema, sheet="IPS activity") if is_feas
                    else ParquetSink(files["nspcc_activity"], table.schema))
            sinks["nspcc_activity"].write(table)
            offsets["nspcc_activity"] += table.num_rows
            offsets["contacts"] += n_contacts
        if include_sau:
            d = providers.sau_log(sub if is_feas else as_arm(sub, "SAU"), _rng(seed, STREAM_SAU, k), offsets["sau_log"])
            n_log = len(d["log_id"])
            d = d if is_feas else keep_arm(d, sub, "SAU")
            if k == 0 and counterfactual_arm is None:
                planted += plants.sau_faults(d, sub, fam, plant_rng, files["sau_log"].name)
            table = providers.to_table(d)
            if "sau_log" not in sinks:
                sinks["sau_log"] = CsvSink(files["sau_log"], table.schema)
            sinks["sau_log"].write(table)
            offsets["sau_log"] += n_log
        writing.step(f"chunk {k + 1}/{n_chunks}: {offsets['questionnaire']} responses", n=len(sub))
    for sink in sinks.values():
        sink.close()
    writing.done()

    n_rows = {"randomisation": len(fam)} | {source: sink.rows for source, sink in sinks.items()}
    config_path = out_dir / "study.toml"
    write_study_toml(config_path, scenario, seed, files, formats)
    truth_path = out_dir / "truth.json"
    truth = {
        "scenario": scenario,
        "seed": int(seed),
        "n_families": len(fam),
        "parameters": trial.truth_parameters() if not is_feas else {},
        "n_rows": n_rows,
        "planted": planted,
    }
    if include_true_effect and not is_feas:
        from .true_effect import compute_true_effect
        say("computing the true IPS effect (two counterfactual runs)")
        truth |= compute_true_effect(seed, n, out_dir / ".true_effect")
    write_json(truth_path, truth)
    detail(progress, f"wrote {', '.join(p.name for p in files.values())}, study.toml, truth.json")
    return SynthResult(out_dir=out_dir, config_path=config_path, files=files, n_families=len(fam),
                       n_rows=n_rows, truth_path=truth_path)
