"""Build the eu-migration-kg knowledge graph from the Commission President's letter."""
