"""Mã trạng thái hồ sơ quốc gia 1–10, từ đồng bộ Cổng DVC quốc gia, và bảng chuyển trạng thái.

Chuyển trạng thái cho phép (nguồn -> đích):
  1 Mới đăng ký        -> 2 tiếp nhận, 3 không tiếp nhận, 7 rút hồ sơ
  2 Được tiếp nhận     -> 4 xử lý, 5 yêu cầu bổ sung, 6 yêu cầu nộp phí, 7, 9 (xử lý ngay,
                          ví dụ khai sinh trong ngày)
  4 Đang xử lý         -> 4 (chuyển bước/chuyển cơ quan), 5, 6, 7, 8 dừng xử lý, 9
  5 Yêu cầu bổ sung    -> 4 (đã nhận bổ sung, xử lý tiếp), 7, 8 (không bổ sung)
  6 Yêu cầu nộp phí    -> 4 (đã nộp, xử lý tiếp), 9 (đã nộp, có kết quả), 7, 8
  9 Đã xử lý xong      -> 10 đã trả kết quả
  3, 7, 8, 10 là trạng thái kết thúc. 5 và 6 dừng đồng hồ tính hạn (chờ công dân).
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
    """Trạng thái hồ sơ theo mã quốc gia."""

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
        """Tên tiếng Việt của trạng thái."""
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
"""Trạng thái kết thúc: 3, 7, 8, 10."""
PAUSING = frozenset({_S.SUPPLEMENT_REQUESTED, _S.PAYMENT_REQUESTED})
"""Trạng thái chờ công dân: đồng hồ tính hạn tạm dừng."""


def reachable(source: DossierStatus, target: DossierStatus) -> bool:
    """Có đường đi (một hay nhiều bước) từ `source` tới `target` không."""
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
    """Từ trạng thái trên Cổng DVC quốc gia cho mã 1–10 (`receiving`, `new`, ...)."""
    return _NATIONAL_WORDS[DossierStatus(status)]


def status_from_national_word(word: str) -> int:
    """Mã trạng thái từ từ của Cổng quốc gia; từ lạ (`interoperating`, `posting`) -> 0."""
    return int(_FROM_WORDS.get(word.strip().lower(), 0))
