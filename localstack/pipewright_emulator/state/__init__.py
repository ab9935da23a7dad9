"""Shared state, the bottom layer: what the service handlers and the runner both read.

Nothing here imports a handler or the runner, so both can import it (handlers on top, the
runner below them, this and ``judge`` at the bottom; ``tests/test_layers.py`` keeps it so).
"""
