"""The study config (TOML): which sources to read, the price year, periods and run settings.

Every key is declared in SCHEMA with its type and default, so an unknown key or a bad value is a
one-line ConfigError naming the key (``[sources.sau_log] unknown key 'pth'``).
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .contracts import load_contracts
from .errors import ConfigError, ConfigFileNotFoundError
from .exports import CSV_CHOICES, SORT_MAX_ROWS
from .paths import UNIT_COSTS_DIR

SOURCES = ("randomisation", "questionnaire", "nspcc_activity", "sau_log", "unit_costs")
OPTIONAL_SOURCES = ("nspcc_activity", "sau_log")
ARMS = ("IPS", "SAU")
# The feasibility design: NSPCC logs its own (IPS) families, the SAU log was designed for SAU families.
SOURCE_ARMS = {"randomisation": ARMS, "questionnaire": ARMS, "nspcc_activity": ("IPS",), "sau_log": ("SAU",),
               "unit_costs": ARMS}
FORMATS = ("csv", "survey_csv", "sav", "xlsx", "parquet", "folder")
EXTENSION_FORMATS = {".csv": "csv", ".sav": "sav", ".xlsx": "xlsx", ".parquet": "parquet"}
PRICE_YEAR = re.compile(r"^\d{4}/\d{2}$")
MEMORY_SIZE = re.compile(r"^(\d+(?:\.\d+)?)\s*(B|KB|MB|GB|TB|KIB|MIB|GIB|TIB)$", re.IGNORECASE)
# DuckDB's units: KB is 1000 bytes, KiB 1024
SIZE_UNITS = {"B": 1, "KB": 1e3, "MB": 1e6, "GB": 1e9, "TB": 1e12,
              "KIB": 2 ** 10, "MIB": 2 ** 20, "GIB": 2 ** 30, "TIB": 2 ** 40}
DEFAULT_MEMORY_LIMIT = "2GB"

# section -> key -> (type, default). Defaults of None mean "required" only where noted in validate.
SCHEMA: dict[str, dict[str, tuple[type | tuple[type, ...], Any]]] = {
    "study": {"name": (str, "PfC study"), "target_price_year": (str, "2023/24")},
    # sheet: the worksheet of an .xlsx source (needed only when several sheets hold data);
    # version: unit_costs only, a frozen library shipped in unit_costs/versions/<version>/
    # arms: which arms a provider source covers, per study (docs/costing.md "Like for like"); default
    # SOURCE_ARMS. The base case costs a category from a source only if it covers both arms.
    "source": {"path": (str, None), "format": (str, None), "enabled": (bool, True), "sheet": (str, None),
               "version": (str, None), "arms": (list, None)},
    "periods": {
        "baseline_recall_months": (int, 3),
        "followup_min_months": (int, 3),
        "followup_max_months": (int, 6),
        # One window for costs and outcomes (docs/costing.md "One window"): "observed" runs from
        # the day after randomisation to the first valid follow-up questionnaire (or randomisation
        # + followup_max_months without one); "fixed" runs analysis_horizon_months from randomisation.
        "analysis_horizon": (str, "observed"),
        "analysis_horizon_months": (int, 6),
    },
    # DuckDB's memory_limit: bounded by default so that a large trial spills to the run's own
    # temporary folder instead of filling the machine (DuckDB's own default is 80% of RAM).
    # reuse_staged: copy the staged sources of a previous run with the same inputs (staged_reuse.py)
    # temp_directory: an existing folder (a scratch disk) to spill into instead of the build folder
    "run": {"threads": (int, 0), "memory_limit": (str, DEFAULT_MEMORY_LIMIT), "reuse_staged": (bool, True),
            "temp_directory": (str, "")},
    # exports/: csv = "auto" (every mart and audit that fits an Excel sheet; larger tables are
    # Parquet only), "all" or "none". Parquet and the Stata .dta are always written.
    # sort_max_rows: a longer table is exported in stored order, not sorted (exports.py)
    "exports": {"csv": (str, "auto"), "sort_max_rows": (int, SORT_MAX_ROWS)},
    # Outcome scoring. Defaults are cited in instruments/: ghq12_rules.toml [caseness.default]
    # (>= 4, HSE 2012), bcap_rules.toml [cutoffs.default] (12) and [cutoffs.sensitive] (9).
    "outcomes": {
        "mapping": (str, "kelly_2023"),
        "index_child_rule": (str, "youngest_under_5"),
        "ghq_caseness_threshold": (int, 4),
        "cghq_caseness_threshold": (int, 4),       # ghq12_rules.toml [caseness.cghq] (Donath 2001)
        "bcap_cutoff": (int, 12),
        "bcap_cutoff_sensitive": (int, 9),
        "bcap_key_file": (str, "bcap_key_synthetic.csv"),
    },
    # Costing choices. None means "the unit-cost library's default" (unit_costs/settings.toml),
    # filled in by parse_config so the run records the value it actually used.
    "costing": {
        "unit_cost_variants": (dict, {}),          # unit_cost_code -> variant (sensitivity); else base
        "source_priority": (dict, {                # priority group -> sources, first present wins
            "ips_intervention": ["nspcc_activity"],
            "social_work": ["sau_log", "questionnaire"],
            # placements, child protection plans, care proceedings: the child's social worker logs them
            # authoritatively; like for like still applies (docs/costing.md "Children in care")
            "children_in_care": ["sau_log", "questionnaire"],
            "other": ["questionnaire"],
        }),
        "parent_report_only": (bool, False),       # sensitivity: social work from parent report for all
        "social_work_codes": (list, ["social_worker_visit", "cin_meeting", "child_protection_conference"]),
        "non_contact_allowance": ((int, float), None),
        # Sensitivity: per-role allowances from the library's published ratios (settings.toml
        # [non_contact_time.sensitivity] apply_*_ratio_to); replaces non_contact_allowance by role.
        "non_contact_ratios": (bool, False),
        "non_contact_role_allowances": (dict, None),   # filled from the library; role -> allowance
        "contact_activities": (list, None),            # NSPCC activities the allowance multiplies
        # Two respondents in one family: which response costs the family-level and child-level
        # services (docs/costing.md "Two respondents"): first_response or most_complete.
        "respondent_rule": (str, "first_response"),
        # Sensitivity: a log that covers one arm costs its category in that arm (parent report in the
        # other), instead of parent report for both arms (docs/costing.md "Like for like").
        "arm_specific_logs": (bool, False),
        # Transfers (code_map.csv is_transfer: cash, vouchers) cancel in these perspectives and count
        # in the others (docs/costing.md "Transfers"); [] counts them everywhere (a sensitivity).
        "transfers_cancel_in": (list, ["societal"]),
        "source_arms": (dict, None),                   # filled from [sources.<name>] arms; source -> arms
        "site_multipliers": (dict, None),
        "dna_contact_share": ((int, float), None),
        "dna_travel_share": ((int, float), None),
        "cancelled_contact_share": ((int, float), None),
        "cancelled_travel_share": ((int, float), None),
        "extrapolate_follow_up_recall": (bool, False),
        # Sensitivity: a service whose gate and quantity were both left blank is read as not used
        # (the feasibility report's reading of completion fatigue). Default: missing (design rule).
        "blank_gate_as_zero": (bool, False),
    },
    # Cost-effectiveness analysis (pfc-econ cea). Thresholds: NICE's £20,000-£30,000 per QALY
    # (PMG36 2022, carried from PMG9 2013 §6.3); n_imputations: White, Royston & Wood 2011 §7;
    # the CEAC grid and seed are presentation choices. base_case_missing_data: how the base case
    # treats missing costs and effects (MI Boot, Schomaker & Heumann 2018, of the missing cost
    # components = component_imputation, Faria et al. 2014; of totals = multiple_imputation).
    # sensitivity: analyses reported as rows of one table (see docs/cea.md for the names); those
    # starting "rerun:" re-run the pipeline with a modified config and are slower.
    "cea": {
        "thresholds": (list, [20000, 30000]),
        # Parent years of full capability (ICECAP-A) have no accepted threshold: an illustrative,
        # labelled range (assumption), never the QALY thresholds.
        "capability_thresholds": (list, [10000, 30000, 50000]),
        "capability_grid_max": ((int, float), 100000),
        "capability_grid_step": ((int, float), 2000),
        # n_bootstrap: joint draws; under multiple imputation n_bootstrap / n_imputations
        # bootstrap replicates of each imputed data set.
        "n_bootstrap": (int, 10000),
        "n_imputations": (int, 20),
        "seed": (int, 20240601),
        "threshold_grid_max": ((int, float), 50000),
        "threshold_grid_step": ((int, float), 1000),
        "suppress_below": (int, 5),
        "base_case_perspective": (str, "nhs_pss"),
        "base_case_missing_data": (str, "component_imputation"),
        # Population EVPI: families a year who would face the decision and the decision horizon
        # are illustrative assumptions (set them for the decision at hand); discounting at 3.5% a
        # year for costs and effects: NICE Guide to the Methods of Technology Appraisal (2008)
        # §5.6.2, as quoted by ScHARR HEDS blog 5 Aug 2011 (secondary); NICE's reference case since.
        # MNAR tipping point (Leurent et al. 2018): shifts of one arm's imputed values, the cost as
        # a proportion of the imputed cost, the effect in its own units; the grid is a presentation choice.
        "mnar_cost_deltas": (list, [-0.2, 0.0, 0.2, 0.5, 1.0]),
        "mnar_effect_deltas": (list, [-0.02, -0.01, 0.0, 0.01]),
        "evpi_population_per_year": ((int, float), 1000),
        "evpi_horizon_years": (int, 10),
        "discount_rate": ((int, float), 0.035),
        "sensitivity": (list, ["perspective:public_sector", "perspective:societal",
                               "effect:parent_yfc", "missing_data:multiple_imputation",
                               "missing_data:complete_case", "cost_model:glm_gamma", "cost_model:two_part",
                               "subgroup:site=Bromley", "subgroup:site=Glasgow",
                               "subgroup:age=0-23", "subgroup:age=24-59"]),
    },
}
INDEX_CHILD_RULES = ("youngest_under_5", "all_under_5_sum", "all_under_5_mean")
ANALYSIS_HORIZONS = ("observed", "fixed")
RESPONDENT_RULES = ("first_response", "most_complete")


@dataclass(frozen=True)
class SourceConfig:
    """One source: where it is, its format, and whether the run should read it."""

    name: str
    path: Path | None
    format: str | None
    is_enabled: bool
    sheet: str | None = None
    arms: tuple[str, ...] = ARMS


@dataclass(frozen=True)
class StudyConfig:
    """A validated study config. Paths are absolute."""

    path: Path
    name: str
    target_price_year: str
    sources: dict[str, SourceConfig]
    periods: dict[str, int]
    run: dict[str, Any]
    raw: dict[str, Any] = field(repr=False)
    extra: dict[str, dict[str, Any]] = field(default_factory=dict, repr=False)

    def settings(self, section: str) -> dict[str, Any]:
        """A validated section with its defaults filled in (periods, run, and later sections)."""
        if section == "periods":
            return self.periods
        if section == "run":
            return self.run
        return self.extra.get(section, {})


def _check_keys(section: str, table: dict, schema_key: str) -> dict[str, Any]:
    schema = SCHEMA[schema_key]
    out = {}
    for key, value in table.items():
        if key not in schema:
            raise ConfigError(
                f"[{section}] unknown key '{key}' (expected one of: {', '.join(schema)})"
            )
        kind, _ = schema[key]
        is_number = kind is int or (isinstance(kind, tuple) and int in kind)
        if is_number and isinstance(value, bool) or not isinstance(value, kind):
            raise ConfigError(
                f"[{section}] {key} = {value!r}: expected {getattr(kind, '__name__', kind)}"
            )
        out[key] = value
    for key, (_, default) in schema.items():
        out.setdefault(key, default.copy() if isinstance(default, (dict, list)) else default)
    return out


def _costing_defaults(costing: dict[str, Any], library: Path | None) -> dict[str, Any]:
    """Fill library defaults (non-contact allowance, DNA rule, site multipliers) and check ranges."""
    from .unit_cost_library import library_costing_defaults
    out = dict(costing)
    for key, value in library_costing_defaults(library).items():
        if out.get(key) is None:
            out[key] = value
    for key in ("dna_contact_share", "dna_travel_share", "cancelled_contact_share", "cancelled_travel_share"):
        if not 0 <= out[key] <= 1:
            raise ConfigError(f"[costing] {key} = {out[key]}: expected a share from 0 to 1")
    if out["non_contact_allowance"] < 0:
        raise ConfigError(f"[costing] non_contact_allowance = {out['non_contact_allowance']}: expected 0 or more")
    if out["respondent_rule"] not in RESPONDENT_RULES:
        raise ConfigError(f"[costing] respondent_rule = {out['respondent_rule']!r}: "
                          f"expected one of {', '.join(RESPONDENT_RULES)}")
    if any(p not in CEA_PERSPECTIVES for p in out["transfers_cancel_in"]):
        raise ConfigError(f"[costing] transfers_cancel_in = {out['transfers_cancel_in']!r}: "
                          f"expected perspectives from {', '.join(CEA_PERSPECTIVES)}")
    if not out["non_contact_ratios"]:
        out["non_contact_role_allowances"] = {}
    for role, value in out["non_contact_role_allowances"].items():
        if not isinstance(value, (int, float)) or isinstance(value, bool) or value < 0:
            raise ConfigError(f"[costing] non_contact_role_allowances.{role} = {value!r}: expected 0 or more")
    for site, value in out["site_multipliers"].items():
        if not isinstance(value, (int, float)) or isinstance(value, bool) or value <= 0:
            raise ConfigError(f"[costing] site_multipliers.{site} = {value!r}: expected a positive number")
    # a group the study's source_priority leaves out keeps its default order: never left uncosted
    out["source_priority"] = SCHEMA["costing"]["source_priority"][1] | out["source_priority"]
    for group, sources in out["source_priority"].items():
        if not isinstance(sources, list) or any(s not in SOURCES for s in sources):
            raise ConfigError(f"[costing] source_priority.{group} = {sources!r}: expected a list of sources")
    return out


CEA_MISSING_DATA = ("component_imputation", "multiple_imputation", "complete_case")
CEA_PERSPECTIVES = ("nhs_pss", "public_sector", "societal")


def _check_cea(cea: dict[str, Any]) -> None:
    """Ranges of the [cea] section; sensitivity names are checked by pfc_econ.cea.specs."""
    thresholds = cea["thresholds"]
    if not thresholds or any(isinstance(t, bool) or not isinstance(t, (int, float)) or t < 0 for t in thresholds):
        raise ConfigError(f"[cea] thresholds = {thresholds!r}: expected a list of non-negative numbers")
    for key, low in (("n_bootstrap", 2), ("n_imputations", 2), ("suppress_below", 0), ("seed", 0)):
        if cea[key] < low:
            raise ConfigError(f"[cea] {key} = {cea[key]}: expected {low} or more")
    for key in ("mnar_cost_deltas", "mnar_effect_deltas"):
        if not all(isinstance(d, (int, float)) and not isinstance(d, bool) for d in cea[key]):
            raise ConfigError(f"[cea] {key} = {cea[key]!r}: expected a list of numbers")
    if any(d <= -1 for d in cea["mnar_cost_deltas"]):
        raise ConfigError("[cea] mnar_cost_deltas: a proportional shift must be above -1 (costs stay non-negative)")
    capability = cea["capability_thresholds"]
    if not all(isinstance(t, (int, float)) and t >= 0 for t in capability):
        raise ConfigError(f"[cea] capability_thresholds = {capability!r}: expected a list of non-negative numbers")
    if not 0 < cea["capability_grid_step"] <= cea["capability_grid_max"]:
        raise ConfigError("[cea] capability_grid_step must be positive and at most capability_grid_max")
    if cea["evpi_population_per_year"] < 0 or cea["evpi_horizon_years"] < 0 or not 0 <= cea["discount_rate"] < 1:
        raise ConfigError("[cea] evpi_population_per_year and evpi_horizon_years must be non-negative and "
                          "discount_rate between 0 and 1")
    if not 0 < cea["threshold_grid_step"] <= cea["threshold_grid_max"]:
        raise ConfigError("[cea] threshold_grid_step must be positive and at most threshold_grid_max")
    if cea["base_case_missing_data"] not in CEA_MISSING_DATA:
        raise ConfigError(f"[cea] base_case_missing_data = {cea['base_case_missing_data']!r}: "
                          f"expected one of {', '.join(CEA_MISSING_DATA)}")
    if cea["base_case_perspective"] not in CEA_PERSPECTIVES:
        raise ConfigError(f"[cea] base_case_perspective = {cea['base_case_perspective']!r}: "
                          f"expected one of {', '.join(CEA_PERSPECTIVES)}")
    from .cea.specs import parse_sensitivity
    for name in cea["sensitivity"]:
        try:
            parse_sensitivity(name)
        except ValueError as exc:
            raise ConfigError(f"[cea] sensitivity: {exc}") from None


def _library_version_folder(section: str, values: dict[str, Any]) -> Path:
    """The frozen unit-cost library ``unit_costs/versions/<version>/`` (see unit_costs/README.md)."""
    version = values["version"]
    if section != "sources.unit_costs":
        raise ConfigError(f"[{section}] version: only [sources.unit_costs] has library versions")
    if values["path"] is not None:
        raise ConfigError(f"[{section}] set either path or version, not both")
    from .unit_cost_library import library_versions
    current, frozen = library_versions()
    if version == current:
        return UNIT_COSTS_DIR
    if version not in frozen:
        raise ConfigError(f"[{section}] version = {version!r}: no such unit-cost library "
                          f"(current {current}; frozen: {', '.join(frozen) or 'none'})")
    return UNIT_COSTS_DIR / "versions" / version


def _source(name: str, table: dict, base: Path) -> SourceConfig:
    section = f"sources.{name}"
    values = _check_keys(section, table, "source")
    path = values["path"]
    arms = tuple(values["arms"]) if values["arms"] is not None else SOURCE_ARMS[name]
    if not arms or any(a not in ARMS for a in arms):
        raise ConfigError(f"[{section}] arms = {values['arms']!r}: expected a list of {', '.join(ARMS)}")
    if not values["enabled"]:
        return SourceConfig(name, None, values["format"], False, arms=arms)
    if values["version"] is not None:
        return SourceConfig(name, _library_version_folder(section, values), "folder", True, arms=arms)
    if path is None:
        if name == "unit_costs":
            return SourceConfig(name, UNIT_COSTS_DIR, "folder", True, arms=arms)
        raise ConfigError(f"[{section}] path is required (or set enabled = false)")
    resolved = (base / path).resolve()
    if not resolved.exists():
        raise ConfigError(f"[{section}] path = {path!r}: no such file or folder ({resolved})")
    fmt = values["format"]
    if fmt is None:
        fmt = "folder" if resolved.is_dir() else EXTENSION_FORMATS.get(resolved.suffix.lower())
        if fmt is None:
            raise ConfigError(f"[{section}] format: cannot tell the format of {path!r}; set format")
    if fmt not in FORMATS:
        raise ConfigError(f"[{section}] format = {fmt!r}: expected one of {', '.join(FORMATS)}")
    # a source whose contract names its tables' files (the unit-cost library) is read from a folder;
    # every other source from one file
    wants_folder = any(t.file for t in load_contracts()[name].tables)
    reads = "a folder" if wants_folder else "one file"
    if resolved.is_dir() != wants_folder:
        raise ConfigError(f"[{section}] path = {path!r} is {'a folder' if resolved.is_dir() else 'a file'}; this "
                          f"source is read from {reads} ({resolved})")
    if (fmt == "folder") != wants_folder:
        raise ConfigError(f"[{section}] format = {fmt!r}: this source is read from {reads}")
    return SourceConfig(name, resolved, fmt, True, values["sheet"], arms=arms)


def memory_bytes(size: str) -> float:
    """A memory_limit as bytes: '2GB' -> 2e9, '500MiB' -> 524288000."""
    found = MEMORY_SIZE.match(size.strip())
    return float(found[1]) * SIZE_UNITS[found[2].upper()]


def load_config(path: str | Path) -> StudyConfig:
    """Read and validate a study config; raise ConfigError naming the key on any problem."""
    path = Path(path)
    if not path.is_file():
        raise ConfigFileNotFoundError(f"config file not found: {path}")
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    return parse_config(raw, path)


def parse_config(raw: dict[str, Any], path: Path) -> StudyConfig:
    """Validate an already-parsed config dict (paths resolve against ``path``'s folder)."""
    known = {"sources"} | set(SCHEMA) - {"source"}
    for key in raw:
        if key not in known:
            raise ConfigError(f"unknown section [{key}] (expected one of: {', '.join(sorted(known))})")
    base = path.resolve().parent
    study = _check_keys("study", raw.get("study", {}), "study")
    if not PRICE_YEAR.match(study["target_price_year"]):
        raise ConfigError(
            f"[study] target_price_year = {study['target_price_year']!r}: expected a financial year like '2023/24'"
        )
    tables = raw.get("sources", {})
    for name in tables:
        if name not in SOURCES:
            raise ConfigError(f"[sources.{name}] unknown source (expected one of: {', '.join(SOURCES)})")
    sources = {}
    for name in SOURCES:
        if name not in tables and name not in OPTIONAL_SOURCES + ("unit_costs",):
            raise ConfigError(f"[sources.{name}] is required")
        table = tables.get(name, {} if name == "unit_costs" else {"enabled": False})
        if not isinstance(table, dict):
            raise ConfigError(f"[sources.{name}] must be a table")
        sources[name] = _source(name, table, base)
    for name in SOURCES:
        if name not in OPTIONAL_SOURCES and not sources[name].is_enabled:
            raise ConfigError(f"[sources.{name}] enabled = false: this source is required")
    periods = _check_keys("periods", raw.get("periods", {}), "periods")
    if periods["analysis_horizon"] not in ANALYSIS_HORIZONS:
        raise ConfigError(f"[periods] analysis_horizon = {periods['analysis_horizon']!r}: "
                          f"expected one of {', '.join(ANALYSIS_HORIZONS)}")
    for key, value in periods.items():
        if isinstance(value, int) and not 0 < value <= 24:
            raise ConfigError(f"[periods] {key} = {value}: expected 1 to 24 months")
    if periods["followup_min_months"] > periods["followup_max_months"]:
        raise ConfigError("[periods] followup_min_months is greater than followup_max_months")
    extra = {section: _check_keys(section, raw.get(section, {}), section)
             for section in SCHEMA if section not in ("study", "source", "periods", "run")}
    rule = extra["outcomes"]["index_child_rule"]
    if rule not in INDEX_CHILD_RULES:
        raise ConfigError(f"[outcomes] index_child_rule = {rule!r}: expected one of {', '.join(INDEX_CHILD_RULES)}")
    from .reference_data import resolve_bcap_key, resolve_mapping
    for key in ("mapping", "bcap_key_file"):  # a file path is relative to the config's folder
        value = extra["outcomes"][key]
        if value.endswith((".toml", ".csv")) and (base / value).is_file():
            extra["outcomes"][key] = str((base / value).resolve())
    try:
        resolve_mapping(extra["outcomes"]["mapping"])
        resolve_bcap_key(extra["outcomes"]["bcap_key_file"])
    except ValueError as exc:
        raise ConfigError(f"[outcomes] {exc}") from None
    _check_cea(extra["cea"])
    if extra["exports"]["csv"] not in CSV_CHOICES:
        raise ConfigError(f"[exports] csv = {extra['exports']['csv']!r}: expected one of {', '.join(CSV_CHOICES)}")
    if extra["exports"]["sort_max_rows"] < 0:
        raise ConfigError(f"[exports] sort_max_rows = {extra['exports']['sort_max_rows']}: expected 0 or more "
                          "(the most rows a table may have to be exported sorted)")
    extra["costing"] = _costing_defaults(extra["costing"], sources["unit_costs"].path)
    extra["costing"]["source_arms"] = {name: list(src.arms) for name, src in sources.items()}
    run = _check_keys("run", raw.get("run", {}), "run")
    if run["threads"] < 0:
        raise ConfigError(f"[run] threads = {run['threads']}: expected 0 (all cores) or more")
    run["memory_limit"] = run["memory_limit"].strip() or DEFAULT_MEMORY_LIMIT
    if not MEMORY_SIZE.match(run["memory_limit"]):
        raise ConfigError(f"[run] memory_limit = {run['memory_limit']!r}: expected a size such as "
                          f"'{DEFAULT_MEMORY_LIMIT}', '500MB' or '8GB'")
    if run["temp_directory"].strip():
        spill = (base / run["temp_directory"]).resolve()
        if not spill.is_dir():
            raise ConfigError(f"[run] temp_directory = {run['temp_directory']!r}: no such folder ({spill}); the run "
                              f"spills into a new folder inside it, which it removes")
        run["temp_directory"] = str(spill)
    return StudyConfig(
        path=path.resolve(),
        name=study["name"],
        target_price_year=study["target_price_year"],
        sources=sources,
        periods=periods,
        run=run,
        raw=raw,
        extra=extra,
    )


def parse_cea_settings(raw: dict[str, Any]) -> dict[str, Any]:
    """The validated ``[cea]`` section of a raw config dict (e.g. manifest.json's ``config``)."""
    cea = _check_keys("cea", raw.get("cea", {}), "cea")
    _check_cea(cea)
    return cea
