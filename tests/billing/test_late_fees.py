"""违约金 only where the estate's service contract provides it, capped, as of a given date,
waivable with a reason; and nothing in the platform restricts a service for arrears."""

import datetime as dt
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.files.base import ContentFile

from community.billing import services
from community.billing.models import Bill, BillLine, LateFeePolicy
from community.errors import ServiceError
from tests.factories import AssignmentFactory, ChargeItemFactory, TariffFactory

SYSTEM = "system:late-fees"


@pytest.fixture
def overdue_bill(estate_a):
    item = ChargeItemFactory(estate=estate_a, name="物业费", prepaid=True, due_days=0)
    TariffFactory(item=item, unit_price=Decimal("3.00"), effective_from=dt.date(2020, 1, 1))
    AssignmentFactory(item=item, unit__exclusive_area=Decimal("100.00"), start_date=dt.date(2025, 1, 1))
    services.bill_run(estate=estate_a, on=dt.date(2026, 1, 1), by=SYSTEM)
    return Bill.objects.get()  # 300.00, due 2026-01-01


def _contract(estate, rate="0.00030", grace=10):
    policy = LateFeePolicy(
        estate=estate, clause_reference="物业服务合同第十二条", daily_rate=Decimal(rate), grace_days=grace
    )
    policy.contract_clause.save("clause.pdf", ContentFile(b"%PDF-1.4 clause"), save=False)
    policy.save()
    return policy


def test_no_contract_clause_no_late_fee(estate_a, overdue_bill):
    assert services.late_fees_post(estate=estate_a, as_of=dt.date(2027, 1, 1), by=SYSTEM) == 0
    assert not BillLine.objects.filter(kind="late_fee").exists()


def test_late_fee_as_of_a_date_is_added_once_and_capped(estate_a, overdue_bill):
    _contract(estate_a)
    assert services.late_fees_post(estate=estate_a, as_of=dt.date(2026, 1, 31), by=SYSTEM) == 1
    assert services.late_fees_post(estate=estate_a, as_of=dt.date(2026, 1, 31), by=SYSTEM) == 0
    overdue_bill.refresh_from_db()
    assert overdue_bill.total == Decimal("301.80")  # 300 × 0.03 % × (30 − 10 grace) days
    line = overdue_bill.lines.get(kind="late_fee")
    assert "违约金" in str(line.description) and line.reason == "物业服务合同第十二条"
    # Ten years later the fee is capped at the principal.
    services.late_fees_post(estate=estate_a, as_of=dt.date(2036, 1, 1), by=SYSTEM)
    overdue_bill.refresh_from_db()
    assert overdue_bill.total == Decimal("600.00")


def test_waiver_needs_a_reason_and_takes_the_fee_out(estate_a, overdue_bill):
    _contract(estate_a)
    services.late_fees_post(estate=estate_a, as_of=dt.date(2026, 3, 1), by=SYSTEM)
    with pytest.raises(ServiceError):
        services.late_fee_waive(bill=overdue_bill, reason="", by=SYSTEM)
    services.late_fee_waive(bill=overdue_bill, reason="业主困难，经理批准", by=SYSTEM)
    overdue_bill.refresh_from_db()
    assert overdue_bill.total == Decimal("300.00")
    assert services.late_fees_post(estate=estate_a, as_of=dt.date(2026, 4, 1), by=SYSTEM) == 0


def test_disputed_bill_gets_no_late_fee(estate_a, overdue_bill):
    _contract(estate_a)
    services.bill_dispute_set(bill=overdue_bill, disputed=True, by=SYSTEM)
    assert services.late_fees_post(estate=estate_a, as_of=dt.date(2026, 3, 1), by=SYSTEM) == 0


def test_residents_never_read_the_word_zhinajin():
    """Resident-facing texts call it 违约金, never 滞纳金 (an administrative term)."""
    root = Path(__file__).resolve().parents[2]
    places = [root / "community" / "billing", root / "templates" / "portal"]
    offenders = [
        str(path)
        for place in places
        for path in place.rglob("*")
        if path.suffix in {".py", ".html", ".po"} and "滞纳金" in path.read_text(encoding="utf-8")
    ]
    assert offenders == []


def test_nothing_in_the_platform_restricts_a_service_for_arrears():
    """Civil Code Art. 944: arrears never stop gates, lifts, parking, water or power. There is
    no such action: no code path reads a bill's arrears to decide access, parking or a device."""
    root = Path(__file__).resolve().parents[2]
    service_apps = [root / "access", root / "parking", root / "eldercare"]
    # Reading a payer's arrears means querying bills beyond one's own charge (bill_for_source).
    pattern = re.compile(r"arrears|欠费|Bill\.objects|my_bills|staff_bills|PrepaidEntry|amount_due\s*>")
    readers = [
        f"{path.relative_to(root)}:{number}"
        for app in service_apps
        for path in app.rglob("*.py")
        for number, text in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if pattern.search(text) and not text.lstrip().startswith("#")
    ]
    assert readers == [], "a service app reads arrears: " + ", ".join(readers)
    # And billing offers nobody a hook to block: no signal, service or setting named for it.
    billing = root / "community" / "billing"
    hooks = [
        str(path)
        for path in billing.rglob("*.py")
        if re.search(
            r"def \w*(block|restrict|suspend|cut_off|disable)\w*\(", path.read_text(encoding="utf-8")
        )
    ]
    assert hooks == []
