"""Use cases: each takes a unit of work and ports, and calls the aggregates."""
