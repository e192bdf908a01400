"""Fault injection: break workers, connectors, the broker and peers while traffic flows."""
