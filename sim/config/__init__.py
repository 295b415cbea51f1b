"""Scenario configuration: the schema, the presets, loading and dotted overrides.

The bottom layer: it imports nothing else of ``sim``.
"""

from sim.config.hints import did_you_mean, one_line
from sim.config.loading import dotted_items, from_dict, load_scenario, loads, parse_set, preset
from sim.config.presets import PRESETS
from sim.config.schema import (
    SCHEMA_VERSION,
    SEGMENT_NAMES,
    CompanyParams,
    MarketParams,
    PolicyParams,
    ProductParams,
    SalesParams,
    Scenario,
    ScenarioError,
    SegmentParams,
    json_schema,
)

__all__ = [
    "PRESETS",
    "SCHEMA_VERSION",
    "SEGMENT_NAMES",
    "CompanyParams",
    "MarketParams",
    "PolicyParams",
    "ProductParams",
    "SalesParams",
    "Scenario",
    "ScenarioError",
    "SegmentParams",
    "did_you_mean",
    "dotted_items",
    "from_dict",
    "json_schema",
    "load_scenario",
    "loads",
    "one_line",
    "parse_set",
    "preset",
]
