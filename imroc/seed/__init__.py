"""Loaders of seed data: the framework and site kinds, and the demo programme."""
