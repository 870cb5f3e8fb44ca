"""The learning-rate schedule of training, over runs of every length."""

import pytest
import torch

from training.ml.loop import one_cycle


@pytest.mark.parametrize("total_steps", range(2, 41))
def test_the_schedule_runs_to_its_end_however_few_the_steps(total_steps):
    parameter = torch.nn.Parameter(torch.zeros(1))
    optimizer = torch.optim.AdamW([parameter], lr=1e-3)
    scheduler = one_cycle(optimizer, max_lr=1e-3, total_steps=total_steps)

    rates = []
    for _ in range(total_steps - 1):
        optimizer.step()
        scheduler.step()
        rates.append(scheduler.get_last_lr()[0])

    assert max(rates) <= 1e-3 + 1e-12
    assert rates[-1] < max(rates) or total_steps == 2


def test_long_runs_keep_the_tenth_of_the_steps_warm_up():
    optimizer = torch.optim.AdamW([torch.nn.Parameter(torch.zeros(1))], lr=1e-3)

    scheduler = one_cycle(optimizer, max_lr=1e-3, total_steps=401)

    assert scheduler._schedule_phases[0]["end_step"] == pytest.approx(0.1 * 401 - 1)
