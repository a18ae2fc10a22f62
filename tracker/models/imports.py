"""Bulk imports of documents: background jobs and their progress."""
