"""Common random numbers: one independent random stream per source of randomness.

Every stream is spawned from ``numpy.random.SeedSequence(seed)``, so under one seed two scenarios
that differ only in company levers face the same world: the same initial needs and their drift,
the same prospects arriving with the same budgets and seats, the same competitor releases and
leapfrogs. What the company does changes only the draws of the streams it touches (its deals,
its reps, its engineering, its customers, its funding), never the world's. A-B differences under
one seed are therefore paired.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

WORLD_STREAMS = ("needs", "arrivals", "competitor")
"""Streams that no company lever can influence: the same seed gives the same world."""


@dataclass(frozen=True)
class Streams:
    """The model's random streams, one per source (all ``numpy.random.Generator``)."""

    needs: np.random.Generator  # segment need profiles at month 0 and their monthly drift
    arrivals: (
        np.random.Generator
    )  # prospects arriving: how many, their needs, budgets, seats, honesty
    competitor: np.random.Generator  # the rival's roadmap items and leapfrog releases
    awareness: np.random.Generator  # which unaware prospects become leads
    deals: np.random.Generator  # each prospect's decisions: qualification, cycle, win, wait, commit
    reps: np.random.Generator  # reps' skill, monthly effort and attrition
    effort: np.random.Generator  # engineering: custom estimates, overruns, how well items land
    knowledge: np.random.Generator  # the product team's noisy readings of market needs
    customers: np.random.Generator  # churn, defection of waiting buyers, contingent conversion
    funding: np.random.Generator  # investors' decisions

    @classmethod
    def spawn(cls, seed: int | None) -> Streams:
        """Independent generators spawned from one seed, one per field, in declaration order."""
        children = np.random.SeedSequence(seed).spawn(len(fields(cls)))
        return cls(*(np.random.default_rng(child) for child in children))
