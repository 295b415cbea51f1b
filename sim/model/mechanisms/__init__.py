"""Cross-role mechanisms, one module each, named for what they are (e.g. contingent_deals)."""
