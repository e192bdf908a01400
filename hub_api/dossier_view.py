"""The dossier table's read path: a live view of ``hub.dossier-state`` (see _state_view)."""

from __future__ import annotations

from hub_api._state_view import StateView
from registry.lifecycle import DossierState

__all__ = ["DossierView"]


class DossierView(StateView[DossierState]):
    """Dossier states by dossier code, kept current from the dossier-state topic."""

    model = DossierState
    name = "dossier view"
