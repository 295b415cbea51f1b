"""Common random numbers: one independent random stream per source of randomness.

Every stream is spawned from ``numpy.random.SeedSequence(seed)``, so under one seed two scenarios
that differ only in company levers face the same world: the same initial needs and their drift,
the same prospects arriving with the same budgets and seats, the same competitor releases and
leapfrogs (sequential generators no company lever touches). The company's own luck is keyed to
the entity it is about: every draw about a buyer is a hash of (seed, purpose, buyer, month)
(``Keyed``), each rep draws from its own generator (``Family``), investors answer the k-th ask
with the k-th draw. Under two policies the same buyer in the same month draws the same number,
so A-B differences under one seed are paired decision by decision, not only world by world.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, fields

import numpy as np

from sim.model.kernels import (
    compiled_now,
    keyed_normal,
    keyed_uniform,
    keyed_uniform_one,
    seed_prefix,
    spawned_states,
)


@dataclass(frozen=True)
class Keyed:
    """Counter-based draws for one purpose: the draw of prospect (or rep) ``i`` in ``month``
    is a fixed function of the seed, the purpose, ``i`` and ``month``, whatever else happened.

    A sequential stream hands out its numbers in the order they are asked for: one extra
    qualification early in a run shifts every later draw, so two runs that differ by one
    decision soon face unrelated luck. Keyed draws keep each buyer's luck its own: under two
    policies the same buyer in the same month draws the same number, and the runs differ only
    where the policies' decisions do (common random numbers, synchronised per entity).
    """

    key: int  # 64-bit key of this purpose under this seed

    def uniform(self, ids: np.ndarray, month: int) -> np.ndarray:
        """One uniform in [0, 1) per id for ``month`` (float64)."""
        return keyed_uniform(ids, month, np.uint64(self.key))

    def uniform_one(self, i: int, month: int) -> float:
        """``uniform`` of one id (``i >= 0``): the same number, as a Python float."""
        return keyed_uniform_one(i, month, self.key)

    def normal(self, ids: np.ndarray, month: int) -> np.ndarray:
        """One standard normal per id for ``month`` (by the inverse normal CDF)."""
        return keyed_normal(ids, month, np.uint64(self.key))


def generator(seq: np.random.SeedSequence) -> np.random.Generator:
    """``np.random.default_rng(seq)`` (the same PCG64 generator), without its argument checks
    (a few us; a run spawns some twenty)."""
    return np.random.Generator(np.random.PCG64(seq))


class SeedState(np.random.bit_generator.ISeedSequence):
    """A seed sequence's state already generated (``kernels.spawned_states``): a ``PCG64`` given
    it starts where it would from that seed sequence, without building the sequence (~14 us a
    generator; a run makes some twenty). It can seed a ``PCG64`` only, and cannot spawn."""

    __slots__ = ("state",)

    def __init__(self, state: np.ndarray) -> None:
        self.state = state  # ``generate_state(4, np.uint64)`` of the seed sequence it stands for

    def generate_state(self, n_words: int, dtype: type = np.uint32) -> np.ndarray:
        if n_words != len(self.state) or (dtype is not np.uint64 and np.dtype(dtype) != np.uint64):
            raise ValueError("a SeedState seeds a PCG64 only")
        return self.state


def pcg64_of(state: np.ndarray) -> np.random.Generator:
    """``generator`` of the seed sequence whose ``generate_state(4, np.uint64)`` is ``state``."""
    return np.random.Generator(np.random.PCG64(SeedState(state)))


def plain_entropy(seed: object) -> bool:
    """Whether ``seed`` is a non-negative Python int, whose streams ``spawned_states`` makes
    (anything else takes numpy's seed sequences)."""
    return type(seed) is int and seed >= 0


WORLD_STREAMS = ("needs", "arrivals", "competitor")
"""Streams that no company lever can influence: the same seed gives the same world."""


@dataclass(frozen=True)
class Family:
    """One generator per member (a rep, by hiring order), spawned from one seed sequence: the
    k-th rep hired draws the same skill, efforts and departures under any policy that hires a
    k-th rep, however many others it hired before."""

    entropy: int | Sequence[int]  # the root seed sequence's entropy
    spawn_key: tuple[int, ...]  # and its spawn key: member k's is this one and k
    _prefix: list[np.ndarray] = field(default_factory=list, compare=False, repr=False)
    """``kernels.seed_prefix`` of the two, made at the first member (a hire or two a year)."""

    def member(self, k: int) -> np.random.Generator:
        if plain_entropy(self.entropy) and compiled_now():
            if not self._prefix:
                self._prefix.append(seed_prefix(self.entropy, self.spawn_key))
            states = spawned_states(self.entropy, self.spawn_key, [k], self._prefix[0])
            return pcg64_of(states[0])
        seq = np.random.SeedSequence(self.entropy, spawn_key=(*self.spawn_key, k))
        return generator(seq)


@dataclass(frozen=True)
class Streams:
    """The model's random streams, one per source: sequential generators for the world and for
    the company's ordered events, ``Keyed`` draws per buyer and month, a ``Family`` for reps."""

    needs: np.random.Generator  # segment need profiles at month 0 and their monthly drift
    arrivals: (
        np.random.Generator
    )  # prospects arriving: how many, their needs, budgets, seats, honesty
    competitor: np.random.Generator  # the rival's roadmap items and leapfrog releases
    reps: Family  # each rep's own: skill, monthly effort and attrition
    effort: np.random.Generator  # how well each shipped roadmap item lands, in shipping order
    knowledge: np.random.Generator  # the product team's first estimate of market needs
    funding: np.random.Generator  # investors' decisions
    contact: Keyed  # which leads reps reach this month (a priority per lead and month)
    perception: Keyed  # a rep's misreading of a lead's fit
    cycle: Keyed  # how long a deal's sales cycle runs
    status_quo: Keyed  # whether a buyer decides for nobody this cycle
    win: Keyed  # whether a buyer buys
    wait: Keyed  # whether a promised buyer waits for the item
    commit: Keyed  # whether sales says yes to a buyer's custom request
    woke: Keyed  # whether an unaware prospect becomes a lead
    churn: Keyed  # whether a customer leaves this month
    defect: Keyed  # whether a waiting buyer goes to the rival this month
    estimate: Keyed  # a custom request's estimate error (by buyer and month)
    overrun: Keyed  # a custom request's overrun over its estimate
    generality: Keyed  # how many other buyers a custom item would also serve
    convert: Keyed  # whether a buyer whose custom item shipped expands as promised
    reading: Keyed  # the product team's noisy reading of needs (by need cell and month)

    @classmethod
    def spawn(cls, seed: int | None) -> Streams:
        """Independent streams spawned from one seed, one per field, in declaration order: field
        i's from ``SeedSequence(seed).spawn(...)[i]``."""
        kinds = [_KINDS.get(f.type, np.random.Generator) for f in fields(cls)]
        if plain_entropy(seed) and compiled_now():
            states = spawned_states(seed, (), range(len(kinds)))
            return cls(*(_stream_of(kind, seed, (i,), states[i]) for i, kind in enumerate(kinds)))
        children = np.random.SeedSequence(seed).spawn(len(kinds))
        return cls(
            *(
                Keyed(int(child.generate_state(1, np.uint64)[0]))
                if kind is Keyed
                else Family(child.entropy, child.spawn_key)
                if kind is Family
                else generator(child)
                for kind, child in zip(kinds, children, strict=True)
            )
        )


_KINDS: dict[object, type] = {Keyed: Keyed, "Keyed": Keyed, Family: Family, "Family": Family}
"""A field's annotation (a string under postponed annotations) to the kind of stream it is."""


def _stream_of(
    kind: type, entropy: int, spawn_key: tuple[int, ...], state: np.ndarray
) -> Keyed | Family | np.random.Generator:
    """The stream of one child seed sequence given by its entropy, spawn key and state."""
    if kind is Keyed:
        return Keyed(int(state[0]))  # the child's ``generate_state(1, np.uint64)``
    if kind is Family:
        return Family(entropy, spawn_key)
    return pcg64_of(state)
