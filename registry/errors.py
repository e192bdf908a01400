"""Lỗi của registry: một gốc `RegistryError`, các lỗi con theo từng loại sự cố."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "CalendarError",
    "CatalogError",
    "CatalogIssue",
    "IllegalTransitionError",
    "MalformedIdentifierError",
    "RegistryError",
    "UnresolvedAgencyError",
]


class RegistryError(Exception):
    """Gốc của mọi lỗi trong registry (danh mục, lịch làm việc, vòng đời hồ sơ)."""


class MalformedIdentifierError(RegistryError, ValueError):
    """Mã định danh sai định dạng (mã đơn vị, mã thủ tục, mã hồ sơ)."""


class CalendarError(RegistryError, ValueError):
    """Lịch làm việc không dùng được: giờ không có múi giờ, tệp điều chỉnh sai."""


class UnresolvedAgencyError(RegistryError):
    """Không xác định được cơ quan chịu trách nhiệm cho một thủ tục."""


@dataclass(frozen=True)
class CatalogIssue:
    """Một lỗi danh mục: tệp, mục (entry) và trường bị lỗi, kèm thông báo."""

    file: str
    entry: str
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.entry}: {self.field}: {self.message}"


class CatalogError(RegistryError):
    """Danh mục không hợp lệ; mang TẤT CẢ lỗi tìm thấy để báo một lần."""

    def __init__(self, issues: list[CatalogIssue]) -> None:
        self.issues = list(issues)
        lines = "\n".join(f"  - {issue}" for issue in self.issues)
        super().__init__(f"{len(self.issues)} catalog issue(s):\n{lines}")


class IllegalTransitionError(RegistryError):
    """Sự kiện không áp dụng được vào hồ sơ; `reason` là mã ổn định để cách ly (quarantine).

    Reasons: unknown-dossier, already-submitted, wrong-dossier, terminal-status,
    out-of-order, not-allowed, steps-pending, unknown-step, bad-event.
    """

    def __init__(
        self,
        reason: str,
        message: str,
        *,
        dossier_code: str | None = None,
        from_status: int | None = None,
        to_status: int | None = None,
    ) -> None:
        self.reason = reason
        self.dossier_code = dossier_code
        self.from_status = from_status
        self.to_status = to_status
        super().__init__(f"{reason}: {message}")
