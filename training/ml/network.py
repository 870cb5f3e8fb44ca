"""The detector: per-frame, per-type artifact probabilities from the stored frame features. No
Django imports.

Built for this task and for speed rather than as a generic CRNN. The stored features already
carry what clicks, dropouts and clipping need (largest jump, zero and flat fractions), so the
network is narrow: a 1x1 projection of the inputs, derived stutter evidence (how alike each
frame is to the frames 30-150 ms back), then a stack of residual dilated 1-D convolutions whose
receptive field (1.35 s with the defaults) is long enough to tell an unnatural pause (500 ms and
more) from a natural one (up to 350 ms) and a pause from the silence at a file's ends: a frame
with silence 0.6 s either side is in a long pause however long it is, so a wider field would
only add context frames to every training window. There is no recurrence, so inference is a
few matrix products per frame and runs in chunks.

A detector is an ensemble of `members` such networks, each trained with its own held-out files
(training/ml/loop.py), whose logits are averaged: one network's choices (which epoch validates
best, where a threshold falls) move with its seed and split, and the average moves less.
"""

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import torch
from torch import nn

from training.ml.data import (
    INPUT_SIZE,
    LOG_PEAK,
    N_MELS,
    POSITION_CHANNELS,
    STUTTER_LAGS,
    repeated_peaks,
    stutter_similarity,
)


@dataclass(frozen=True)
class NetworkConfig:
    input_size: int = INPUT_SIZE  # stored-feature inputs; the position channels follow
    hidden_size: int = 48
    kernel_size: int = 3
    # Blocks at half the frame rate (20 ms): the long context at half the cost.
    dilations: tuple[int, ...] = (1, 2, 4, 8, 16)
    stutter_lags: tuple[int, ...] = STUTTER_LAGS
    num_types: int = 5
    # Of each residual block's channels, in training only: without it the network fits its
    # training files and the validation loss rises after a few epochs.
    dropout: float = 0.1
    # Networks averaged; model files from before ensembles have one.
    members: int = 2

    @property
    def receptive_field(self) -> int:
        """Frames (10 ms) an output depends on, centred on it, rounded up to be safe."""
        half_rate = 1 + (self.kernel_size - 1) * sum(self.dilations)
        # projection (3), down and up (2), the two fine blocks (dilations 1 and 2)
        return 2 * half_rate + 2 + 2 + 3 * (self.kernel_size - 1)

    @property
    def context_frames(self) -> int:
        """Frames of real input each side of a chunk that make its outputs exact: half the
        receptive field plus the longest stutter lag looked back, made even so that the frame
        pairs the network halves the rate over are the same in every chunk."""
        context = self.receptive_field // 2 + max(self.stutter_lags, default=0)
        return context + context % 2

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "NetworkConfig":
        values = dict(data)
        values["dilations"] = tuple(values["dilations"])
        values["stutter_lags"] = tuple(values["stutter_lags"])
        values.setdefault("members", 1)
        return cls(**values)


class ResidualBlock(nn.Module):
    def __init__(
        self, channels: int, *, kernel_size: int, dilation: int, dropout: float = 0.0
    ) -> None:
        super().__init__()
        # Whole channels for a window's every frame: neighbouring frames carry nearly the same
        # activations, so a dropped single value is all but restored by its neighbours (and
        # drawing a random number per value cost a seventh of a CPU training step).
        self.dropout = nn.Dropout1d(dropout)
        self.dilated = nn.Conv1d(
            channels,
            channels,
            kernel_size,
            dilation=dilation,
            padding=dilation * (kernel_size - 1) // 2,
            bias=False,
        )
        self.norm = nn.BatchNorm1d(channels)
        self.mix = nn.Conv1d(channels, channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # x: (batch, channels, frames)
        return x + self.mix(self.dropout(torch.relu(self.norm(self.dilated(x)))))


class Member(nn.Module):
    """One network of the ensemble."""

    def __init__(self, config: NetworkConfig) -> None:
        super().__init__()
        self.config = config
        hidden = config.hidden_size
        derived = len(config.stutter_lags) + 1  # stutter similarities, repeated peaks
        # Three frames wide, so a one-frame spike (a click's jump) or dip (a short dropout) is
        # told from its neighbours before the first nonlinearity.
        inputs = config.input_size + POSITION_CHANNELS + derived
        self.project = nn.Conv1d(inputs, hidden, 3, padding=1)
        self.down = nn.Conv1d(hidden, hidden, 2, stride=2)

        def block(dilation: int) -> ResidualBlock:
            return ResidualBlock(
                hidden, kernel_size=config.kernel_size, dilation=dilation, dropout=config.dropout
            )

        self.blocks = nn.ModuleList(block(dilation) for dilation in config.dilations)
        self.fine = nn.Sequential(block(1), block(2))
        self.head = nn.Conv1d(hidden, config.num_types, 1)

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        """inputs (batch, input_size + 2, frames), normalised, then data.position_channels (the
        first 1 inside the file and 0 in padding) -> logits (batch, types, frames)."""
        frames = inputs.shape[-1]
        inside = inputs[
            :, self.config.input_size : self.config.input_size + 1
        ]  # (batch, 1, frames)
        similarity = stutter_similarity(inputs[:, :N_MELS], self.config.stutter_lags)
        repeats = repeated_peaks(inputs[:, LOG_PEAK])
        derived = torch.cat([similarity, repeats], dim=1) * inside  # nothing to compare in padding
        fine = torch.relu(self.project(torch.cat([inputs, derived], dim=1)))
        # fine: (batch, hidden, frames) at 10 ms
        coarse = self.down(nn.functional.pad(fine, (0, frames % 2)))  # (batch, hidden, ⌈frames/2⌉)
        for block in self.blocks:
            coarse = block(coarse)
        x = fine + coarse.repeat_interleave(2, dim=2)[:, :, :frames]  # back to 10 ms
        return self.head(torch.relu(self.fine(x)))


class Detector(nn.Module):
    """The ensemble: `config.members` networks whose logits are averaged."""

    def __init__(self, config: NetworkConfig) -> None:
        super().__init__()
        self.config = config
        self.members = nn.ModuleList(Member(config) for _ in range(config.members))

    @property
    def heads(self) -> list[nn.Conv1d]:
        """Each member's output layer, whose biases place the thresholds."""
        return [member.head for member in self.members]

    def member_logits(self, inputs: torch.Tensor) -> torch.Tensor:
        """(members, batch, types, frames): each member's own logits."""
        return torch.stack([member(inputs) for member in self.members])

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        """inputs as Member's -> the members' mean logits (batch, types, frames)."""
        if len(self.members) == 1:
            return self.members[0](inputs)
        return self.member_logits(inputs).mean(dim=0)


def parameter_count(network: nn.Module) -> int:
    return sum(parameter.numel() for parameter in network.parameters())


def multiply_adds_per_frame(config: NetworkConfig) -> int:
    """Multiply-adds per 10 ms output frame (FLOPs are about twice this), derived inputs
    included, over all members."""
    hidden = config.hidden_size
    derived = len(config.stutter_lags) + 1
    similarity = (derived + 2) * N_MELS
    project = 3 * (config.input_size + POSITION_CHANNELS + derived) * hidden
    block = config.kernel_size * hidden * hidden + hidden * hidden
    down = 2 * hidden * hidden // 2
    coarse = len(config.dilations) * block // 2
    member = similarity + project + down + coarse + 2 * block + hidden * config.num_types
    return config.members * member


@dataclass
class History:
    """Per-epoch losses and validation scores, as training reports them."""

    epochs: list[dict[str, Any]] = field(default_factory=list)

    def add(self, **values: Any) -> None:
        self.epochs.append(values)

    def as_list(self) -> list[dict[str, Any]]:
        return list(self.epochs)


def default_config(artifact_types: Sequence[str]) -> NetworkConfig:
    return NetworkConfig(num_types=len(artifact_types))
