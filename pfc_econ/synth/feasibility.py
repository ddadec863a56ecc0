"""The feasibility scenario: 19 families shaped on the IPS feasibility report (Table 2).

Bromley 7 IPS and 10 SAU; Glasgow 2 SAU, one withdrew. 17 baseline and 7 follow-up questionnaires.
"""

from __future__ import annotations

import numpy as np

from .spine import NAT, NAT_S, Families, Profile, family_ids, household_children, questionnaire_time

N_FAMILIES = 19
PROFILE = Profile(
    zero_qty_blank=0.9,
    gate_blank=0.15,
    yes_qty_blank=0.06,
    block_missing=0.0,
    item_missing=0.004,
    infant_pedsql_lost=1.0,      # the report: infant PedsQL answers were lost
    itsea_returned=0.0,          # planted by hand: one or two under-2s only
    bcap_unsure_parents=0.35,
    ghq_item_missing=False,      # exactly one GHQ-12 item is blanked at follow-up, by hand
)
IMPLAUSIBLE_PARENT_AGES = (4, 9, 13)
# Household sizes: large families, 1 to 7 children.
HOUSEHOLD_SIZES = np.array([1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 5, 5, 6, 7, 3])


def _days(rng: np.random.Generator, start: str, end: str, n: int) -> np.ndarray:
    lo, hi = np.datetime64(start, "D"), np.datetime64(end, "D")
    return np.sort(lo + rng.integers(0, int((hi - lo).astype(int)) + 1, size=n))


def families(rng: np.random.Generator) -> Families:
    site = np.array(["Bromley"] * 17 + ["Glasgow"] * 2)
    randomised = np.concatenate([_days(rng, "2023-06-01", "2024-03-28", 17),
                                 _days(rng, "2024-01-08", "2024-03-28", 2)])
    arm = np.concatenate([rng.permutation(np.array(["IPS"] * 7 + ["SAU"] * 10)),
                          np.array(["SAU", "SAU"])])
    withdrawn = np.full(N_FAMILIES, NAT)
    reason = np.full(N_FAMILIES, None, dtype=object)
    withdrawn[18] = randomised[18] + int(rng.integers(14, 60))
    reason[18] = "parent_request"

    n_children = rng.permutation(HOUSEHOLD_SIZES)
    age, sex, num = household_children(rng, n_children, older_share=0.55)
    sex[age >= 0] = np.where(sex[age >= 0] == 3, 1, sex[age >= 0])

    # Baseline: everyone but the withdrawn family and one other Bromley family.
    no_baseline = int(rng.integers(0, 17))
    has_t1 = np.ones(N_FAMILIES, dtype=bool)
    has_t1[[no_baseline, 18]] = False
    t1_day = randomised - rng.integers(0, 29, size=N_FAMILIES)
    t1 = np.where(has_t1, questionnaire_time(rng, t1_day), NAT_S)

    # Follow-up for 7 families across both arms (3 IPS, 4 SAU), 3-6 months after randomisation.
    ips = np.flatnonzero((arm == "IPS") & has_t1)
    sau = np.flatnonzero((arm == "SAU") & has_t1 & np.isnat(withdrawn))
    chosen = np.concatenate([rng.choice(ips, 3, replace=False), rng.choice(sau, 4, replace=False)])
    t2_day = randomised + rng.integers(91, 184, size=N_FAMILIES)
    has_t2 = np.zeros(N_FAMILIES, dtype=bool)
    has_t2[chosen] = True
    t2 = np.where(has_t2, questionnaire_time(rng, t2_day), NAT_S)

    return Families(
        family_id=family_ids(site, 3), site=site, arm=arm, randomised=randomised,
        withdrawn=withdrawn, reason=reason, n_children=n_children, child_age=age,
        child_sex=sex, child_num=num, t1=t1, t2=t2,
    )
