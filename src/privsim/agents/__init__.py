"""Agents: the member population (rows of arrays), contact accounts, and member behaviour."""
