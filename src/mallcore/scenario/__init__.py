"""Scenario files: a shop, a buyer and a cart in TOML, priced by ``mallcore quote``."""

from mallcore.scenario.loader import Scenario, ScenarioError, load_scenario, parse_scenario

__all__ = ["Scenario", "ScenarioError", "load_scenario", "parse_scenario"]
