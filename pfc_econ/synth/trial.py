"""The trial scenario: any number of families, both sites, with a known true IPS effect."""

from __future__ import annotations

import numpy as np

from .spine import (NAT, NAT_S, REASONS, Families, Profile, family_ids, household_children,
                    questionnaire_time)

DEFAULT_FAMILIES = 200
BROMLEY_SHARE = 0.8
WITHDRAWAL_RATE = 0.05
FOLLOWUP_RATE = 0.8          # of all families (withdrawn families have no follow-up)
BASELINE_RATE = 0.97
# in the past of any run (a randomisation date in the future is a contract error): Monday 10 Jan 2022
RANDOMISATION_START = np.datetime64("2022-01-10", "D")
RANDOMISATION_SPAN_DAYS = 3 * 365

# The true IPS effect built into the trial scenario (recorded in truth.json).
PEDSQL_ITEM_SHIFT = -0.3      # added to the latent PedsQL item code of IPS children at T2
SERVICE_USE_FACTOR = 0.85     # multiplies the expected non-intervention service use at T2 (IPS)

# Counterfactual worlds for the true effect (synth/true_effect.py): every answer given, so the
# follow-up cost and utility the pipeline computes are the family's full-data values.
COMPLETE_RESPONSES = {"gate_blank": 0.0, "yes_qty_blank": 0.0, "block_missing": 0.0,
                      "item_missing": 0.0, "infant_pedsql_lost": 0.0}

PROFILE = Profile(pedsql_item_shift=PEDSQL_ITEM_SHIFT, service_use_factor=SERVICE_USE_FACTOR)


def _permuted_blocks(rng: np.random.Generator, n: int) -> np.ndarray:
    """1:1 allocation in permuted blocks of four."""
    blocks = -(-n // 4)
    order = np.argsort(rng.random((blocks, 4)), axis=1)
    return np.where(order < 2, "IPS", "SAU").ravel()[:n]


def families(rng: np.random.Generator, n: int) -> Families:
    site = np.where(rng.random(n) < BROMLEY_SHARE, "Bromley", "Glasgow")
    # Consent order is date order: spread evenly over three years, a little jitter.
    randomised = (RANDOMISATION_START
                  + (np.arange(n) * RANDOMISATION_SPAN_DAYS // max(n, 1))
                  + rng.integers(0, 3, size=n)).astype("datetime64[D]")
    randomised = np.sort(randomised)
    arm = np.empty(n, dtype="<U3")
    for name in ("Bromley", "Glasgow"):
        mask = site == name
        arm[mask] = _permuted_blocks(rng, int(mask.sum()))

    is_withdrawn = rng.random(n) < WITHDRAWAL_RATE
    withdrawn = np.where(is_withdrawn, randomised + rng.integers(7, 170, size=n), NAT)
    reason = np.where(is_withdrawn, rng.choice(REASONS, p=[0.4, 0.15, 0.3, 0.05, 0.1], size=n),
                      None).astype(object)

    n_children = np.minimum(1 + rng.poisson(1.2, size=n), 9)
    age, sex, num = household_children(rng, n_children)

    has_t1 = rng.random(n) < BASELINE_RATE
    t1 = np.where(has_t1, questionnaire_time(rng, randomised - rng.integers(0, 29, size=n)), NAT_S)
    has_t2 = ~is_withdrawn & (rng.random(n) < FOLLOWUP_RATE / (1 - WITHDRAWAL_RATE))
    t2 = np.where(has_t2, questionnaire_time(rng, randomised + rng.integers(91, 184, size=n)), NAT_S)

    width = max(3, len(str(n)))
    return Families(
        family_id=family_ids(site, width), site=site, arm=arm, randomised=randomised,
        withdrawn=withdrawn, reason=reason, n_children=n_children, child_age=age,
        child_sex=sex, child_num=num, t1=t1, t2=t2,
    )


def truth_parameters() -> dict:
    return {
        "pedsql_item_shift": PEDSQL_ITEM_SHIFT,
        "pedsql_item_shift_meaning": (
            "added to the latent (pre-rounding) PedsQL item code of every child of an IPS family "
            "at follow-up (T2), all forms; codes are round(latent) clipped to 0-4, 0 = never a "
            "problem, so a negative shift is an improvement"),
        "service_use_factor": SERVICE_USE_FACTOR,
        "service_use_factor_meaning": (
            "multiplies the expected quantity of every questionnaire service (parent and child, "
            "non-intervention use) reported by IPS families at follow-up (T2), by binomial "
            "thinning of the count that family would have reported under SAU; gates follow"),
        "bromley_share": BROMLEY_SHARE,
        "withdrawal_rate": WITHDRAWAL_RATE,
        "followup_rate": FOLLOWUP_RATE,
        "baseline_rate": BASELINE_RATE,
    }
