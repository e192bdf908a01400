"""Fake legacy systems (peers) that really serve their protocol on 127.0.0.1.

Used by connector tests, the fault suite and ``hub dev``. In a test::

    with CivilStatusPeer(username="u", password="p") as peer:
        client = zeep.Client(peer.wsdl_url, wsse=UsernameToken("u", "p"))
        peer.set_mode("fail", times=2)   # next two requests: transient SOAP fault
        ...
        assert [e.dossier_code for e in peer.accepted("RegisterBirth")] == [...]

``peer.stop()`` takes it down, ``peer.start()`` brings it back on the same port. A peer in
another process (``python -m connectors.peers NAME``) is driven with :class:`RemotePeer`.
"""

from collections.abc import Callable
from typing import Any

from connectors.peers._base import Peer, Reply
from connectors.peers._log import LogEntry, Mode, ModeSetting, Outcome
from connectors.peers._remote import RemotePeer
from connectors.peers._server import PeerServer
from connectors.peers._soap import FAULT_NS, SoapPeer, SoapVersion
from connectors.peers.civil_status import CivilStatusPeer
from connectors.peers.payment import PaymentPeer
from connectors.peers.population import PopulationPeer
from connectors.peers.portal import PortalPeer
from connectors.peers.postal import PostalPeer
from connectors.peers.push import PushPeer
from connectors.peers.sms import SmsPeer

PEERS: dict[str, Callable[..., Peer]] = {
    CivilStatusPeer.name: CivilStatusPeer,
    PopulationPeer.name: PopulationPeer,
    PaymentPeer.name: PaymentPeer,
    PostalPeer.name: PostalPeer,
    PortalPeer.name: PortalPeer,
    SmsPeer.name: SmsPeer,
    PushPeer.name: PushPeer,
}


def create_peer(name: str, **options: Any) -> Peer:
    """A peer by name: civil-status, population, payment, postal, portal, sms or push."""
    try:
        factory = PEERS[name]
    except KeyError:
        raise ValueError(f"unknown peer {name!r}; known: {', '.join(PEERS)}") from None
    return factory(**options)


__all__ = [
    "FAULT_NS",
    "PEERS",
    "CivilStatusPeer",
    "LogEntry",
    "Mode",
    "ModeSetting",
    "Outcome",
    "PaymentPeer",
    "Peer",
    "PeerServer",
    "PopulationPeer",
    "PortalPeer",
    "PostalPeer",
    "PushPeer",
    "RemotePeer",
    "Reply",
    "SmsPeer",
    "SoapPeer",
    "SoapVersion",
    "create_peer",
]
