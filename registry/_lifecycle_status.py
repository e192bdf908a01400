"""National dossier status codes 1–10 (from the Cổng DVC quốc gia sync) and transitions.

Allowed transitions (source -> target):
  1 Mới đăng ký        -> 2 accepted, 3 refused, 7 withdrawn
  2 Được tiếp nhận     -> 4 processing, 5 supplement requested, 6 payment requested, 7,
                          9 (processed at once, e.g. same-day birth registration)
  4 Đang xử lý         -> 4 (next step / another agency), 5, 6, 7, 8 stopped, 9
  5 Yêu cầu bổ sung    -> 4 (supplement received, processing resumes), 7,
                          8 (never supplemented)
  6 Yêu cầu nộp phí    -> 4 (paid, processing resumes), 9 (paid, result ready), 7, 8
  9 Đã xử lý xong      -> 10 result returned
  3, 7, 8, 10 are terminal. 5 and 6 stop the deadline clock (waiting on the citizen).
"""

from __future__ import annotations

from collections import deque
from enum import IntEnum

__all__ = [
    "PAUSING",
    "TERMINAL",
    "TRANSITIONS",
    "DossierStatus",
    "national_portal_word",
    "reachable",
    "status_from_national_word",
]


class DossierStatus(IntEnum):
    """Dossier status by its national code."""

    NEW = 1
    ACCEPTED = 2
    REFUSED = 3
    PROCESSING = 4
    SUPPLEMENT_REQUESTED = 5
    PAYMENT_REQUESTED = 6
    WITHDRAWN = 7
    STOPPED = 8
    RESULT_READY = 9
    RESULT_RETURNED = 10

    @property
    def name_vi(self) -> str:
        """The status's Vietnamese name."""
        return _NAMES_VI[self]


_S = DossierStatus
_NAMES_VI = {
    _S.NEW: "Mới đăng ký",
    _S.ACCEPTED: "Được tiếp nhận",
    _S.REFUSED: "Không được tiếp nhận",
    _S.PROCESSING: "Đang xử lý",
    _S.SUPPLEMENT_REQUESTED: "Yêu cầu bổ sung giấy tờ",
    _S.PAYMENT_REQUESTED: "Yêu cầu thực hiện nghĩa vụ tài chính",
    _S.WITHDRAWN: "Công dân yêu cầu rút hồ sơ",
    _S.STOPPED: "Dừng xử lý",
    _S.RESULT_READY: "Đã xử lý xong",
    _S.RESULT_RETURNED: "Đã trả kết quả",
}
_NATIONAL_WORDS = {
    _S.NEW: "receiving",
    _S.ACCEPTED: "new",
    _S.REFUSED: "denied",
    _S.PROCESSING: "processing",
    _S.SUPPLEMENT_REQUESTED: "waiting",
    _S.PAYMENT_REQUESTED: "paying",
    _S.WITHDRAWN: "cancelled",
    _S.STOPPED: "unresolved",
    _S.RESULT_READY: "releasing",
    _S.RESULT_RETURNED: "done",
}
_FROM_WORDS = {word: status for status, word in _NATIONAL_WORDS.items()}

TRANSITIONS: dict[DossierStatus, frozenset[DossierStatus]] = {
    _S.NEW: frozenset({_S.ACCEPTED, _S.REFUSED, _S.WITHDRAWN}),
    _S.ACCEPTED: frozenset(
        {
            _S.PROCESSING,
            _S.SUPPLEMENT_REQUESTED,
            _S.PAYMENT_REQUESTED,
            _S.WITHDRAWN,
            _S.RESULT_READY,
        }
    ),
    _S.PROCESSING: frozenset(
        {
            _S.PROCESSING,
            _S.SUPPLEMENT_REQUESTED,
            _S.PAYMENT_REQUESTED,
            _S.WITHDRAWN,
            _S.STOPPED,
            _S.RESULT_READY,
        }
    ),
    _S.SUPPLEMENT_REQUESTED: frozenset({_S.PROCESSING, _S.WITHDRAWN, _S.STOPPED}),
    _S.PAYMENT_REQUESTED: frozenset({_S.PROCESSING, _S.RESULT_READY, _S.WITHDRAWN, _S.STOPPED}),
    _S.RESULT_READY: frozenset({_S.RESULT_RETURNED}),
    _S.REFUSED: frozenset(),
    _S.WITHDRAWN: frozenset(),
    _S.STOPPED: frozenset(),
    _S.RESULT_RETURNED: frozenset(),
}
TERMINAL = frozenset(s for s, targets in TRANSITIONS.items() if not targets)
"""Terminal statuses: 3, 7, 8, 10."""
PAUSING = frozenset({_S.SUPPLEMENT_REQUESTED, _S.PAYMENT_REQUESTED})
"""Statuses waiting on the citizen: the deadline clock is paused."""


def reachable(source: DossierStatus, target: DossierStatus) -> bool:
    """Whether a path (of one or more steps) leads from `source` to `target`."""
    seen = {source}
    queue = deque([source])
    while queue:
        for nxt in TRANSITIONS[queue.popleft()]:
            if nxt == target:
                return True
            if nxt not in seen:
                seen.add(nxt)
                queue.append(nxt)
    return False


def national_portal_word(status: int) -> str:
    """The national portal (Cổng DVC quốc gia) status word for code 1–10 (`receiving`, ...)."""
    return _NATIONAL_WORDS[DossierStatus(status)]


def status_from_national_word(word: str) -> int:
    """Status code for a national portal word; unknown words (`interoperating`, ...) -> 0."""
    return int(_FROM_WORDS.get(word.strip().lower(), 0))
