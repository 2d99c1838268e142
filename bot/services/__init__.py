"""Use cases: read the clock once, work in one transaction, apply the core, queue effects."""
