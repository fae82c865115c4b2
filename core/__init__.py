"""The service's base: errors, the correlation id, the shutdown flag, database plumbing.

Every app may import it; it imports none of them, nor DRF (core/tests/test_layers.py).
"""
