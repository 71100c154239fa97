"""Builders for the synthetic, UK-coded demo records (stdlib only, deterministic)."""
