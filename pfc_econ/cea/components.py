"""The parts of each family's follow-up cost: what is known, what is unknown, what is zero by design.

Read from the results database for one perspective (items of the perspective's sectors, as
``fct_family_cost_breakdown`` selects them):

- ``items``: the follow-up questionnaire items (one row per family × person × resource code):
  quantity (null when the respondent left it unknown), price per unit of quantity
  (multiplier × unit cost) and cost.
- per family: ``record_cost`` (records: NSPCC activity, SAU log — always known), the known
  questionnaire cost, whether a follow-up questionnaire exists, and the cell counts of the
  cost composition: family × cost category cells observed, structurally zero (no source of the
  family covers the category: e.g. IPS delivery for an SAU family) or imputed (an unknown item
  in the cell, or a questionnaire category of a family without a follow-up questionnaire).
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd

ITEMS_SQL = """
with sectors as (
    select sector from stg_perspectives where perspective = $perspective and is_included
)
select family_id, person_id, resource_code, quantity, multiplier * unit_cost_gbp as price_gbp, cost_gbp,
       category, missing_reason
from fct_resource_use
where is_selected and period = 'follow_up' and source = 'questionnaire'
  and (sector is null or sector in (select sector from sectors))
order by family_id, resource_code, person_id
"""

CELLS_SQL = """
with cells as (
    select family_id, category, bool_or(source = 'questionnaire') as from_questionnaire,
           sum(cost_gbp) filter (where source <> 'questionnaire') as record_cost_gbp,
           sum(n_items_without_cost) as n_unknown
    from fct_family_cost_breakdown
    where period = 'follow_up' and perspective = $perspective
    group by all
),
questionnaire_categories as (
    select distinct category from cells where from_questionnaire
),
all_categories as (
    select distinct category from cells
),
families as (
    select family_id, bool_or(from_questionnaire) as has_questionnaire, coalesce(sum(record_cost_gbp), 0) as record_cost_gbp
    from cells group by all
)
select f.family_id, f.has_questionnaire, f.record_cost_gbp,
       count(*) filter (where c.category is not null and coalesce(c.n_unknown, 0) = 0
                        and (f.has_questionnaire or not q.category is not null)) as n_cells_observed,
       count(*) filter (where c.category is null and not (q.category is not null and not f.has_questionnaire))
           as n_cells_structural_zero,
       count(*) filter (where coalesce(c.n_unknown, 0) > 0
                        or (q.category is not null and not f.has_questionnaire)) as n_cells_imputed
from families as f
cross join all_categories as a
left join cells as c on c.family_id = f.family_id and c.category = a.category
left join questionnaire_categories as q on q.category = a.category
group by all
order by f.family_id
"""


@dataclass(frozen=True)
class CostComponents:
    """The known and unknown parts of one perspective's follow-up costs.

    Fields:
        items: questionnaire items (family_id, person_id, resource_code, quantity, price_gbp,
            cost_gbp, category, missing_reason); quantity NaN = unknown; missing_reason
            'blank_after_yes' when the respondent said yes and left the quantity blank (so it is > 0).
        families: one row per family with any follow-up cost row: family_id, has_questionnaire,
            record_cost_gbp, n_cells_observed, n_cells_structural_zero, n_cells_imputed.
    """

    items: pd.DataFrame
    families: pd.DataFrame


def read_cost_components(con: duckdb.DuckDBPyConnection, perspective: str) -> CostComponents:
    """The cost components of ``perspective`` from a results database."""
    items = con.execute(ITEMS_SQL, {"perspective": perspective}).df()
    items = items.astype({"family_id": object, "person_id": object, "resource_code": object, "category": object,
                          "quantity": float, "price_gbp": float, "cost_gbp": float, "missing_reason": object})
    families = con.execute(CELLS_SQL, {"perspective": perspective}).df().astype({"family_id": object})
    return CostComponents(items, families)


def align_components(components: CostComponents, family_ids: pd.Series) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(families, items) restricted to ``family_ids`` and in their order; absent families get no cells."""
    index = pd.Index(family_ids.astype(object))
    families = components.families.set_index("family_id").reindex(index)
    families["has_questionnaire"] = families["has_questionnaire"].astype("boolean").fillna(False).astype(bool)
    families = families.fillna({"record_cost_gbp": 0.0, "n_cells_observed": 0, "n_cells_structural_zero": 0,
                                "n_cells_imputed": 0})
    items = components.items[components.items["family_id"].isin(index)].copy()
    items["row"] = index.get_indexer(items["family_id"])
    return families.reset_index(names="family_id"), items


def summarise_composition(families: pd.DataFrame, arm: np.ndarray, known_cost: np.ndarray,
                          imputed_cost: np.ndarray) -> dict[str, dict[str, float]]:
    """Per arm: shares of family × category cells observed / structurally zero / imputed, and the
    share of the mean cost that was observed and imputed (mean over imputations)."""
    out = {}
    for name in ("IPS", "SAU"):
        rows = arm == name
        cells = families.loc[rows, ["n_cells_observed", "n_cells_structural_zero", "n_cells_imputed"]].to_numpy(float)
        total_cells = cells.sum()
        mean_imputed = float(imputed_cost[:, rows].mean()) if rows.any() else 0.0
        mean_known = float(known_cost[rows].mean()) if rows.any() else 0.0
        total = mean_known + mean_imputed
        out[name] = {
            "n_families": int(rows.sum()),
            "cells_observed": float(cells[:, 0].sum() / total_cells) if total_cells else 0.0,
            "cells_structurally_zero": float(cells[:, 1].sum() / total_cells) if total_cells else 0.0,
            "cells_imputed": float(cells[:, 2].sum() / total_cells) if total_cells else 0.0,
            "cost_share_observed": mean_known / total if total else 0.0,
            "cost_share_imputed": mean_imputed / total if total else 0.0,
            "mean_cost_observed_gbp": mean_known,
            "mean_cost_imputed_gbp": mean_imputed,
        }
    return out
