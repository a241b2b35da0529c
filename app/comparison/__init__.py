"""Comparison of self-check results across branches and cycles: page, charts, exports, peer position."""
