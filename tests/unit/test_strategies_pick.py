"""strategies.pick (narrowed on the score's lead value) against scoring every candidate."""
import heapq
import random

import pytest

from control.domain.models import Agent
from control.domain.queue_config import STRATEGIES
from control.domain.strategies import EXPLAIN_TOP, pick, score

SKILLS = ["en", "fr", "billing", "tech"]


def full_pick(strategy, candidates, reqs, rng, group_size=3, prefix=None):
    """pick as it was: every candidate scored whole (random: drawn in id order)."""
    if strategy == "random":
        candidates = sorted(candidates, key=lambda a: a.id)
    scored = [(score(strategy, a, reqs, rng, prefix(a) if prefix else ()), a) for a in candidates]
    if strategy == "ring-all":
        scored.sort(key=lambda sa: sa[0])
        return [a for _, a in scored], scored[:EXPLAIN_TOP]
    top = heapq.nsmallest(max(EXPLAIN_TOP, group_size), scored, key=lambda sa: sa[0])
    if strategy == "ring-progressively":
        return [a for _, a in top[:max(1, group_size)]], top[:EXPLAIN_TOP]
    return ([top[0][1]] if top else []), top[:EXPLAIN_TOP]


def agents(rng: random.Random, n: int) -> list[Agent]:
    # small integer values: many ties on the lead value, so tie-breaks decide
    return [Agent(id=f"a{i:03d}", extension=str(i), queues=rng.sample(["q", "r"], rng.randint(1, 2)),
                  skills={s: rng.randint(1, 3) for s in rng.sample(SKILLS, rng.randint(0, 4))},
                  order=rng.randint(0, 4), calls_taken=rng.randint(0, 3), talk_time_s=float(rng.randint(0, 3)),
                  idle_since=float(rng.randint(0, 5)), last_offered_at=float(rng.randint(0, 5)))
            for i in rng.sample(range(1000), n)]


def as_ids(result):
    chosen, top = result
    return [a.id for a in chosen], [(s, a.id) for s, a in top]


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_pick_equals_scoring_every_candidate(strategy):
    rng = random.Random(strategy)
    for _ in range(300):
        cands = agents(rng, rng.randint(0, 40))
        reqs = tuple(sorted((s, rng.randint(1, 2)) for s in rng.sample(SKILLS, rng.randint(0, 2))))
        group = rng.randint(0, 8)
        prefix = None
        if rng.random() < 0.3:
            def prefix(a):
                return (a.queues.index("q") if "q" in a.queues else len(a.queues),)
        seed = rng.random()
        want = full_pick(strategy, cands, reqs, random.Random(seed), group, prefix)
        got = pick(strategy, cands, reqs, random.Random(seed), group, prefix)
        assert as_ids(got) == as_ids(want)


def test_random_draws_do_not_depend_on_the_order_candidates_were_found_in():
    rng = random.Random(3)
    for _ in range(100):
        cands = agents(rng, rng.randint(1, 30))
        seed = rng.random()
        shuffled = rng.sample(cands, len(cands))
        assert as_ids(pick("random", cands, (), random.Random(seed))) == \
            as_ids(pick("random", shuffled, (), random.Random(seed)))


def test_narrowing_keeps_every_agent_tied_at_the_cut():
    # six agents idle since the same moment: the tie-break (proficiency, order, id) must see all of them
    tied = [Agent(id=f"t{i}", extension="1", idle_since=1.0, skills={"en": i}, order=10 - i) for i in range(6)]
    later = [Agent(id=f"z{i}", extension="1", idle_since=2.0 + i, skills={"en": 9}) for i in range(20)]
    chosen, top = pick("longest-idle-agent", later + tied, (("en", 1),), random.Random(1))
    assert [a.id for a in chosen] == ["t5"]
    assert [a.id for _, a in top] == ["t5", "t4", "t3", "t2", "t1"]
