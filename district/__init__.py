"""The district tier: every hall's journal copied into PostgreSQL exactly once and in order,
rollups for cross-hall reports, restore of a hall from the district copy. Imports `protocol/` and
`hall/`, never the controller's internals: the journal's tables and the events' JSON are read as data."""
