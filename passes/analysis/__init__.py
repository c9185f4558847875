"""Analyses the passes ask: board data, resource and rate models of each layer."""
