"""The cash ledger: every month's flows in and out, posted to the cent, and the cash they leave.

Cash changes only through posted flows, so the ledger balances by construction and the tests can
check it every month: cash(t) - cash(t-1) == sum of month t's flows, to the cent.
"""

from __future__ import annotations

INFLOWS = ("revenue_usd", "funding_usd")
OUTFLOWS = ("salaries_usd", "overhead_usd", "cost_to_serve_usd", "commissions_usd", "hiring_usd")


def cents(amount: float) -> float:
    """``round(amount, 2)``: the same number, but a whole amount (salaries, hiring, overhead,
    funding) comes back as it is, without Python's decimal rounding (about 1 us a call, and the
    books round some twenty times a month). Only Python's own numbers: numpy's ``round`` of a
    huge whole float64 is not always the number itself."""
    kind = type(amount)
    if kind is int or (kind is float and amount.is_integer()):
        return amount
    return round(amount, 2)


class Ledger:
    """Cash plus the current month's flows by name (inflows positive, outflows as costs)."""

    def __init__(self, initial_cash: float) -> None:
        self.cash = cents(initial_cash)
        self.flows = dict.fromkeys(INFLOWS + OUTFLOWS, 0.0)

    def post(self, name: str, amount: float) -> None:
        """Add an amount (USD, rounded to the cent) to a named flow of this month."""
        if name not in self.flows:
            raise KeyError(f"unknown ledger flow {name!r}")
        self.flows[name] = cents(self.flows[name] + cents(amount))

    def net(self) -> float:
        # lists, not generators (the same sums: ``sum`` adds the same numbers in the same order)
        flows = self.flows
        inflow = sum([flows[n] for n in INFLOWS])
        outflow = sum([flows[n] for n in OUTFLOWS])
        return cents(inflow - outflow)

    def costs(self, flows: dict[str, float] | None = None) -> float:
        """Total outflows of this month, or of a closed month's flows."""
        flows = self.flows if flows is None else flows
        return cents(sum([flows[n] for n in OUTFLOWS]))

    def close_month(self) -> dict[str, float]:
        """Apply the month's flows to cash; return them and start a new month."""
        closed = dict(self.flows)
        self.cash = cents(self.cash + self.net())
        self.flows = dict.fromkeys(self.flows, 0.0)
        return closed
