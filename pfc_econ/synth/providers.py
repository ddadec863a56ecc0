"""Provider records, vectorised over a chunk of families: the NSPCC IPS activity extract (IPS
families) and the SAU social-worker log (SAU families).

Each generator returns a dict column -> numpy array (None / -1 for blank) in contract column
order, one row per record, ordered by family then date; `to_table` makes the pyarrow table.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .spine import LOOP, Families

BLANK = -1
NSPCC_COLUMNS = ("record_id", "contact_id", "family_id", "contact_date", "activity_type",
                 "staff_role", "contact_minutes", "travel_minutes", "mode", "attendance",
                 "support_type", "support_amount_gbp")
SAU_COLUMNS = ("log_id", "family_id", "contact_date", "contact_type", "duration_minutes",
               "travel_minutes", "attendees", "referral_to", "attendance", "child_id", "end_date")
# Home visits the family missed (dna) or that were cancelled: ILLUSTRATIVE synthetic shares, an
# assumption; the rest attended (blank means attended in the contract).
SAU_HOME_VISIT_ATTENDANCE = (("attended", 0.88), ("dna", 0.08), ("cancelled_notice", 0.02), ("cancelled_late", 0.02))
ROLES = np.array(["clinical_psychologist", "family_engagement_worker", "social_worker",
                  "child_psychiatrist", "team_manager"])
CP, FEW, SW, PSY, TM = range(5)


def _pick(rng, values, p, size) -> np.ndarray:
    return rng.choice(np.asarray(values), p=p, size=size)


def _fives(rng, lo: int, hi: int, size: int) -> np.ndarray:
    """Minutes lo..hi rounded to the nearest 5, as staff record them."""
    return (np.rint(rng.integers(lo, hi + 1, size=size) / 5) * 5).astype(np.int32)


def _ids(prefix: str, start: int, n: int) -> np.ndarray:
    nums = np.arange(start + 1, start + n + 1).astype(str)
    return np.strings.add(prefix, np.strings.zfill(nums, 7)).astype(object)


def _events(n_per: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Family index and position within family of each of sum(n_per) events."""
    fam = np.repeat(np.arange(len(n_per)), n_per)
    starts = np.cumsum(n_per) - n_per
    return fam, np.arange(len(fam)) - starts[fam]


def nspcc_activity(fam: Families, rng: np.random.Generator, record_offset: int = 0,
                   contact_offset: int = 0) -> dict[str, np.ndarray]:
    ips = np.flatnonzero(fam.arm == "IPS")
    start = fam.randomised[ips]
    window = (fam.window_end[ips] - start).astype(int)
    n_f = len(ips)
    episode = np.minimum(rng.integers(90, 181, size=n_f), window)
    interval = np.where(rng.random(n_f) < 0.6, 7, 14)
    first = rng.integers(3, 15, size=n_f)
    primary = _pick(rng, [CP, FEW, SW], [0.5, 0.35, 0.15], n_f)
    second = np.where(primary == CP, FEW, CP)
    therapy = _pick(rng, ["cpp_session", "circle_of_security", "vig_session"], [0.35, 0.35, 0.3], n_f)
    n_assess = rng.integers(2, 4, size=n_f)

    # Sessions: assessments first, then the family's therapy, some home visits.
    n_sess = np.maximum((episode - first) // interval, 1)
    sf, pos = _events(n_sess)
    m = len(sf)
    day = first[sf] + pos * interval[sf] + rng.integers(-2, 3, size=m)
    act = np.where(pos < n_assess[sf], "assessment",
                   np.where(rng.random(m) < 0.15, "home_visit", therapy[sf])).astype(object)
    mode = np.where(act == "home_visit", "home",
                    _pick(rng, ["home", "nspcc_centre", "community_venue", "video", "phone"],
                          [0.45, 0.35, 0.08, 0.08, 0.04], m)).astype(object)
    att = _pick(rng, ["attended", "dna", "cancelled_notice", "cancelled_late"], [0.82, 0.1, 0.05, 0.03], m).astype(object)
    mins = np.select([att == "attended", att == "dna", att == "cancelled_late"],
                     [_fives(rng, 45, 90, m), _fives(rng, 20, 45, m), _fives(rng, 15, 45, m)], 0)
    away = np.isin(mode, ["home", "community_venue"])
    travel = np.where(away & (att != "cancelled_notice"),
                      np.where(mode == "home", _fives(rng, 15, 60, m), _fives(rng, 10, 40, m)), 0)
    joint_psy = (act == "assessment") & (rng.random(m) < 0.15)
    joint = rng.random(m) < 0.12
    role2 = np.where(joint_psy, PSY, np.where(joint, second[sf], BLANK))
    sess = dict(f=sf, day=day, act=act, mode=mode, att=att, mins=mins, travel=travel,
                role1=primary[sf], role2=role2)

    # Multi-agency meetings (two NSPCC staff), case consultations (with the team manager) and
    # report writing: not with the family, so attendance is blank for the last two.
    def extra(n_per, act_name, lo, hi, modes, p_modes, role2_choice, attend):
        ef, _ = _events(n_per)
        k = len(ef)
        md = _pick(rng, modes, p_modes, k).astype(object)
        return dict(
            f=ef, day=rng.integers(7, np.maximum(episode[ef], 8)), act=np.full(k, act_name, object),
            mode=md, att=np.full(k, attend, object), mins=_fives(rng, lo, hi, k),
            travel=np.where(md == "community_venue", _fives(rng, 10, 40, k), 0),
            role1=primary[ef], role2=role2_choice(ef, k))

    def meeting_partner(ef, k):
        u = rng.random(k)
        return np.where(u < 0.3, TM, np.where(u < 0.5, SW, second[ef]))

    meet = extra(episode // 60 + (rng.random(n_f) < 0.3), "multi_agency_meeting", 60, 120,
                 ["community_venue", "video", "nspcc_centre"], [0.5, 0.3, 0.2], meeting_partner, "attended")
    cons = extra(rng.integers(1, 4, size=n_f), "case_consultation", 30, 60,
                 ["nspcc_centre", "video"], [0.7, 0.3], lambda ef, k: np.full(k, TM), None)
    cons["travel"] = np.zeros(len(cons["f"]), np.int32)
    rep = extra(rng.integers(1, 3, size=n_f), "report_writing", 60, 150, [None], [1.0],
                lambda ef, k: np.full(k, BLANK), None)
    rep["travel"] = np.full(len(rep["f"]), BLANK)

    parts = [sess, meet, cons, rep]
    ev = {key: np.concatenate([p[key] for p in parts]) for key in sess}
    ev["cid"] = np.arange(len(ev["f"]))
    # One row per staff member: joint contacts are two rows sharing a contact id.
    two = ev["role2"] >= 0
    rows = {key: np.concatenate([v, v[two]]) for key, v in ev.items()}
    rows["role"] = np.concatenate([ev["role1"], ev["role2"][two]])
    staff_role = ROLES[rows["role"]].astype(object)

    # Direct support paid to the family.
    pf, _ = _events(rng.poisson(1.5, size=n_f))
    k = len(pf)
    sup_day = rng.integers(7, np.maximum(episode[pf], 8))
    support_type = _pick(rng, ["vouchers", "taxi", "food", "nappies", "other"], [0.35, 0.25, 0.2, 0.15, 0.05], k)
    amount = np.round(rng.uniform(5, 60, size=k) * 2) / 2

    n_rows = len(rows["f"])
    f_all = np.concatenate([rows["f"], pf])
    day_all = np.concatenate([rows["day"], sup_day])
    cid_all = np.concatenate([rows["cid"], len(ev["f"]) + np.arange(k)])
    order = np.lexsort((np.concatenate([rows["role"], np.zeros(k, int)]), cid_all, day_all, f_all))
    none = np.full(k, None, object)
    out = {
        "family_id": fam.family_id[ips][f_all].astype(object),
        "contact_date": start[f_all] + np.clip(day_all, 1, np.maximum(window[f_all], 1)),
        "activity_type": np.concatenate([rows["act"], np.full(k, "direct_support", object)]),
        "staff_role": np.concatenate([staff_role, none]),
        "contact_minutes": np.concatenate([rows["mins"], np.full(k, BLANK)]),
        "travel_minutes": np.concatenate([rows["travel"], np.full(k, BLANK)]),
        "mode": np.concatenate([rows["mode"], none]),
        "attendance": np.concatenate([rows["att"], none]),
        "support_type": np.concatenate([np.full(n_rows, None, object), support_type.astype(object)]),
        "support_amount_gbp": np.concatenate([np.full(n_rows, np.nan), amount]),
    }
    out = {key: v[order] for key, v in out.items()}
    # Contact ids in order of first appearance.
    cid = cid_all[order]
    _, first_seen, inverse = np.unique(cid, return_index=True, return_inverse=True)
    rank = np.empty(len(first_seen), dtype=np.int64)
    rank[np.argsort(first_seen)] = np.arange(len(first_seen))
    n = len(cid)
    result = {"record_id": _ids("NSPCC-", record_offset, n),
              "contact_id": np.strings.add("IPS-C", np.strings.zfill(
                  (contact_offset + 1 + rank[inverse]).astype(str), 7)).astype(object)}
    result.update(out)
    return {c: result[c] for c in NSPCC_COLUMNS}


SAU_TYPES = ["home_visit", "office_visit", "phone", "cin_meeting", "core_group", "strategy_discussion", "review"]
SAU_P = [0.35, 0.1, 0.25, 0.12, 0.1, 0.02, 0.06]
SAU_MINUTES = {"home_visit": (45, 90), "office_visit": (30, 60), "phone": (10, 30), "cin_meeting": (60, 120),
               "core_group": (60, 120), "strategy_discussion": (30, 60), "review": (60, 90)}
OTHER_ROLES = np.array(["health_visitor", "teacher", "nursery_worker", "gp", "police_officer",
                        "family_support_worker", "school_nurse", "camhs_clinician", "midwife",
                        "housing_officer", "team_manager", "other"])
OTHER_P = [0.2, 0.1, 0.15, 0.05, 0.04, 0.15, 0.06, 0.05, 0.04, 0.06, 0.06, 0.04]
REFERRALS = ["none", None, "camhs", "early_help", "family_support", "housing",
             "domestic_abuse_service", "parenting_programme", "other"]
REFERRAL_P = [0.8, 0.05, 0.02, 0.04, 0.03, 0.02, 0.01, 0.02, 0.01]


# Status entries the child's social worker logs (contracts/sau_log.toml): per child in the loop, the
# chance over the family's window of a placement in care, a child protection plan and care
# proceedings, the placement's type, and the spans in days. ILLUSTRATIVE synthetic rates, an
# assumption (no published rate was read for children of 0-5 with a social worker): a small share
# placed, mostly with foster carers; some on a plan; a few proceedings. Spans may start before
# randomisation (an open placement or plan) and end after the window (logged open, end_date blank).
SAU_PLACEMENT_P, SAU_PLAN_P, SAU_PROCEEDINGS_P = 0.03, 0.12, 0.02
SAU_PLACEMENT_TYPES = (("placement_foster", 0.65), ("placement_kinship", 0.3), ("placement_residential", 0.05))
SAU_PLACEMENT_DAYS, SAU_PLAN_DAYS = (14, 150), (60, 270)      # span lengths, uniform
SAU_PLACEMENT_START, SAU_PLAN_START = -60, -90                 # earliest start, days from randomisation


def _sau_status(fam: Families, start: np.ndarray, window: np.ndarray, rng: np.random.Generator) -> dict:
    """One row per status entry (placement, plan, proceedings) of the SAU families' children.

    Every draw is made for every child slot, present or not (common random numbers)."""
    shape = (len(start), LOOP)
    exists = fam.child_age >= 0
    u = rng.random((3,) + shape)
    kind = _pick(rng, np.array([k for k, _ in SAU_PLACEMENT_TYPES], dtype=object),
                 [p for _, p in SAU_PLACEMENT_TYPES], shape)
    high = np.maximum(window, 1)[:, None]
    p_start = rng.integers(SAU_PLACEMENT_START, high, size=shape)
    p_end = p_start + rng.integers(SAU_PLACEMENT_DAYS[0], SAU_PLACEMENT_DAYS[1] + 1, size=shape)
    c_start = rng.integers(SAU_PLAN_START, high, size=shape)
    c_end = c_start + rng.integers(SAU_PLAN_DAYS[0], SAU_PLAN_DAYS[1] + 1, size=shape)
    issued = rng.integers(1, high + 1, size=shape)
    parts = [(exists & (u[0] < SAU_PLACEMENT_P) & (p_end > 0), kind, p_start, p_end),
             (exists & (u[1] < SAU_PLAN_P) & (c_end > 0), "child_protection_plan", c_start, c_end),
             (exists & (u[2] < SAU_PROCEEDINGS_P), "care_proceedings", issued, None)]
    out: dict[str, list] = {"f": [], "day": [], "type": [], "end": [], "child": []}
    for mask, what, begin, end in parts:
        f, k = np.nonzero(mask)
        out["f"].append(f)
        out["day"].append(begin[f, k])
        out["type"].append(what[f, k] if isinstance(what, np.ndarray) else np.full(len(f), what, object))
        # a span still open when the log is extracted (after the window) has a blank end_date
        stop = np.full(len(f), -1) if end is None else np.where(end[f, k] > window[f], -1, end[f, k])
        out["end"].append(stop)
        out["child"].append(np.strings.add(np.strings.add(fam.family_id[f], "-C"),
                                           fam.child_num[f, k].astype(str)).astype(object))
    return {key: np.concatenate(v) for key, v in out.items()}


def sau_log(fam: Families, rng: np.random.Generator, log_offset: int = 0) -> dict[str, np.ndarray]:
    sau = np.flatnonzero(fam.arm == "SAU")
    start = fam.randomised[sau]
    window = (fam.window_end[sau] - start).astype(int)
    n_f = len(sau)
    max_n = 16
    gaps = rng.integers(14, 43, size=(n_f, max_n))
    gaps[:, 0] = rng.integers(1, 15, size=n_f)
    days = np.cumsum(gaps, axis=1)
    inside = days <= window[:, None]
    inside[:, 0] = True                      # every family has at least one contact
    f, col = np.nonzero(inside)
    day = days[f, col]
    m = len(f)
    t_idx = _pick(rng, np.arange(len(SAU_TYPES)), SAU_P, m)
    ctype = np.array(SAU_TYPES, dtype=object)[t_idx]
    lo = np.array([SAU_MINUTES[t][0] for t in SAU_TYPES])
    hi = np.array([SAU_MINUTES[t][1] for t in SAU_TYPES])
    minutes = (np.rint(rng.integers(lo[t_idx], hi[t_idx] + 1) / 5) * 5).astype(np.int32)
    travel = np.where(ctype == "home_visit", np.rint(rng.integers(10, 46, size=m) / 5) * 5, BLANK).astype(np.int32)

    # Attendees: up to six role slots, joined with ';' (blank slots skipped).
    meeting = np.isin(ctype, ["cin_meeting", "core_group"])
    n_att = np.select([meeting, ctype == "strategy_discussion", ctype == "review",
                       ctype == "home_visit"],
                      [rng.integers(3, 7, size=m), 3 + (rng.random(m) < 0.5), rng.integers(3, 6, size=m),
                       1 + (rng.random(m) < 0.2)], 1 + (rng.random(m) < 0.1))
    slots = OTHER_ROLES[_pick(rng, np.arange(len(OTHER_ROLES)), OTHER_P, (m, 5))].astype(object)
    slots[ctype == "home_visit", 0] = np.where(rng.random(int((ctype == "home_visit").sum())) < 0.5,
                                               "family_support_worker", "social_worker")
    slots[np.isin(ctype, ["office_visit", "phone"]), 0] = "team_manager"
    strategy = ctype == "strategy_discussion"
    slots[strategy, 0], slots[strategy, 1] = "team_manager", "police_officer"
    slots[ctype == "review", 0] = "other"         # the independent reviewing officer
    slots[np.arange(5)[None, :] >= (n_att - 1)[:, None]] = None
    # typed as strings: in a small trial a slot can be empty in every row (a null-typed column)
    columns = [pa.array(np.full(m, "social_worker", object))] + [pa.array(slots[:, j], pa.string()) for j in range(5)]
    attendees = pc.binary_join_element_wise(*columns, ";", null_handling="skip")

    order = np.lexsort((day, f))
    contacts = {
        "family_id": fam.family_id[sau][f][order].astype(object),
        "contact_date": (start[f] + day)[order],
        "contact_type": ctype[order],
        "duration_minutes": minutes[order],
        "travel_minutes": travel[order],
        "attendees": attendees.to_numpy(zero_copy_only=False).astype(object)[order],
        "referral_to": _pick(rng, np.array(REFERRALS, dtype=object), REFERRAL_P, m),
        "attendance": np.where(ctype[order] == "home_visit", _pick(
            rng, np.array([a for a, _ in SAU_HOME_VISIT_ATTENDANCE], dtype=object),
            [p for _, p in SAU_HOME_VISIT_ATTENDANCE], m), "attended").astype(object),
        "child_id": np.full(m, None, object),
        "end_date": np.full(m, np.datetime64("NaT"), "datetime64[D]"),
    }
    st = _sau_status(fam.take(sau), start, window, rng)
    k = len(st["f"])
    blank = np.full(k, None, object)
    status = {
        "family_id": fam.family_id[sau][st["f"]].astype(object),
        "contact_date": start[st["f"]] + st["day"],
        "contact_type": st["type"].astype(object),
        "duration_minutes": np.full(k, BLANK, np.int32), "travel_minutes": np.full(k, BLANK, np.int32),
        "attendees": blank, "referral_to": blank, "attendance": blank, "child_id": st["child"],
        "end_date": np.where(st["end"] < 0, np.datetime64("NaT"), start[st["f"]] + st["end"]).astype("datetime64[D]"),
    }
    # contacts and status entries together, by family then date (contacts first on a shared date)
    both = {key: np.concatenate([contacts[key], status[key]]) for key in contacts}
    fam_index = np.concatenate([f[order], st["f"]])
    merged = np.lexsort((np.arange(m + k), both["contact_date"], fam_index))
    return {"log_id": _ids("SAU-", log_offset, m + k)} | {key: v[merged] for key, v in both.items()}


def to_table(d: dict[str, np.ndarray]) -> pa.Table:
    arrays, names = [], []
    for name, a in d.items():
        if a.dtype.kind == "M":
            arrays.append(pa.array(a.astype("datetime64[D]"), type=pa.date32()))
        elif a.dtype.kind == "f":
            arrays.append(pa.array(a, mask=np.isnan(a), type=pa.float64()))
        elif a.dtype.kind in "iu":
            arrays.append(pa.array(a, mask=a == BLANK, type=pa.int32()))
        else:
            arrays.append(pa.array(a, type=pa.string()))
        names.append(name)
    return pa.Table.from_arrays(arrays, names=names)
