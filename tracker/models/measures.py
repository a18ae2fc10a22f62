"""Performance measures and their values per period."""
