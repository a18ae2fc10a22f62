"""Exports: generated self-assessment documents and IR submission packs."""
