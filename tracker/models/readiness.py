"""Readiness: self-scores, the assessment timeline and CQC evidence categories."""
