"""The family spine every synthetic source hangs from: who was randomised, when, and their children.

A `Families` holds one row per randomised family as numpy arrays (vectorised; no per-family
Python objects), plus the household's children as fixed-width matrices.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

MAX_HOUSEHOLD = 9          # children generated per household (the survey loop holds 6)
LOOP = 6                   # loop-and-merge slots in the questionnaire
NAT = np.datetime64("NaT", "D")
NAT_S = np.datetime64("NaT", "s")
FOLLOWUP_DEFAULT_DAYS = 182  # provider window when there is no follow-up questionnaire
REASONS = np.array(["parent_request", "moved_away", "lost_to_contact", "safeguarding", "other"])


@dataclass
class Families:
    family_id: np.ndarray        # str
    site: np.ndarray             # 'Bromley' | 'Glasgow'
    arm: np.ndarray              # 'IPS' | 'SAU'
    randomised: np.ndarray       # datetime64[D]
    withdrawn: np.ndarray        # datetime64[D], NaT when not withdrawn
    reason: np.ndarray           # object, None when not withdrawn
    n_children: np.ndarray       # int: children in the household (may exceed the 6 loop slots)
    child_age: np.ndarray        # (n, 6) int months at randomisation, -1 for an unused slot
    child_sex: np.ndarray        # (n, 6) int 1/2/3, 0 for an unused slot
    child_num: np.ndarray        # (n, 6) int: the child's number in <family>-C<num>, 0 unused
    t1: np.ndarray               # datetime64[s] baseline questionnaire recorded, NaT if none
    t2: np.ndarray               # datetime64[s] follow-up questionnaire recorded, NaT if none

    def __len__(self) -> int:
        return len(self.family_id)

    def take(self, idx: slice | np.ndarray) -> "Families":
        return Families(**{f.name: getattr(self, f.name)[idx] for f in fields(self)})

    @property
    def window_end(self) -> np.ndarray:
        """Last day of the follow-up period: the T2 date, else 6 months; never after withdrawal."""
        t2 = self.t2.astype("datetime64[D]")
        end = np.where(np.isnat(t2), self.randomised + FOLLOWUP_DEFAULT_DAYS, t2)
        return np.where(np.isnat(self.withdrawn), end, np.minimum(end, self.withdrawn))


def household_children(rng: np.random.Generator, n_children: np.ndarray,
                       older_share: float = 0.7) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Ages (months at randomisation), sexes and child numbers of the loop's six slots.

    Every household has a focus child aged 1-59 months; siblings are under-5s with probability
    1 - older_share, else 5-17 years. Children are numbered oldest first (C1 = eldest); the loop
    holds the six youngest, listed oldest first, so the infant is never lost from a large family.
    """
    n = len(n_children)
    focus = rng.integers(1, 60, size=n)
    older = rng.random((n, MAX_HOUSEHOLD)) < older_share
    sib = np.where(older, rng.integers(60, 216, size=(n, MAX_HOUSEHOLD)),
                   rng.integers(0, 60, size=(n, MAX_HOUSEHOLD)))
    sib[:, 0] = focus
    present = np.arange(MAX_HOUSEHOLD)[None, :] < n_children[:, None]
    ages = np.where(present, sib, -1)
    ages = -np.sort(-ages, axis=1)                    # oldest first, unused (-1) last
    sexes = rng.choice(np.array([1, 2, 3]), p=[0.49, 0.49, 0.02], size=(n, MAX_HOUSEHOLD))
    offset = np.maximum(n_children - LOOP, 0)
    cols = offset[:, None] + np.arange(LOOP)[None, :]
    cols = np.minimum(cols, MAX_HOUSEHOLD - 1)
    used = np.arange(LOOP)[None, :] < np.minimum(n_children, LOOP)[:, None]
    slot_age = np.where(used, np.take_along_axis(ages, cols, axis=1), -1)
    slot_sex = np.where(used, np.take_along_axis(sexes, cols, axis=1), 0)
    slot_num = np.where(used, cols + 1, 0)
    return slot_age, slot_sex, slot_num


def questionnaire_time(rng: np.random.Generator, day: np.ndarray) -> np.ndarray:
    """A recorded timestamp on each day, between 08:30 and 21:00."""
    secs = rng.integers(8 * 3600 + 1800, 21 * 3600, size=len(day))
    return day.astype("datetime64[s]") + secs.astype("timedelta64[s]")


def family_ids(site: np.ndarray, width: int) -> np.ndarray:
    """PFC-B-001, PFC-G-001, … numbered within site in the order given."""
    out = np.empty(len(site), dtype=object)
    for code, name in (("B", "Bromley"), ("G", "Glasgow")):
        mask = site == name
        nums = np.arange(1, int(mask.sum()) + 1).astype(str)
        out[mask] = np.strings.add(f"PFC-{code}-", np.strings.zfill(nums, width))
    return out.astype(str)


@dataclass(frozen=True)
class Profile:
    """Rates of missingness and the true IPS effect for one scenario."""

    zero_qty_blank: float = 0.7      # 'no' gate with the quantity left blank (else 0 written)
    gate_blank: float = 0.04         # nothing used and the gate left blank too
    yes_qty_blank: float = 0.02      # 'yes' gate with the quantity missing
    block_missing: float = 0.03      # a whole instrument block not answered
    item_missing: float = 0.005      # a single item skipped
    infant_pedsql_lost: float = 0.05  # infant-form PedsQL answers lost for a child
    itsea_returned: float = 0.3      # share of under-2s whose ITSEA was returned
    bcap_unsure_parents: float = 0.3  # parents who answer 'not sure' on some BCAP items
    pedsql_item_shift: float = 0.0   # IPS effect on the latent PedsQL item code at T2 (<0 better)
    service_use_factor: float = 1.0  # IPS effect on the expected service use reported at T2
    ghq_item_missing: bool = True    # whether item_missing applies to GHQ-12 (feasibility plants one)
