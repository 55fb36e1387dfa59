"""Dashboards: SQL aggregates with a fixed query count, and their charts."""
