"""The search's fast paths against a straightforward reference: same draws, same losses.

The committed fit (data/synthetic/survival_times.csv) must come out byte for byte, so
every optimisation of the search keeps each random draw and each per-row loss. The
reference below is the plain algorithm written out: ``Generator.choice`` draws, one
``argsort`` per pick, the full :func:`statistics` (``approximate=True``) for every batch.
"""

from __future__ import annotations

import numpy as np
import pytest
from spinemets.paper.calibrate import search
from spinemets.paper.calibrate.evaluator import MAX_MONTH, statistics
from spinemets.paper.calibrate.search import CELL, CELL_START, FULL, HORIZON, N

MOVE_P = [0.3, 0.15, 0.1, 0.08, 0.2, 0.07, 0.05, 0.05]


def reference_pick(mask: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    counts = mask.sum(axis=1)
    k = np.floor(rng.random(mask.shape[0]) * counts).astype(np.int64)
    order = np.argsort(~mask, axis=1, kind="stable")
    return order[np.arange(mask.shape[0]), k]


def reference_propose(pop: tuple[np.ndarray, ...], rng: np.random.Generator) -> tuple:
    """One move per chain, drawn and applied one kind at a time (the plain algorithm)."""
    os_, death, lp, prog = (a.copy() for a in pop)
    chains = os_.shape[0]
    kind = rng.choice(8, size=chains, p=MOVE_P)
    rows = np.arange(chains)
    i = rng.integers(0, N, size=chains)
    j = rng.integers(0, N, size=chains)
    size = np.where(rng.random(chains) < 0.7, 1, rng.integers(2, 9, size=chains))
    step = size * rng.choice([-1, 1], size=chains)
    p_i = reference_pick(prog == 1, rng)
    a_dead = reference_pick(death == 1, rng)
    b_alive = reference_pick(death == 0, rng)
    r = rows[kind == 0]
    os_[r, i[r]] += step[r]
    r = rows[kind == 1]
    lp[r, p_i[r]] += step[r]
    r = rows[kind == 2]
    death[r, a_dead[r]], death[r, b_alive[r]] = 0, 1
    for k in (3, 7):
        r = rows[kind == k]
        src = p_i[r]
        c = CELL[src]
        dst = CELL_START[c] + (j[r] % (CELL_START[c + 1] - CELL_START[c]))
        moved = lp[r, src]
        prog[r, src], lp[r, src] = 0, os_[r, src]
        prog[r, dst] += 1
        if k == 3:
            lp[r, dst] = np.minimum(moved, os_[r, dst])
        else:
            lp[r, dst] = 1 + np.floor(rng.random(r.size) * os_[r, dst]).astype(np.int64)
    r = rows[kind == 6]
    lp[r, p_i[r]] = 1 + np.floor(rng.random(r.size) * os_[r, p_i[r]]).astype(np.int64)
    r = rows[kind == 4]
    same = CELL[i[r]] == CELL[j[r]]
    j[r[same]] = (j[r[same]] + CELL_START[-1] // 2) % N
    ti, tj = os_[r, i[r]], os_[r, j[r]]
    di, dj = death[r, i[r]], death[r, j[r]]
    os_[r, i[r]], os_[r, j[r]] = tj, ti
    death[r, i[r]], death[r, j[r]] = dj, di
    r = rows[kind == 5]
    os_[r, p_i[r]] += step[r]
    lp[r, p_i[r]] += step[r]
    lp = np.where(prog == 0, os_, lp)
    bad = (prog > 1).any(axis=1)
    prog = np.minimum(prog, 1)
    os_[bad] = 0
    return os_, death, lp, prog


def reference_loss(os_, death, lp, prog, goal=FULL) -> np.ndarray:
    """Loss of each row of one batch from the full evaluator (infinite if invalid)."""
    ok = search.valid(os_, death, lp, prog)
    os_c, lp_c = np.clip(os_, 0, MAX_MONTH), np.clip(lp, 0, MAX_MONTH)
    values = statistics(os_c, death, lp_c, prog, CELL, HORIZON, approximate=True)
    return np.where(ok, search.loss(values, goal), np.inf)


def reference_anneal(pop, rng, iterations, t_start, t_end, goal=FULL):
    cur = tuple(a.copy() for a in pop)
    cur_loss = reference_loss(*cur, goal=goal)
    best, best_loss = tuple(a.copy() for a in cur), cur_loss.copy()
    ratio = t_end / t_start
    for step in range(iterations):
        temp = t_start * ratio ** (step / iterations)
        cand = reference_propose(cur, rng)
        losses = reference_loss(*cand, goal=goal)
        u = rng.random(losses.size)
        with np.errstate(over="ignore", invalid="ignore"):
            accept = np.isfinite(losses) & (
                (losses <= cur_loss) | (u < np.exp(-(losses - cur_loss) / temp))
            )
        for a, b in zip(cur, cand, strict=True):
            a[accept] = b[accept]
        cur_loss = np.where(accept, losses, cur_loss)
        better = cur_loss < best_loss
        for a, b in zip(best, cur, strict=True):
            a[better] = b[better]
        best_loss = np.where(better, cur_loss, best_loss)
    return best, best_loss


def start(seed: int, chains: int) -> search.State:
    rng = np.random.default_rng(seed)
    return search.stack([search.initial_state(rng) for _ in range(chains)])


def arrays(state: search.State) -> tuple[np.ndarray, ...]:
    return state.os, state.death, state.lp, state.prog


def wandering_batches(seed: int, chains: int, steps: int) -> list[tuple[np.ndarray, ...]]:
    """Candidate batches met along random walks: valid and invalid rows, many ties."""
    rng = np.random.default_rng(seed)
    cur = arrays(start(seed, chains))
    batches = []
    for _ in range(steps):
        cand = reference_propose(cur, rng)
        batches.append(cand)
        ok = search.valid(*cand)
        cur = tuple(np.where(ok[:, None], b, a) for a, b in zip(cur, cand, strict=True))
    return batches


def test_draws_equal_generator_choice() -> None:
    a, b = np.random.default_rng(11), np.random.default_rng(11)
    for chains in (1, 3, 8, 16):
        for _ in range(50):
            kind, i, j, step, picks, u7, u6 = search._draws(a, chains)
            assert np.array_equal(kind, b.choice(8, size=chains, p=MOVE_P))
            assert np.array_equal(i, b.integers(0, N, size=chains))
            assert np.array_equal(j, b.integers(0, N, size=chains))
            size = np.where(b.random(chains) < 0.7, 1, b.integers(2, 9, size=chains))
            assert np.array_equal(step, size * b.choice([-1, 1], size=chains))
            assert np.array_equal(picks, np.stack([b.random(chains) for _ in range(3)]))
            assert np.array_equal(u7, b.random(int((kind == 7).sum())))
            assert np.array_equal(u6, b.random(int((kind == 6).sum())))
    assert a.bit_generator.state == b.bit_generator.state


def test_batch_loss_equals_the_reference_row_by_row() -> None:
    batches = wandering_batches(seed=4, chains=16, steps=150)
    invalid = 0
    for cand in batches:
        expected = reference_loss(*cand)
        invalid += int(np.isinf(expected).sum())
        assert np.array_equal(search.batch_loss(*cand), expected)
        # two blocks of 8 evaluated in one call: each as if alone, bit for bit
        halves = [reference_loss(*(a[s : s + 8] for a in cand)) for s in (0, 8)]
        both = search.batch_loss(*cand, block_sizes=[8, 8])
        assert np.array_equal(both, np.concatenate(halves))
        # a held objective (infinite outside rounding) too
        goal = search.objective(hard=np.arange(len(search.TARGETS)) % 5 == 0)
        assert np.array_equal(search.batch_loss(*cand, goal=goal), reference_loss(*cand, goal))
    assert 0 < invalid < 16 * len(batches)  # both kinds of row were checked


def test_anneal_equals_the_reference_anneal() -> None:
    pop = start(21, 8)
    best, losses = search.anneal(pop, np.random.default_rng(5), 300, 20.0, 0.5)
    ref_best, ref_losses = reference_anneal(arrays(pop), np.random.default_rng(5), 300, 20.0, 0.5)
    assert np.array_equal(losses, ref_losses)
    for a, b in zip(arrays(best), ref_best, strict=True):
        assert np.array_equal(a, b)


def test_lockstep_blocks_equal_blocks_run_alone() -> None:
    pops = [start(31, 8), start(32, 8), start(33, 3)]
    together = search.anneal_blocks(
        pops, [np.random.default_rng(s) for s in (1, 2, 3)], 250, 10.0, 0.1
    )
    for pop, s, (best, losses) in zip(pops, (1, 2, 3), together, strict=True):
        alone, alone_losses = search.anneal(pop, np.random.default_rng(s), 250, 10.0, 0.1)
        assert np.array_equal(losses, alone_losses)
        for a, b in zip(arrays(best), arrays(alone), strict=True):
            assert np.array_equal(a, b)


@pytest.mark.slow
def test_shared_anneal_equals_anneal() -> None:
    pop = start(41, 8)
    seed = np.random.SeedSequence(9)
    alone, losses = search.anneal(pop, np.random.default_rng(seed), 200, 10.0, 0.1)
    for workers in (2, 3):
        shared, shared_losses = search.anneal_shared(pop, seed, 200, 10.0, 0.1, workers=workers)
        assert np.array_equal(shared_losses, losses)
        for a, b in zip(arrays(shared), arrays(alone), strict=True):
            assert np.array_equal(a, b)


@pytest.mark.slow
def test_polish_on_two_workers_equals_one() -> None:
    state = search.row(start(51, 1), 0)
    one = search.greedy_polish(state, max_rounds=1)
    two = search.greedy_polish(state, max_rounds=1, workers=2)
    before = search.batch_loss(*arrays(search.stack([state])), exact=True)[0]
    assert one[1] == two[1] and one[1] < before
    for a, b in zip(arrays(one[0]), arrays(two[0]), strict=True):
        assert np.array_equal(a, b)


def test_moves_equal_the_reference_moves() -> None:
    # the moves applied chain by chain (search._move) against the vectorised reference,
    # along a random walk: every kind of move, invalid rows (a progression moved onto a
    # progressor, times off the grid) and swaps within a cell included
    pop = arrays(start(61, 16))
    rng, ref_rng = np.random.default_rng(8), np.random.default_rng(8)
    for _ in range(400):
        cand = search.propose(search.State(*pop), rng)
        ref = reference_propose(pop, ref_rng)
        for a, b in zip(cand, ref, strict=True):
            assert np.array_equal(a, b)
        ok = search.valid(*cand)
        pop = tuple(np.where(ok[:, None], b, a) for a, b in zip(pop, cand, strict=True))
    assert rng.random() == ref_rng.random()  # the same numbers were drawn


def test_run_search_reports_each_stage() -> None:
    settings = search.SearchSettings(
        steps=40,
        refine_steps=20,
        polish_rounds=1,
        chains_per_block=2,
        hold_met_steps=20,
        hold_chains=2,
    )
    seen: list[tuple[str, float]] = []
    state, value, _ = search.run_search(
        3, 2, 1, settings, lambda name, s, loss: seen.append((name, loss))
    )
    assert [name for name, _ in seen] == ["anneal", "refine", "descent", "hold"]
    assert seen[-1][1] == value  # the last report is the result
