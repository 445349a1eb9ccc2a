"""Serve the eu-migration-kg knowledge graph over HTTP."""
