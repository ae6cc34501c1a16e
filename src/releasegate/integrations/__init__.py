"""Bridges into other tools' loops: :mod:`releasegate.integrations.transformers` (the Trainer)."""
