"""Measures: definitions, values (typed or from CSV) and their SPC charts."""
