"""Bundled real datasets (placeholder registry; filled in by scripts/prepare_datasets.py)."""
