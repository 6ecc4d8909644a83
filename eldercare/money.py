"""Subsidy arithmetic, as pure code: Decimal yuan, rounded to the fen half up, never floats."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

FEN = Decimal("0.01")
ZERO = Decimal("0.00")


def to_fen(value: Decimal) -> Decimal:
    return Decimal(value).quantize(FEN, rounding=ROUND_HALF_UP)


def split_price(*, price: Decimal, remaining: Decimal, percent: Decimal | None) -> tuple[Decimal, Decimal]:
    """(subsidy, self-pay) of one order: they always add up to the price, fen for fen.

    ``remaining`` is what is left on the month's voucher; ``percent`` None means a fixed-amount
    voucher that pays the whole price while it lasts, else the voucher pays that share.
    """
    price = to_fen(price)
    wanted = price if percent is None else to_fen(price * Decimal(percent) / 100)
    subsidy = max(ZERO, min(wanted, to_fen(remaining), price))
    return subsidy, price - subsidy
