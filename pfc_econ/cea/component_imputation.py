"""Imputation at the level where data are missing: unknown item quantities, then the total.

Impute cost data at the level at which they are missing (resource-use items or categories)
rather than as totals, so the known part of a family's cost is used, not thrown away: Briggs,
Clark, Wolstenholme & Clarke (2003) Health Econ 12:377–392 impute missing resource-use counts
item by item; the issue cites Faria, Gomes, Epstein & White (2014) PharmacoEconomics
32(12):1157–1170 for the same recommendation (their guide's bibliographic details verified, this
recommendation not verified here; see docs/cea_references.md). Here, within each arm and for
each of the M imputations:

1. Items (family returned a follow-up questionnaire, some quantities unknown): each unknown
   quantity of resource r is drawn by predictive mean matching (``chains.draw_regression``,
   ``chains.match_donors``) from the same arm's observed quantities of r, with the family's
   known questionnaire cost from its other items (log 1 + GBP) and site as predictors; its
   cost is the donor quantity × the family's own price of r. A quantity left blank after a 'yes'
   (``missing_reason = 'blank_after_yes'``) is known to be positive, so its donors are the
   arm's positive reports of r only; a blank gate and quantity may be zero, so its donors are all
   reports. A partly known family's cost is therefore its known part plus imputed items, never
   less than what is known.
2. Families without a follow-up questionnaire: the questionnaire part of the cost is imputed
   whole, by chained PMM equations together with effect, baseline cost and baseline effect
   (``chains.impute_chains``), with site and the family's record cost (NSPCC activity, SAU log:
   always known) as complete predictors; donors are the families whose questionnaire part is
   complete after step 1 in the same imputation.
3. Total = record cost + questionnaire part. Effect and baselines are imputed in step 2's
   chains for every family.

The imputed part of each total is kept (``ImputedData.imputed_cost``) for the cost composition
and for delta-adjusted (MNAR) analyses.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pfc_econ.cea.chains import (DEFAULT_CYCLES, DEFAULT_DONORS, build_site_dummies, draw_regression, impute_chains,
                                 match_donors)
from pfc_econ.cea.components import CostComponents, align_components, summarise_composition
from pfc_econ.cea.estimates import ARMS
from pfc_econ.cea.mi_boot import IMPUTED_COLUMNS, ImputedData

AFTER_YES = "blank_after_yes"  # fct_resource_use.missing_reason: 'yes' answered, quantity left blank


def plan_items(items: pd.DataFrame, site_dummies: np.ndarray) -> tuple:
    """What ``impute_items`` needs that does not change between imputations: quantities, prices,
    the predictor matrix (intercept, log 1 + known other cost, site) and, per resource with an
    unknown quantity and at least one reported one, the positions of its observed and missing rows."""
    quantity = items["quantity"].to_numpy(float)
    price = items["price_gbp"].to_numpy(float)
    known_other = np.log1p(np.maximum(items["known_other_gbp"].to_numpy(float), 0.0))
    design = np.column_stack([np.ones(len(items)), known_other, site_dummies[items["row"].to_numpy()]])
    codes = items["resource_code"].to_numpy()
    is_unknown = np.isnan(quantity)
    reasons = items["missing_reason"].to_numpy(object) if "missing_reason" in items else np.full(len(items), None)
    after_yes = is_unknown & (reasons == AFTER_YES)
    groups = []
    for code in pd.unique(codes[is_unknown]):
        in_code = codes == code
        # donors: every report of r for a blank that may be zero; positive reports for a 'yes'
        for donor, blank in ((~is_unknown, is_unknown & ~after_yes), (~is_unknown & (quantity > 0), after_yes)):
            observed, missing = np.flatnonzero(in_code & donor), np.flatnonzero(in_code & blank)
            if len(observed) and len(missing):  # no donor in the arm: stays unknown (counted as 0)
                groups.append((observed, missing))
    return quantity, np.nan_to_num(price), design, groups


def impute_items(items: pd.DataFrame, site_dummies: np.ndarray, rng: np.random.Generator,
                 n_donors: int = DEFAULT_DONORS, plan: tuple | None = None) -> np.ndarray:
    """One imputation of the unknown item quantities of one arm: the imputed cost per item row.

    ``items`` has columns row (family position), resource_code, quantity (NaN = unknown),
    price_gbp, cost_gbp, known_other_gbp. Returns the imputed cost of each row (0 where known).
    ``plan``: ``plan_items(items, site_dummies)``, computed once for the M imputations.
    """
    quantity, price, design, groups = plan or plan_items(items, site_dummies)
    imputed = np.zeros(len(items))
    for observed, missing in groups:
        if len(observed) <= design.shape[1]:
            donors = rng.integers(0, len(observed), len(missing))
        else:
            beta_hat, beta_draw = draw_regression(quantity[observed], design[observed], rng)
            donors = match_donors(design[observed] @ beta_hat, design[missing] @ beta_draw, n_donors, rng)
        imputed[missing] = quantity[observed][donors] * price[missing]
    return imputed


def build_item_table(items: pd.DataFrame, n_families: int) -> pd.DataFrame:
    """Items with each family's known questionnaire cost from its other items (known_other_gbp)."""
    known = np.bincount(items["row"].to_numpy(), weights=np.nan_to_num(items["cost_gbp"].to_numpy(float)),
                        minlength=n_families)
    return items.assign(known_other_gbp=known[items["row"].to_numpy()] - np.nan_to_num(items["cost_gbp"].to_numpy(float)))


def impute_components(frame: pd.DataFrame, components: CostComponents, n_imputations: int, rng: np.random.Generator,
                      n_cycles: int = DEFAULT_CYCLES, n_donors: int = DEFAULT_DONORS) -> ImputedData:
    """M completed copies: items, then questionnaire parts with effect and baselines, then totals."""
    n = len(frame)
    families, items = align_components(components, frame["family_id"])
    items = build_item_table(items, n)
    arm = frame["arm"].to_numpy()
    record_cost = families["record_cost_gbp"].to_numpy(float)
    has_questionnaire = families["has_questionnaire"].to_numpy(bool)
    known_questionnaire = np.bincount(items["row"].to_numpy(), weights=np.nan_to_num(items["cost_gbp"].to_numpy(float)),
                                      minlength=n)
    # Questionnaire part: observed where returned (unknown items added per imputation), missing where not.
    is_cost_observed = frame["cost"].notna().to_numpy()
    values = {c: np.repeat(frame[c].to_numpy(float)[None], n_imputations, axis=0) for c in IMPUTED_COLUMNS}
    imputed_cost = np.zeros((n_imputations, n))
    site_dummies = build_site_dummies(frame["site"])
    for name in ARMS:
        rows = np.flatnonzero(arm == name)
        arm_items = items[np.isin(items["row"].to_numpy(), rows)]
        incomplete = arm_items[arm_items["quantity"].isna()]
        plan = plan_items(arm_items, site_dummies) if len(incomplete) else None
        for m in range(n_imputations):
            item_cost = impute_items(arm_items, site_dummies, rng, n_donors, plan) if plan else np.zeros(len(arm_items))
            extra = np.bincount(arm_items["row"].to_numpy(), weights=item_cost, minlength=n)[rows]
            questionnaire = np.where(has_questionnaire[rows], known_questionnaire[rows] + extra, np.nan)
            questionnaire = np.where(is_cost_observed[rows], frame["cost"].to_numpy(float)[rows] - record_cost[rows],
                                     questionnaire)
            block = np.column_stack([questionnaire] + [frame[c].to_numpy(float)[rows] for c in IMPUTED_COLUMNS[1:]])
            predictors = np.column_stack([site_dummies[rows], np.log1p(np.maximum(record_cost[rows], 0.0))])
            completed = impute_chains(block, predictors, 1, rng, n_cycles, n_donors)[0]
            values["cost"][m, rows] = record_cost[rows] + completed[:, 0]
            for j, column in enumerate(IMPUTED_COLUMNS[1:], start=1):
                values[column][m, rows] = completed[:, j]
            imputed_cost[m, rows] = np.where(has_questionnaire[rows] & ~is_cost_observed[rows], extra,
                                             np.where(is_cost_observed[rows], 0.0, completed[:, 0]))
    known_cost = np.where(is_cost_observed, frame["cost"].to_numpy(float),
                          record_cost + np.where(has_questionnaire, known_questionnaire, 0.0))
    n_missing = {c: int(frame[c].isna().sum()) for c in IMPUTED_COLUMNS}
    n_missing["cost_items"] = int(items["quantity"].isna().sum())
    composition = summarise_composition(families, arm, known_cost, imputed_cost)
    return ImputedData(values, imputed_cost, frame["effect"].isna().to_numpy(), n_missing, composition)


def make_component_imputer(components: CostComponents, n_cycles: int = DEFAULT_CYCLES, n_donors: int = DEFAULT_DONORS):
    """An ``mi_boot`` imputer that imputes at component level from ``components``."""
    return lambda frame, n_imputations, rng: impute_components(frame, components, n_imputations, rng, n_cycles, n_donors)
