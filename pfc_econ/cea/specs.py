"""Which analyses the CEA runs: the base case and each sensitivity analysis, from ``[cea]`` config.

Each sensitivity analysis changes exactly one thing from the base case and is named in the
``[cea] sensitivity`` list:

| name | what changes |
| --- | --- |
| ``perspective:public_sector``, ``perspective:societal`` | the costing perspective |
| ``effect:parent_yfc`` | effect = parent years of full capability (ICECAP-A) instead of child QALYs |
| ``missing_data:complete_case`` / ``missing_data:multiple_imputation`` (totals) / ``missing_data:component_imputation`` | the missing-data method |
| ``subgroup:site=NAME``, ``subgroup:age=LOW-HIGH`` | families of one site, or whose index child was LOW to HIGH months old at baseline |
| ``cost_model:glm_gamma``, ``cost_model:two_part`` | incremental cost from a gamma GLM (log link) or a two-part model |
| ``rerun:parent_report_only`` | social work costed from parent report in both arms (pipeline re-run) |
| ``rerun:blank_gate_as_zero`` | a service with gate and count both blank read as not used (pipeline re-run) |
| ``rerun:mapping=NAME`` | PedsQL-to-CHU9D mapping (pipeline re-run), e.g. ``rerun:mapping=kelly_2023`` |
| ``rerun:index_child_rule=RULE`` | index-child rule (pipeline re-run), e.g. ``all_under_5_mean`` |
| ``rerun:unit_cost_variant=CODE:VARIANT`` | one unit cost's variant (pipeline re-run) |
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

PERSPECTIVES = ("nhs_pss", "public_sector", "societal")
EFFECTS = {"child_qaly": "child QALYs", "parent_yfc": "parent years of full capability"}
MISSING_DATA = ("component_imputation", "multiple_imputation", "complete_case")
MISSING_DATA_LABELS = {"component_imputation": "multiple imputation of the missing cost components",
                       "multiple_imputation": "multiple imputation of total costs",
                       "complete_case": "complete case"}
INDEX_CHILD_RULES = ("youngest_under_5", "all_under_5_sum", "all_under_5_mean")
BASE_CASE = "base_case"
COST_MODELS = {"glm_gamma": "GLM, gamma family, log link", "two_part": "two-part (logit for any cost, gamma GLM log link)"}


@dataclass(frozen=True)
class AnalysisSpec:
    """One analysis: perspective, effect, missing-data method and (for re-runs) config changes.

    Fields:
        name: ``base_case`` or the sensitivity name from the config.
        perspective: costing perspective of the follow-up and baseline costs.
        effect: ``child_qaly`` or ``parent_yfc``.
        missing_data: ``multiple_imputation`` or ``complete_case``.
        config_changes: (section, key, value) edits to the run's config; empty = no re-run.
        description: one line for the tables.
        subgroup: ('site', NAME) or ('age', 'LOW-HIGH') (index child's age in months at
            baseline, inclusive); empty = every family.
        cost_model: 'ols' (the base case), 'glm_gamma' or 'two_part' (``cost_models.py``).
    """

    name: str
    perspective: str
    effect: str
    missing_data: str
    config_changes: tuple[tuple[str, str, Any], ...] = field(default=())
    description: str = ""
    subgroup: tuple[str, str] = ()
    cost_model: str = "ols"

    @property
    def needs_rerun(self) -> bool:
        """True when the analysis needs the pipeline re-run with a modified config."""
        return bool(self.config_changes)


def build_base_case(cea: dict[str, Any]) -> AnalysisSpec:
    """The base case: configured perspective (nhs_pss), child QALYs, configured missing-data method."""
    method = cea["base_case_missing_data"]
    return AnalysisSpec(BASE_CASE, cea["base_case_perspective"], "child_qaly", method, (),
                        f"base case: {cea['base_case_perspective']} perspective, child QALYs, "
                        f"{MISSING_DATA_LABELS[method]}, adjusted for baseline and site")


def parse_sensitivity(name: str, base: AnalysisSpec | None = None) -> AnalysisSpec:
    """The AnalysisSpec of a sensitivity name (see the module docstring); ValueError if unknown."""
    base = base or AnalysisSpec(BASE_CASE, "nhs_pss", "child_qaly", "component_imputation")
    kind, _, value = str(name).partition(":")
    if kind == "perspective" and value in PERSPECTIVES:
        return replace(base, name=name, perspective=value, description=f"perspective: {value}")
    if kind == "effect" and value in EFFECTS:
        return replace(base, name=name, effect=value, description=f"effect: {EFFECTS[value]}")
    if kind == "missing_data" and value in MISSING_DATA:
        return replace(base, name=name, missing_data=value, description=f"missing data: {MISSING_DATA_LABELS[value]}")
    if kind == "subgroup":
        key, _, setting = value.partition("=")
        low, _, high = setting.partition("-")
        if key == "site" and setting:
            return replace(base, name=name, subgroup=("site", setting), description=f"subgroup: site {setting}")
        if key == "age" and low.isdigit() and high.isdigit() and int(low) <= int(high):
            return replace(base, name=name, subgroup=("age", setting),
                           description=f"subgroup: index child aged {low} to {high} months at baseline")
    if kind == "cost_model" and value in COST_MODELS:
        return replace(base, name=name, cost_model=value, description=f"cost model: {COST_MODELS[value]}")
    if kind == "rerun":
        key, _, setting = value.partition("=")
        if key == "parent_report_only" and not setting:
            return replace(base, name=name, config_changes=(("costing", "parent_report_only", True),),
                           description="social work costed from parent report in both arms")
        if key == "blank_gate_as_zero" and not setting:
            return replace(base, name=name, config_changes=(("costing", "blank_gate_as_zero", True),),
                           description="a service with gate and count both blank read as not used")
        if key == "mapping" and setting:
            return replace(base, name=name, config_changes=(("outcomes", "mapping", setting),),
                           description=f"PedsQL-to-CHU9D mapping: {setting}")
        if key == "index_child_rule" and setting in INDEX_CHILD_RULES:
            return replace(base, name=name, config_changes=(("outcomes", "index_child_rule", setting),),
                           description=f"index child rule: {setting}")
        code, _, variant = setting.partition(":")
        if key == "unit_cost_variant" and code and variant:
            return replace(base, name=name, config_changes=(("costing", "unit_cost_variants", {code: variant}),),
                           description=f"unit cost {code}: variant {variant}")
    raise ValueError(
        f"unknown sensitivity analysis {name!r} (expected perspective:{'|'.join(PERSPECTIVES)}, "
        f"effect:{'|'.join(EFFECTS)}, missing_data:{'|'.join(MISSING_DATA)}, subgroup:site=NAME, "
        f"subgroup:age=LOW-HIGH (months), cost_model:{'|'.join(COST_MODELS)}, rerun:parent_report_only, "
        "rerun:blank_gate_as_zero, rerun:mapping=NAME, rerun:index_child_rule=RULE, rerun:unit_cost_variant=CODE:VARIANT)")


def build_analysis_specs(cea: dict[str, Any]) -> list[AnalysisSpec]:
    """The base case followed by each configured sensitivity analysis, in config order."""
    base = build_base_case(cea)
    return [base] + [parse_sensitivity(name, base) for name in cea["sensitivity"]]
