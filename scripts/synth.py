#!/usr/bin/env python3
"""Writes one synthetic, plausible submission per member (JSON files).

Used by the demo and the integration tests. Answers follow the
questionnaire definition's types and constraints; a per-region maturity
level shifts scales, shares and yes/no answers so that regional
comparisons are not flat. Deterministic for a given seed.

Conditions of the form "when": "<yes/no question id>" are honoured (other
forms are not understood here, and such questions are left unanswered).
Sex-disaggregated counts (ids ending in _total, _women, _men) are kept
consistent, so that the shipped questionnaires' error rules hold; warning
rules may fire, as they would for real members.

usage: synth.py QUESTIONNAIRE.json MEMBERS.csv CYCLE OUTDIR [--seed N] [--only CODE,...]
"""
import argparse
import csv
import json
import os
import random

MATURITY = {
    "Europe": 0.75,
    "Americas and Caribbean": 0.6,
    "Asia/Pacific": 0.62,
    "North of Africa, Near and Middle East": 0.55,
    "East and Southern Africa": 0.5,
    "West and Central Africa": 0.45,
}


def answer(q, rng, maturity):
    """A value for question q, or None (no answer)."""
    if q.get("allow_not_applicable") and rng.random() < 0.05:
        return {"special": "not_applicable"}
    if q.get("allow_dont_know") and rng.random() < 0.05:
        return {"special": "dont_know"}
    if not q.get("required") and rng.random() < 0.1:
        return None
    t = q["type"]
    skill = min(1.0, max(0.0, rng.gauss(maturity, 0.18)))
    if t == "yes_no":
        return rng.random() < 0.25 + 0.7 * skill
    if t == "scale":
        levels = sorted(lv["value"] for lv in q["levels"])
        return levels[min(len(levels) - 1, int(skill * len(levels)))]
    if t == "choice":
        opts = [o["id"] for o in q["options"]]
        return opts[min(len(opts) - 1, int(skill * len(opts)))]
    if t == "multi_choice":
        opts = [o["id"] for o in q["options"]]
        chosen = [o for o in opts if rng.random() < 0.3 + 0.5 * skill]
        return chosen or [opts[0]]
    lo, hi = q.get("min", 0), q.get("max", 1000)
    if t == "number":
        if q.get("unit") == "percent":
            return round(min(hi, max(lo, 100 * skill)), 1)
        return round(min(hi, max(lo, rng.uniform(lo, min(hi, 90)) * (1.2 - skill))), 1)
    if t == "integer":
        top = min(hi, 5000)
        return int(min(hi, max(lo, rng.randint(lo, max(lo, top)) * (0.3 + skill))))
    if t == "text":
        return "Synthetic evidence note (demo data)."
    raise ValueError("unknown type " + t)


def plausible_number(q, value, seed, code, cycle):
    """Honest numbers: inside the question's expected range (warn_below,
    warn_above), and, where the definition checks the change from the
    previous cycle, the member's own level give or take 10 % a cycle."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return value
    lo, hi = q.get("warn_below", q.get("min")), q.get("warn_above", q.get("max"))
    if "change_from_previous" in q:
        base = random.Random(f"{seed}/{code}/{q['id']}").uniform(0.2, 1.0) * min(hi or 1000, 5000) / 2
        drift = random.Random(f"{seed}/{cycle}/{code}/{q['id']}").uniform(0.9, 1.1)
        value = base * drift
    if lo is not None:
        value = max(lo, value)
    if hi is not None:
        value = min(hi, value)
    return int(round(value)) if q["type"] == "integer" else round(value, 1)


def balance_counts(answers, rng, stable):
    """Women and men within their total, as the questionnaires' rules require;
    the share of women is the member's own (stable), from cycle to cycle."""
    for key, total in list(answers.items()):
        if not key.endswith("_total") or not isinstance(total, int):
            continue
        stem = key[:-len("_total")]
        women = f"{stem}_women"
        men = f"{stem}_men"
        share = random.Random(f"{stable}/{key}").uniform(0.15, 0.6)
        if women in answers:
            answers[women] = int(total * share)
        if men in answers:
            answers[men] = total - int(total * share) - (1 if rng.random() < 0.1 and total else 0)


def plausible_cases(answers, rng):
    """Most administrations conclude fewer investigations than they open."""
    opened = answers.get("ai_investigations")
    concluded = answers.get("ai_cases_concluded")
    if isinstance(opened, int) and isinstance(concluded, int) and rng.random() < 0.9:
        answers["ai_cases_concluded"] = int(opened * rng.uniform(0.3, 1.0))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("questionnaire")
    ap.add_argument("members")
    ap.add_argument("cycle")
    ap.add_argument("outdir")
    ap.add_argument("--seed", type=int, default=2025)
    ap.add_argument("--only", default="")
    args = ap.parse_args()

    with open(args.questionnaire, encoding="utf-8") as f:
        qdef = json.load(f)
    with open(args.members, encoding="utf-8", newline="") as f:
        members = list(csv.DictReader(f))
    only = set(filter(None, args.only.split(",")))
    os.makedirs(args.outdir, exist_ok=True)
    for m in members:
        if only and m["code"] not in only:
            continue
        rng = random.Random(f"{args.seed}/{args.cycle}/{m['code']}")
        maturity = MATURITY.get(m["region"], 0.5)
        answers = {}
        for section in qdef["sections"]:
            for q in section["questions"]:
                when = q.get("when")
                if when is not None and answers.get(when) is not True:
                    continue
                value = answer(q, rng, maturity)
                value = plausible_number(q, value, args.seed, m["code"], args.cycle)
                if value is not None:
                    answers[q["id"]] = value
        balance_counts(answers, rng, f"{args.seed}/{m['code']}")
        plausible_cases(answers, rng)
        sub = {
            "questionnaire": qdef["id"],
            "version": qdef["version"],
            "cycle": args.cycle,
            "member": m["code"],
            "answers": answers,
        }
        path = os.path.join(args.outdir, f"{m['code']}.json")
        with open(path, "w", encoding="utf-8") as f:
            json.dump(sub, f, indent=1)
            f.write("\n")


if __name__ == "__main__":
    main()
