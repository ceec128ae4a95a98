"""CP-SAT anchor for `frontline bench roster`: solves the same roster model as the Rust engine.

Reads the expanded problem (JSON written by the benchmark: shifts with their candidates, people,
rules, the fair night share) and states the objective exactly as `crates/core/src/roster.rs` does:
1000 per empty place, 1000 per missing party member or cadre, 20 per night above the fair share,
5 per night given to someone avoiding nights, 2 per shift away from home. Prints one JSON line:
objective (of the returned roster), CP-SAT's reported objective, best bound, status, seconds to the first feasible roster and to the best one, and the
roster itself so the benchmark can score it with the Rust objective.

usage: roster_anchor.py PROBLEM.json SECONDS WORKERS
"""

import json
import sys
import time

from ortools.sat.python import cp_model

W_EMPTY, W_MIX, W_NIGHT_EXCESS, W_AVOIDED_NIGHT, W_AWAY = 1000, 1000, 20, 5, 2


def main():
    path, seconds, workers = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
    with open(path, encoding="utf-8") as f:
        problem = json.load(f)
    started = time.perf_counter()
    shifts, people, rules = problem["shifts"], problem["people"], problem["rules"]
    rest, max_shifts, night_cap = rules["min_rest_minutes"], rules["max_shifts"], problem["night_cap"]

    m = cp_model.CpModel()
    x = {}
    of_person = [[] for _ in people]
    objective = []
    for s, sh in enumerate(shifts):
        members = []
        for p in sh["candidates"]:
            v = m.NewBoolVar(f"x{p}_{s}")
            x[p, s] = v
            of_person[p].append(s)
            members.append(v)
            cost = 0
            if sh["night"] and people[p]["avoid_nights"]:
                cost += W_AVOIDED_NIGHT
            if people[p]["home"] != sh["checkpoint"]:
                cost += W_AWAY
            if cost:
                objective.append(cost * v)
        m.Add(sum(members) <= sh["headcount"])
        empty = m.NewIntVar(0, sh["headcount"], f"empty{s}")
        m.Add(empty == sh["headcount"] - sum(members))
        objective.append(W_EMPTY * empty)
        for need, flag in (("min_party", "party"), ("min_cadre", "cadre")):
            if sh[need] > 0:
                short = m.NewIntVar(0, sh[need], f"{need}{s}")
                have = [x[p, s] for p in sh["candidates"] if people[p][flag]]
                m.AddMaxEquality(short, [0, sh[need] - sum(have)])
                objective.append(W_MIX * short)
    for p, mine in enumerate(of_person):
        if not mine:
            continue
        m.Add(sum(x[p, s] for s in mine) <= max_shifts)
        # Shifts that cannot both be held form cliques around each start time.
        for s in mine:
            t = shifts[s]["start"]
            clique = [o for o in mine if shifts[o]["start"] <= t < shifts[o]["end"] + rest]
            if len(clique) > 1:
                m.AddAtMostOne(x[p, o] for o in clique)
        nights = [x[p, s] for s in mine if shifts[s]["night"]]
        if len(nights) > night_cap:
            excess = m.NewIntVar(0, len(nights), f"excess{p}")
            m.AddMaxEquality(excess, [0, sum(nights) - night_cap])
            objective.append(W_NIGHT_EXCESS * excess)
    total = sum(objective)
    m.Minimize(total)

    class Times(cp_model.CpSolverSolutionCallback):
        def __init__(self):
            super().__init__()
            self.first = None
            self.best = None

        def on_solution_callback(self):
            now = time.perf_counter() - started
            if self.first is None:
                self.first = now
            self.best = now

    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = seconds
    solver.parameters.num_workers = workers
    times = Times()
    status = solver.Solve(m, times)
    roster = [[p for p in sh["candidates"] if solver.Value(x[p, s])] for s, sh in enumerate(shifts)] \
        if status in (cp_model.OPTIMAL, cp_model.FEASIBLE) else []
    print(json.dumps({
        "status": solver.StatusName(status),
        # The objective of the roster CP-SAT returns (its reported ObjectiveValue can be higher
        # than the value of the returned solution on large instances; both are printed).
        "objective": solver.Value(total) if roster else None,
        "reported": int(solver.ObjectiveValue()) if roster else None,
        "bound": int(solver.BestObjectiveBound()),
        "first_s": times.first,
        "best_s": times.best,
        "wall_s": time.perf_counter() - started,
        "roster": roster,
    }))


if __name__ == "__main__":
    main()
