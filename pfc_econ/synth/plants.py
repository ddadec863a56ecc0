"""Deliberate oddities: the feasibility report's missingness, the provider files' data-entry
faults (for the quarantine to catch) and records just outside the follow-up period.

Every planted value is returned as a dict for truth.json: file, row (1-based data row, header
rows not counted), record id, field, value.
"""

from __future__ import annotations

import numpy as np

from .feasibility import IMPLAUSIBLE_PARENT_AGES
from .questionnaire import BLANK
from .spine import Families

FREE_TEXT = {"home_visit": "Home Visit", "office_visit": "Office visit", "phone": "Phone call",
             "cin_meeting": "CIN mtg", "core_group": "Core Group", "strategy_discussion": "Strategy",
             "review": "Review"}
THERAPY = ("cpp_session", "circle_of_security", "vig_session", "home_visit")


def _plain(v):
    if isinstance(v, np.datetime64):
        return str(v.astype("datetime64[D]"))
    if isinstance(v, np.generic):
        return v.item()
    return v


def _record(file: str, d: dict, id_col: str, row: int, field: str, value, kind: str, note: str) -> dict:
    return {"file": file, "row": int(row) + 1, "record_id": _plain(d[id_col][row]), "field": field,
            "value": _plain(value), "kind": kind, "note": note}


def feasibility_questionnaire(d: dict, rng: np.random.Generator, file: str) -> list[dict]:
    """Implausible parent ages, one GHQ-12 item blank at follow-up, ITSEA for one or two
    under-2s, and at least one BCAP 'not sure'."""
    out = []
    t1 = np.flatnonzero(d["timepoint"] == "T1")
    t2 = np.flatnonzero(d["timepoint"] == "T2")
    for row, age in zip(rng.choice(t1, len(IMPLAUSIBLE_PARENT_AGES), replace=False), IMPLAUSIBLE_PARENT_AGES):
        d["parent_age"][row] = age
        out.append(_record(file, d, "ResponseId", row, "parent_age", age, "implausible",
                           "parent age typed wrongly (below warn_min)"))
    row, item = int(rng.choice(t2)), int(rng.integers(1, 13))
    d[f"ghq_{item}"][row] = BLANK
    out.append(_record(file, d, "ResponseId", row, f"ghq_{item}", None, "missing_item",
                       "the one GHQ-12 item left blank at follow-up"))
    if not any((d[f"bcap_{i}"] == 3).any() for i in range(1, 34)):
        d[f"bcap_{int(rng.integers(1, 34))}"][int(rng.choice(t1))] = 3
    # ITSEA returned for one or two under-2s at baseline only.
    slots = [(r, k) for k in range(1, 7) for r in t1 if 0 <= d[f"{k}_child_age_months"][r] < 24]
    for j in rng.choice(len(slots), min(2, len(slots)), replace=False):
        r, k = slots[int(j)]
        n_items = sum(1 for name in d if name.startswith(f"{k}_itsea_"))
        codes = rng.choice([0, 1, 2], p=[0.6, 0.3, 0.1], size=n_items)
        for i in range(n_items):
            d[f"{k}_itsea_{i + 1}"][r] = codes[i]
        out.append(_record(file, d, "ResponseId", r, f"{k}_itsea_1..{n_items}", "returned", "returned",
                           "ITSEA returned for this under-2"))
    return out


def unused_family_id(families: Families, family_id: str) -> str:
    """The next id on the family's site that is not on the randomisation list (a typo)."""
    prefix, num = family_id.rsplit("-", 1)
    taken = {str(x) for x in families.family_id if str(x).startswith(prefix + "-")}
    n = int(num)
    while True:
        n += 1
        candidate = f"{prefix}-{n:0{len(num)}d}"
        if candidate not in taken:
            return candidate


def nspcc_faults(d: dict, fam: Families, spine: Families, rng, file: str) -> list[dict]:
    out = []
    n = len(d["record_id"])
    if n < 10:
        return out
    _, inverse, counts = np.unique(d["contact_id"].astype(str), return_inverse=True, return_counts=True)
    solo = counts[inverse] == 1
    pool = np.flatnonzero(np.isin(d["activity_type"], THERAPY) & (d["attendance"] == "attended") & solo)
    if len(pool) < 2:
        return out
    neg, typo = (int(x) for x in rng.choice(pool, 2, replace=False))
    d["contact_minutes"][neg] = -d["contact_minutes"][neg]
    out.append(_record(file, d, "record_id", neg, "contact_minutes", d["contact_minutes"][neg], "fault",
                       "negative minutes of contact (minus sign typed)"))
    last = str(spine.family_id[spine.site == fam.site[fam.family_id == d["family_id"][typo]][0]][-1])
    d["family_id"][typo] = unused_family_id(spine, last)
    out.append(_record(file, d, "record_id", typo, "family_id", d["family_id"][typo], "fault",
                       "family id not on the randomisation list"))
    # An assessment dated a few days before randomisation: outside the follow-up period.
    first = int(np.flatnonzero(d["activity_type"] == "assessment")[0])
    fi = int(np.flatnonzero(fam.family_id == d["family_id"][first])[0])
    d["contact_date"][first] = fam.randomised[fi] - 5
    out.append(_record(file, d, "record_id", first, "contact_date", d["contact_date"][first],
                       "outside_followup", "referral assessment 5 days before randomisation"))
    return out


def sau_faults(d: dict, fam: Families, spine: Families, rng, file: str) -> list[dict]:
    out = []
    n = len(d["log_id"])
    if n < 10:
        return out
    # The last contact of a family with a follow-up questionnaire, 12 days after it.
    has_t2 = fam.family_id[~np.isnat(fam.t2)]
    is_contact = np.array([c is None for c in d["child_id"]])      # not a status entry (placement, plan)
    rows = np.flatnonzero(np.isin(d["family_id"].astype(str), has_t2.astype(str)) & is_contact)
    outside = -1
    if len(rows):
        fid = d["family_id"][rows[-1]]
        row = outside = int(np.flatnonzero((d["family_id"] == fid) & is_contact)[-1])
        fi = int(np.flatnonzero(fam.family_id == fid)[0])
        d["contact_date"][row] = fam.window_end[fi] + 12
        out.append(_record(file, d, "log_id", row, "contact_date", d["contact_date"][row],
                           "outside_followup", "contact 12 days after the follow-up questionnaire"))
    typo, free_text = (int(x) for x in rng.choice(np.setdiff1d(np.arange(1, n - 1), [outside]), 2, replace=False))
    last = str(spine.family_id[spine.site == fam.site[fam.family_id == d["family_id"][typo]][0]][-1])
    d["family_id"][typo] = unused_family_id(spine, last)
    out.append(_record(file, d, "log_id", typo, "family_id", d["family_id"][typo], "fault",
                       "family id not on the randomisation list"))
    d["contact_type"][free_text] = FREE_TEXT.get(d["contact_type"][free_text], "Other")
    out.append(_record(file, d, "log_id", free_text, "contact_type", d["contact_type"][free_text], "fault",
                       "free text instead of a contact_type code"))
    return out
