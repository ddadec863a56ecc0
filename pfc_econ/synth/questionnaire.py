"""Parent questionnaire responses, vectorised over a chunk of families.

`responses` returns a dict column -> numpy array (integers with -1 for blank, text as object with
None for blank) holding every column of the layout, one row per response; `to_table` turns it
into a pyarrow table for the writer.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from .layout import Layout
from .spine import LOOP, Families, Profile

BLANK = -1
DAYS_PER_MONTH = 30.4375
SDQ_PROSOCIAL = (1, 4, 9, 17, 20)
SDQ_REVERSED = (7, 11, 14, 21, 25)

# Parent services over a 3-month recall: (probability of any use, extra mean given use, cap).
PARENT_USE = {
    "gp_surgery": (0.55, 1.0, 10), "gp_phone": (0.45, 0.8, 10), "practice_nurse": (0.2, 0.3, 6),
    "midwife": (0.08, 2.0, 12), "nhs111": (0.15, 0.3, 5), "walk_in_centre": (0.08, 0.2, 4),
    "ae_attendance": (0.12, 0.3, 4), "ambulance": (0.03, 0.1, 3), "outpatient": (0.15, 0.6, 8),
    "hospital_admission": (0.03, 0.1, 4), "adult_mental_health": (0.2, 2.0, 14),
    "talking_therapies": (0.15, 3.0, 14), "social_worker_visit": (0.95, 4.0, 20),
    "family_support_worker": (0.35, 3.0, 20), "cin_meeting": (0.6, 0.6, 6),
    "child_protection_conference": (0.12, 0.1, 3), "food_bank": (0.2, 1.0, 8),
    "parenting_programme": (0.12, 4.0, 14), "home_start_volunteer": (0.08, 4.0, 14),
    "domestic_abuse_service": (0.1, 2.0, 12), "police_contact": (0.1, 0.3, 5),
    # ILLUSTRATIVE synthetic rates, an assumption (no published rate was read): about half the
    # families spend something of their own (GBP, whole pounds), a fifth of parents take time off work.
    "out_of_pocket": (0.5, 25.0, 400), "time_off_work": (0.2, 6.0, 80),
}
# Hospital nights follow the admissions drawn just before them (questionnaire_services.csv lists
# hospital_admission first): each admission stays overnight with this probability, then adds
# Poisson extra nights; nights are never drawn apart from admissions (docs/costing.md "Hospital
# stays": nights beyond the first of each admission are excess bed days). ILLUSTRATIVE.
MAX_ADMISSIONS = 8   # admissions given nights (more are costed, their nights not drawn)
NIGHTS_AFTER = {"inpatient": ("hospital_admission", 0.7, {"parent": 1.5, "child": 1.0}, 60)}
# Child services by age band (<24 months, 24-59 months, 5+ years): ((p, extra), ...), cap.
CHILD_USE = {
    "gp_surgery": (((0.55, 0.9), (0.5, 0.8), (0.3, 0.3)), 10),
    "gp_phone": (((0.4, 0.5), (0.35, 0.5), (0.2, 0.2)), 10),
    "health_visitor": (((0.8, 2.0), (0.5, 0.8), (0.0, 0.0)), 12),
    "nhs111": (((0.2, 0.3), (0.15, 0.3), (0.08, 0.1)), 5),
    "walk_in_centre": (((0.1, 0.2), (0.1, 0.2), (0.06, 0.1)), 4),
    "ae_attendance": (((0.15, 0.3), (0.15, 0.3), (0.08, 0.2)), 4),
    "ambulance": (((0.02, 0.0), (0.02, 0.0), (0.01, 0.0)), 3),
    "outpatient": (((0.2, 0.6), (0.15, 0.5), (0.1, 0.4)), 8),
    "hospital_admission": (((0.04, 0.1), (0.03, 0.1), (0.02, 0.1)), 4),
    "camhs": (((0.01, 0.5), (0.02, 1.0), (0.12, 2.0)), 12),
    "speech_language_therapy": (((0.02, 0.5), (0.12, 1.5), (0.06, 1.0)), 10),
    "early_years_setting": (((0.15, 60.0), (0.65, 110.0), (0.0, 0.0)), 300),
    "educational_psychologist": (((0.0, 0.0), (0.02, 0.2), (0.05, 0.5)), 4),
    # Children in care, parent report (nights, days, sets): ILLUSTRATIVE synthetic rates, an assumption
    # (no published rate was read for children of 0-5 with a social worker), the same as the synthetic
    # SAU log's (providers.py) but drawn apart from it, so the two sources disagree child by child as
    # real parent report and logs do: a small share placed (mostly foster care), some on a plan, a few
    # proceedings. Caps keep nights inside a 6-month recall.
    "foster_care": (((0.02, 40.0), (0.02, 40.0), (0.02, 40.0)), 183),
    "kinship_care": (((0.01, 40.0), (0.01, 40.0), (0.01, 40.0)), 183),
    "residential_care": (((0.0015, 30.0), (0.0015, 30.0), (0.0015, 30.0)), 183),
    "child_protection_plan": (((0.12, 60.0), (0.12, 60.0), (0.12, 60.0)), 183),
    "care_proceedings": (((0.02, 0.0), (0.02, 0.0), (0.02, 0.0)), 1),
}
DEFAULT_PARENT_USE = (0.1, 0.5, 6)
# Services asked of every parent but used in one arm only: (arm, probability, extra mean, cap).
# ips_team (contacts with the NSPCC IPS team, never costed: compared with the NSPCC log) is used by IPS
# families at follow-up. ILLUSTRATIVE synthetic rate, an assumption: most IPS families report some
# contact, about as many as the synthetic NSPCC log holds over a 3-month recall.
ARM_ONLY_PARENT_USE = {"ips_team": ("IPS", 0.9, 8.0, 40)}
DEFAULT_CHILD_USE = (((0.1, 0.5), (0.1, 0.5), (0.1, 0.5)), 6)


def _codes(rng, mu: np.ndarray, sd: float, lo: int, hi: int, n_items: int) -> np.ndarray:
    """(n_items, rows) item codes: round(latent + noise) clipped to lo..hi."""
    noise = rng.standard_normal((n_items, len(mu)), dtype=np.float32) * sd
    return np.clip(np.rint(mu[None, :] + noise), lo, hi).astype(np.int16)


def _blank_out(rng, codes: np.ndarray, keep: np.ndarray, profile: Profile,
               item_missing: bool = True) -> np.ndarray:
    """Blank codes where the block does not apply, or was skipped whole or item by item."""
    keep = keep & (rng.random(codes.shape[1]) >= profile.block_missing)
    out = np.where(keep[None, :], codes, BLANK).astype(np.int16)
    if item_missing:  # drawn even at rate 0, so every world consumes the same draws
        out[rng.random(out.shape, dtype=np.float32) < profile.item_missing] = BLANK
    return out


def _quantity(rng, p: np.ndarray, extra: np.ndarray, cap: int, recall: np.ndarray,
              treated: np.ndarray, factor: float) -> np.ndarray:
    """Count used over the recall period; IPS at follow-up thinned (or grown) by `factor`."""
    scale = recall / 3.0
    any_use = rng.random(len(p)) < 1.0 - (1.0 - p) ** scale
    frailty = rng.gamma(2.0, 0.5, size=len(p))
    qty = np.where(any_use, 1 + rng.poisson(extra * scale * frailty), 0)
    qty = np.minimum(qty, cap)
    if factor != 1.0:  # drawn for every row, treated or not: common random numbers across worlds
        whole, frac = int(np.floor(factor)), factor - np.floor(factor)
        effect = whole * qty + rng.binomial(qty, frac)
        qty = np.where(treated, effect, qty)
    return qty


def _nights(rng, admissions: np.ndarray, overnight: float, extra: float, cap: int) -> np.ndarray:
    """Nights of the admissions drawn: each admission overnight with probability `overnight`, plus
    Poisson(extra) further nights per overnight admission. The draws are the same whatever the
    admissions (a fixed block per row), so the counterfactual worlds keep common random numbers."""
    u = rng.random((MAX_ADMISSIONS, len(admissions)))
    more = rng.poisson(extra, size=(MAX_ADMISSIONS, len(admissions)))
    stay = (u < overnight) & (np.arange(MAX_ADMISSIONS)[:, None] < admissions[None, :])
    return np.minimum((stay * (1 + more)).sum(axis=0), cap)


def _gate(rng, qty: np.ndarray, asked: np.ndarray, profile: Profile) -> tuple[np.ndarray, np.ndarray]:
    """The yes/no gate and the quantity as a respondent fills them in (blank is not zero)."""
    used = qty > 0
    gate = np.where(used, 1, 2).astype(np.int16)
    out = qty.astype(np.int16)
    u, v = rng.random(len(qty)), rng.random(len(qty))
    out[~used & (u < profile.zero_qty_blank)] = BLANK
    skipped = ~used & (v < profile.gate_blank)
    gate[skipped] = BLANK
    out[skipped] = BLANK
    out[used & (v < profile.yes_qty_blank)] = BLANK
    gate[~asked] = BLANK
    out[~asked] = BLANK
    return gate, out


def _pedsql_form(age: np.ndarray) -> np.ndarray:
    form = np.select([age < 0, age <= 12, age <= 24, age < 60, age < 96], [BLANK, 1, 2, 3, 4], BLANK)
    return form.astype(np.int16)


def _sdq_form(age: np.ndarray) -> np.ndarray:
    return np.select([age < 24, age < 48], [BLANK, 1], 2).astype(np.int16)


def _ids(prefix: str, nums: np.ndarray, width: int) -> np.ndarray:
    return np.strings.add(prefix, np.strings.zfill(nums.astype(str), width)).astype(object)


def responses(fam: Families, layout: Layout, profile: Profile, rng: np.random.Generator,
              row_offset: int = 0) -> dict[str, np.ndarray]:
    """One row per questionnaire response of the chunk's families, ordered by recorded time."""
    n_fam = len(fam)
    has1, has2 = ~np.isnat(fam.t1), ~np.isnat(fam.t2)
    f = np.concatenate([np.flatnonzero(has1), np.flatnonzero(has2)])
    tp = np.concatenate([np.full(has1.sum(), 1), np.full(has2.sum(), 2)]).astype(np.int16)
    recorded = np.concatenate([fam.t1[has1], fam.t2[has2]])
    order = np.lexsort((tp, f, recorded))
    f, tp, recorded = f[order], tp[order], recorded[order]
    n = len(f)
    t1, t2 = tp == 1, tp == 2
    days = (recorded.astype("datetime64[D]") - fam.randomised[f]).astype(int)
    treated = (fam.arm[f] == "IPS") & t2
    recall = np.where(t1, 3, np.clip(np.rint(days / DAYS_PER_MONTH), 3, 6)).astype(np.int16)
    d: dict[str, np.ndarray] = {}

    # --- platform metadata; identifiers are obviously fake ------------------------------------
    duration = rng.integers(900, 4200, size=n)
    end = recorded - rng.integers(0, 4, size=n).astype("timedelta64[s]")
    seq = np.arange(row_offset + 1, row_offset + n + 1)
    d["StartDate"] = end - duration.astype("timedelta64[s]")
    d["EndDate"] = end
    d["RecordedDate"] = recorded
    d["Status"] = np.zeros(n, np.int16)
    d["IPAddress"] = np.strings.add("192.0.2.", rng.integers(1, 255, size=n).astype(str)).astype(object)
    d["Progress"] = np.full(n, 100, np.int16)
    d["Duration (in seconds)"] = duration
    d["Finished"] = np.ones(n, np.int16)
    alphabet = np.array(list("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"))
    chars = alphabet[rng.integers(0, len(alphabet), size=(n, 15))]
    d["ResponseId"] = np.strings.add("R_", chars.view("<U15")[:, 0]).astype(object)
    d["RecipientLastName"] = np.full(n, "Synthetic", dtype=object)
    d["RecipientFirstName"] = np.full(n, "Parent", dtype=object)
    d["RecipientEmail"] = _ids("synthetic.parent", seq, 6) + "@example.org"
    d["ExternalReference"] = np.full(n, None, dtype=object)
    d["LocationLatitude"] = np.round(rng.uniform(-0.01, 0.01, size=n), 4).astype(str).astype(object)
    d["LocationLongitude"] = np.round(rng.uniform(-0.01, 0.01, size=n), 4).astype(str).astype(object)
    d["DistributionChannel"] = np.full(n, "email", dtype=object)
    d["UserLanguage"] = np.full(n, "EN", dtype=object)
    d["family_id"] = fam.family_id[f].astype(object)
    d["parent_id"] = np.strings.add(fam.family_id[f], "-P1").astype(object)
    d["timepoint"] = np.where(t1, "T1", "T2").astype(object)
    d["recall_months"] = recall

    # --- demographics: asked at baseline only (household size at both) ------------------------
    def baseline_only(values: np.ndarray) -> np.ndarray:
        return np.where(t1, values[f], BLANK).astype(np.int16)

    d["parent_age"] = baseline_only(np.clip(np.rint(rng.normal(29, 6, n_fam)), 17, 48))
    d["parent_relationship"] = baseline_only(np.ones(n_fam))
    d["parent_ethnicity"] = baseline_only(rng.choice(np.arange(1, 7), p=[.72, .07, .06, .1, .03, .02], size=n_fam))
    d["parent_education"] = baseline_only(rng.choice(np.arange(1, 6), p=[.25, .4, .2, .1, .05], size=n_fam))
    d["household_income"] = baseline_only(rng.choice(np.arange(1, 7), p=[.45, .3, .12, .05, .03, .05], size=n_fam))
    d["receives_benefits"] = baseline_only(np.where(rng.random(n_fam) < 0.8, 1, 2))
    d["n_children_household"] = fam.n_children[f].astype(np.int16)

    # --- parent service use -----------------------------------------------------------------
    everyone = np.ones(n, dtype=bool)
    drawn: dict[str, np.ndarray] = {}   # quantities used, before the respondent blanks any
    for svc in layout.parent_services:
        if svc.service in ARM_ONLY_PARENT_USE:
            arm, p, extra, cap = ARM_ONLY_PARENT_USE[svc.service]
            in_arm = (fam.arm[f] == arm) & t2
            qty = _quantity(rng, np.where(in_arm, p, 0.0), np.full(n, extra), cap, recall, treated, 1.0)
            d[f"su_{svc.service}_any"], d[f"su_{svc.service}_{svc.unit}"] = _gate(rng, qty, everyone, profile)
            continue
        if svc.service in NIGHTS_AFTER:
            after, overnight, extra, cap = NIGHTS_AFTER[svc.service]
            qty = _nights(rng, drawn[after], overnight, extra["parent"], cap)
        else:
            p, extra, cap = PARENT_USE.get(svc.service, DEFAULT_PARENT_USE)
            qty = _quantity(rng, np.full(n, p), np.full(n, extra), cap, recall, treated,
                            profile.service_use_factor)
        drawn[svc.service] = qty
        d[f"su_{svc.service}_any"], d[f"su_{svc.service}_{svc.unit}"] = _gate(rng, qty, everyone, profile)

    # --- parent instruments: latent level per parent, a little better at follow-up -----------
    latent = {
        "ghq12": (rng.normal(2.4, 0.45, n_fam)[f] - 0.1 * t2, 0.6, 1, 4),
        "icecap_a": (rng.normal(2.6, 0.45, n_fam)[f] - 0.05 * t2, 0.55, 1, 4),  # report: ICECAP-A 0.591 at baseline
        "prem": (rng.normal(3.9, 0.5, n_fam)[f], 0.7, 1, 5),
    }
    p_agree = rng.beta(2, 6, n_fam)[f]
    p_unsure = np.where(rng.random(n_fam) < profile.bcap_unsure_parents,
                        rng.uniform(0.03, 0.12, n_fam), 0.0)[f]
    for block in layout.parent_blocks:
        if block.instrument == "bcap":
            u = rng.random((block.n_items, n), dtype=np.float32)
            codes = np.where(u < p_unsure, 3, np.where(u < p_unsure + p_agree, 1, 2)).astype(np.int16)
        else:
            mu, sd, lo, hi = latent.get(block.instrument, (np.full(n, 2.0), 0.7, min(block.codes), max(block.codes)))
            codes = _codes(rng, mu, sd, lo, hi, block.n_items)
        codes = _blank_out(rng, codes, everyone, profile,
                           item_missing=profile.ghq_item_missing or block.instrument != "ghq12")
        for i in range(block.n_items):
            d[block.column(i + 1)] = codes[i]

    # --- the child loop -----------------------------------------------------------------------
    ped_mu = rng.normal(0.45, 0.3, (n_fam, LOOP))
    sdq_mu = rng.normal(0.85, 0.3, (n_fam, LOOP))
    for k in range(LOOP):
        prefix = f"{k + 1}_"
        age0 = fam.child_age[f, k]
        exists = age0 >= 0
        age = np.where(exists, np.clip(age0 + np.floor(days / DAYS_PER_MONTH), 0, 215), BLANK).astype(np.int16)
        pform, sform = _pedsql_form(age), np.where(exists, _sdq_form(age), BLANK).astype(np.int16)
        num = fam.child_num[f, k]
        d[prefix + "child_id"] = np.where(exists, np.strings.add(
            np.strings.add(fam.family_id[f], "-C"), num.astype(str)), None).astype(object)
        d[prefix + "child_age_months"] = age
        d[prefix + "child_sex"] = np.where(exists, fam.child_sex[f, k], BLANK).astype(np.int16)
        d[prefix + "pedsql_form"] = pform
        d[prefix + "sdq_form"] = sform

        band = np.select([age < 24, age < 60], [0, 1], 2)
        for svc in layout.child_services:
            if svc.service in NIGHTS_AFTER:
                after, overnight, extra, cap = NIGHTS_AFTER[svc.service]
                qty = _nights(rng, drawn[after], overnight, extra["child"], cap)
            else:
                bands, cap = CHILD_USE.get(svc.service, DEFAULT_CHILD_USE)
                table = np.array(bands)
                qty = _quantity(rng, table[band, 0], table[band, 1], cap, recall, treated,
                                profile.service_use_factor)
            qty = np.where(exists, qty, 0)
            drawn[svc.service] = qty
            d[f"{prefix}su_{svc.service}_any"], d[f"{prefix}su_{svc.service}_{svc.unit}"] = \
                _gate(rng, qty, exists, profile)

        ped_latent = ped_mu[f, k] + profile.pedsql_item_shift * treated
        infant_lost = rng.random(n) < profile.infant_pedsql_lost
        itsea_back = rng.random(n_fam)[f] < profile.itsea_returned
        for block in layout.child_blocks:
            if block.instrument == "pedsql":
                form = {"infant_1_12m": 1, "infant_13_24m": 2, "toddler_2_4y": 3, "young_child_5_7y": 4}[block.form]
                keep = (pform == form) & ~((form <= 2) & infant_lost)
                codes = _codes(rng, ped_latent, 0.6, 0, 4, block.n_items)
            elif block.instrument == "sdq":
                keep = sform > 0
                codes = _codes(rng, sdq_mu[f, k], 0.55, 0, 2, block.n_items)
                rev = [i - 1 for i in SDQ_REVERSED]
                codes[rev] = 2 - codes[rev]
                pro = [i - 1 for i in SDQ_PROSOCIAL]
                codes[pro] = _codes(rng, np.full(n, 1.4), 0.6, 0, 2, len(pro))
            elif block.instrument == "sdq_impact":
                keep = sform > 0
                codes = _codes(rng, np.full(n, 1.5), 0.7, 1, 4, block.n_items)
            else:  # itsea and anything new: under-2s, when returned
                keep = exists & (age < 24) & itsea_back
                codes = _codes(rng, np.full(n, 0.6), 0.6, min(block.codes), max(block.codes), block.n_items)
            codes = _blank_out(rng, codes, keep, profile)
            for i in range(block.n_items):
                d[prefix + block.column(i + 1)] = codes[i]
    return d


def schema(layout: Layout) -> pa.Schema:
    return pa.schema([(c.name, pa.int32() if c.kind == "integer" else pa.string())
                      for c in layout.columns])


def to_table(d: dict[str, np.ndarray], layout: Layout) -> pa.Table:
    arrays = []
    for col in layout.columns:
        a = d[col.name]
        if a.dtype.kind == "M":
            arrays.append(pa.array(a).cast(pa.string()))
        elif col.kind == "integer":
            arrays.append(pa.array(a, mask=a < 0, type=pa.int32()))
        else:
            arrays.append(pa.array(a, type=pa.string()))
    return pa.Table.from_arrays(arrays, schema=schema(layout))
