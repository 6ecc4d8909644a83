"""Staff side of the ledger, scoped to the staff member's estates.

Every write is a service call (``ServiceAdminMixin``): set-up records are added through their
services; bills, payments, notifications, receipts and prepaid entries are written by the
platform and only looked at here. A correction is "add bill line" (an adjustment or credit with
a reason); an offline payment is "add payment"; a refund is "add refund".

One module although long: each ModelAdmin is a few lines of declarations around one service
call, and they share the mixins above; the ledger's staff surface reads best in one place.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from community.admin_services import ReadOnlyAdminMixin, ReadOnlyInlineMixin, ServiceAdminMixin
from community.scoping import EstateScopedAdminMixin, ScopedModelAdmin

from . import calc, services
from .models import (
    Assignment,
    Bill,
    BillLine,
    Channel,
    ChargeItem,
    FapiaoRequest,
    HouseholdAccount,
    LateFeePolicy,
    Merchant,
    Meter,
    MeterGateway,
    MeterPush,
    MeterReading,
    Payment,
    PaymentNotification,
    PrepaidEntry,
    Receipt,
    Refund,
    Reminder,
    Statement,
    StatementMismatch,
    Tariff,
)


class AddOnlyAdminMixin:
    """Records that are added (through their service) and never edited or deleted afterwards:
    tariff versions, correction lines, refunds, meter readings."""

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False


class TariffInline(EstateScopedAdminMixin, ReadOnlyInlineMixin, admin.TabularInline):
    model = Tariff
    fields = ["unit_price", "effective_from"]


@admin.register(ChargeItem)
class ChargeItemAdmin(ServiceAdminMixin, ScopedModelAdmin):
    list_display = ["name", "estate", "item_type", "basis", "cycle", "prepaid", "active"]
    list_select_related = ["estate"]
    list_filter = ["item_type", "basis", "cycle", "active"]
    search_fields = ["name"]
    inlines = [TariffInline]

    def get_readonly_fields(self, request, obj=None):
        # An item that has billed keeps its meaning; a new item or a new tariff changes prices.
        if obj is not None:
            return [
                "estate",
                "name",
                "item_type",
                "basis",
                "cycle",
                "prepaid",
                "due_days",
                "vacancy_rate",
                "prepay_discount_rate",
                "shared_meter",
                "share_by",
                "reading_window_days",
            ]
        return []

    def service_save(self, request, form, change):
        data = form.cleaned_data
        if change:
            return services.charge_item_update(
                item=form.instance,
                active=data["active"],
                payable_from_prepaid=data["payable_from_prepaid"],
                by=request.user,
            )
        return services.charge_item_create(
            estate=data["estate"],
            name=data["name"],
            item_type=data["item_type"],
            basis=data["basis"],
            cycle=data["cycle"],
            prepaid=data["prepaid"],
            due_days=data["due_days"],
            vacancy_rate=data["vacancy_rate"],
            payable_from_prepaid=data["payable_from_prepaid"],
            prepay_discount_rate=data["prepay_discount_rate"],
            shared_meter=data.get("shared_meter"),
            share_by=data.get("share_by") or "area",
            reading_window_days=data.get("reading_window_days") or 0,
            by=request.user,
        )


@admin.register(Tariff)
class TariffAdmin(AddOnlyAdminMixin, ServiceAdminMixin, ScopedModelAdmin):
    list_display = ["item", "unit_price", "effective_from"]
    list_filter = ["item__item_type"]
    list_select_related = ["item"]

    def service_save(self, request, form, change):
        data = form.cleaned_data
        return services.tariff_create(
            item=data["item"],
            unit_price=data["unit_price"],
            effective_from=data["effective_from"],
            by=request.user,
        )


@admin.register(Assignment)
class AssignmentAdmin(ServiceAdminMixin, ScopedModelAdmin):
    list_display = ["item", "unit", "account", "start_date", "end_date", "vacant"]
    list_filter = ["item", "vacant"]
    list_select_related = ["item", "unit__building", "account"]
    autocomplete_fields = []
    raw_id_fields = ["unit", "account"]

    def get_readonly_fields(self, request, obj=None):
        return ["item", "unit", "account", "start_date"] if obj is not None else []

    def service_save(self, request, form, change):
        data = form.cleaned_data
        if change:
            return services.assignment_update(
                assignment=form.instance, end_date=data["end_date"], vacant=data["vacant"], by=request.user
            )
        return services.assignment_create(
            item=data["item"],
            unit=data.get("unit"),
            account=data.get("account"),
            start_date=data["start_date"],
            end_date=data["end_date"],
            vacant=data["vacant"],
            by=request.user,
        )


class BillLineInline(EstateScopedAdminMixin, ReadOnlyInlineMixin, admin.TabularInline):
    model = BillLine
    fields = ["kind", "description", "quantity", "unit_price", "amount", "reason", "created_by", "created_at"]


@admin.register(Bill)
class BillAdmin(ReadOnlyAdminMixin, ScopedModelAdmin):
    list_display = [
        "number",
        "payer_unit",
        "description",
        "total",
        "amount_paid",
        "status",
        "due_date",
        "disputed",
    ]
    list_filter = ["status", "item_type", "disputed", "period_start"]
    search_fields = ["number", "source_ref", "description"]
    list_select_related = ["payer_unit__building"]
    date_hierarchy = "due_date"
    inlines = [BillLineInline]


class AdjustmentForm(forms.ModelForm):
    class Meta:
        model = BillLine
        fields = ["bill", "amount", "reason"]


@admin.register(BillLine)
class BillLineAdmin(AddOnlyAdminMixin, ServiceAdminMixin, ScopedModelAdmin):
    """Add = an adjustment (positive) or credit (negative) line with a reason."""

    form = AdjustmentForm
    list_display = ["bill", "kind", "description", "amount", "reason", "created_by", "created_at"]
    list_filter = ["kind"]
    raw_id_fields = ["bill"]
    list_select_related = ["bill"]

    def service_save(self, request, form, change):
        data = form.cleaned_data
        return services.bill_adjust(
            bill=data["bill"], amount=data["amount"], reason=data["reason"], by=request.user
        )


class OfflinePaymentForm(forms.ModelForm):
    class Meta:
        model = Payment
        fields = ["bills", "channel", "amount", "note"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Empty: the amount due of the chosen bills.
        self.fields["amount"].required = False
        self.fields["channel"].choices = [
            (c, label) for c, label in Channel.choices if c in ("cash", "transfer", "pos")
        ]


class UnallocatedFilter(admin.SimpleListFilter):
    """Payments holding money no bill took (a walk-in who paid a settled bill): the refund queue."""

    title = gettext_lazy("not allocated")
    parameter_name = "unallocated"

    def lookups(self, request, model_admin):
        return [("yes", gettext_lazy("To refund"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(unallocated_amount__gt=0)
        return queryset


@admin.register(Payment)
class PaymentAdmin(ServiceAdminMixin, ScopedModelAdmin):
    """Add = an offline payment (cash, transfer, POS) the staff member has received."""

    list_display = [
        "out_trade_no",
        "payer",
        "provider",
        "channel",
        "amount",
        "refunded_amount",
        "unallocated_amount",
        "status",
        "paid_at",
    ]
    list_filter = [UnallocatedFilter, "provider", "status", "channel"]
    # The payer's unit label needs its building; both payers in the one list query.
    list_select_related = ["payer_unit__building", "payer_account"]
    search_fields = ["out_trade_no", "provider_transaction_id"]
    date_hierarchy = "created_at"
    raw_id_fields = ["bills"]

    @admin.display(description=gettext_lazy("payer"))
    def payer(self, payment: Payment) -> str:
        """Whose money: a home, a household account, or a walk-in (a temporary car, say)."""
        if payment.payer_account_id:
            return str(payment.payer_account)
        if payment.payer_unit_id:
            return payment.payer_unit.label
        return gettext_lazy("walk-in")

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = OfflinePaymentForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return [f.name for f in Payment._meta.fields] + ["bills"]

    def has_delete_permission(self, request, obj=None):
        return False

    def service_save(self, request, form, change):
        if change:
            return form.instance
        data = form.cleaned_data
        return services.payment_create(
            bills=list(data["bills"]),
            provider="offline",
            channel=data["channel"],
            amount=data.get("amount"),
            note=data.get("note", ""),
            by=request.user,
        )


@admin.register(Refund)
class RefundAdmin(AddOnlyAdminMixin, ServiceAdminMixin, ScopedModelAdmin):
    list_display = [
        "out_refund_no",
        "payment",
        "amount",
        "reason",
        "provider_state",
        "created_by",
        "created_at",
    ]
    list_filter = ["provider_state"]
    list_select_related = ["payment"]
    fields = ["payment", "amount", "reason"]
    raw_id_fields = ["payment"]

    def service_save(self, request, form, change):
        data = form.cleaned_data
        return services.payment_refund(
            payment=data["payment"], amount=data["amount"], reason=data["reason"], by=request.user
        )


@admin.register(PaymentNotification)
class PaymentNotificationAdmin(ReadOnlyAdminMixin, ScopedModelAdmin):
    list_display = ["received_at", "provider", "merchant_code", "outcome", "flagged", "deliveries", "payment"]
    list_select_related = ["payment"]
    list_filter = ["provider", "outcome", "flagged"]
    search_fields = ["event_id", "merchant_code"]


@admin.register(Receipt)
class ReceiptAdmin(ReadOnlyAdminMixin, ScopedModelAdmin):
    list_display = ["display_number", "estate", "payment", "issued_at"]
    list_select_related = ["estate", "payment"]


class PrepaidTransferForm(forms.ModelForm):
    """The one prepaid entry staff add: part of a unit's balance moved into the household
    account the unit is in (``services.prepaid_transfer``: two entries, out and in)."""

    class Meta:
        model = PrepaidEntry
        fields = ["unit", "account", "amount", "reason"]
        help_texts = {
            "unit": gettext_lazy("The unit whose prepaid balance the money leaves."),
            "account": gettext_lazy("The household account the unit is in, which receives it."),
            "reason": gettext_lazy("Why, as the payer asked (kept with both entries)."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Optional on the model (an entry names one payer or the other); a transfer needs both.
        for name in ("unit", "account", "reason"):
            self.fields[name].required = True

    def _post_clean(self):
        # Nothing to build or check on the instance: the service writes two entries, each
        # naming one payer, and the model's one-payer constraint would refuse this form's
        # instance, which names both. The service checks everything else.
        pass


@admin.register(PrepaidEntry)
class PrepaidEntryAdmin(AddOnlyAdminMixin, ServiceAdminMixin, ScopedModelAdmin):
    """Entries are written by payments, the bill run and refunds; staff add only a transfer
    from a unit's balance to its household account, when the payer asks (a unit that joins an
    account keeps its own balance: see ``household_account_create``)."""

    form = PrepaidTransferForm
    list_display = ["unit", "account", "kind", "amount", "payment", "reason", "created_by", "created_at"]
    list_filter = ["kind"]
    list_select_related = ["unit__building", "account", "payment"]
    # An estate has thousands of units; the choices are still scoped (a posted id of another
    # estate's unit or account is not among them).
    raw_id_fields = ["unit", "account"]

    def service_save(self, request, form, change):
        data = form.cleaned_data
        _out, into = services.prepaid_transfer(
            unit=data["unit"],
            account=data["account"],
            amount=data["amount"],
            reason=data["reason"],
            by=request.user,
        )
        return into


@admin.register(Merchant)
class MerchantAdmin(ReadOnlyAdminMixin, ScopedModelAdmin):
    """Merchant accounts hold keys: set up by a command on the server, only shown here."""

    list_display = ["code", "provider", "estate", "mch_id", "app_id", "is_demo"]
    list_select_related = ["estate"]
    exclude = ["api_v3_key"]


class StatementMismatchInline(EstateScopedAdminMixin, ReadOnlyInlineMixin, admin.TabularInline):
    model = StatementMismatch
    fields = ["kind", "out_trade_no", "reference", "provider_amount", "ledger_amount", "payment"]


@admin.register(Statement)
class StatementAdmin(ReadOnlyAdminMixin, ScopedModelAdmin):
    """Provider statements and what the comparison with the ledger found (the daily job)."""

    list_display = [
        "bill_date",
        "merchant",
        "rows",
        "provider_paid_total",
        "ledger_paid_total",
        "mismatch_count",
    ]
    list_select_related = ["merchant"]
    list_filter = ["merchant"]
    exclude = ["raw"]
    inlines = [StatementMismatchInline]


@admin.register(MeterGateway)
class MeterGatewayAdmin(ServiceAdminMixin, ScopedModelAdmin):
    """A new gateway's token is shown once, on saving; only its hash is kept."""

    list_display = ["name", "estate", "active", "last_seen_at"]
    list_select_related = ["estate"]
    fields = ["estate", "name", "active"]

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)

    def service_save(self, request, form, change):
        from django.contrib import messages

        gateway, token = services.meter_gateway_create(
            estate=form.cleaned_data["estate"], name=form.cleaned_data["name"], by=request.user
        )
        messages.warning(
            request, _("Token for %(name)s (shown once): %(token)s") % {"name": gateway.name, "token": token}
        )
        return gateway


class HouseholdAccountForm(forms.ModelForm):
    member_units = forms.CharField(
        label=_("units"), help_text=_("Unit ids, separated by commas (an estate has thousands of units).")
    )

    class Meta:
        model = HouseholdAccount
        fields = ["estate", "name"]

    def clean_member_units(self):
        from community.residents.models import Unit

        try:
            ids = {
                int(part)
                for part in self.cleaned_data["member_units"].replace("，", ",").split(",")
                if part.strip()
            }
        except ValueError:
            raise forms.ValidationError(_("Unit ids are numbers separated by commas.")) from None
        units = list(Unit.objects.filter(pk__in=ids).select_related("building"))
        if len(units) != len(ids):
            raise forms.ValidationError(_("Some of these unit ids do not exist."))
        return units


@admin.register(HouseholdAccount)
class HouseholdAccountAdmin(ServiceAdminMixin, ScopedModelAdmin):
    """Accounts are made through the service (a unit is in one account at most); kept after."""

    form = HouseholdAccountForm
    list_display = ["name", "estate", "prepaid_balance", "created_at"]
    list_select_related = ["estate"]

    def get_queryset(self, request):
        from . import selectors

        return selectors.with_prepaid_balance(super().get_queryset(request))

    @admin.display(description=_("prepaid balance"), ordering="prepaid_balance")
    def prepaid_balance(self, obj):
        return obj.prepaid_balance.quantize(calc.FEN)

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)

    def service_save(self, request, form, change):
        data = form.cleaned_data
        return services.household_account_create(
            estate=data["estate"], name=data["name"], units=data["member_units"], by=request.user
        )


@admin.register(MeterPush)
class MeterPushAdmin(ReadOnlyAdminMixin, ScopedModelAdmin):
    list_display = ["received_at", "gateway", "message_id", "stored", "flagged", "deliveries"]
    list_select_related = ["gateway"]
    list_filter = ["flagged"]
    search_fields = ["message_id"]


@admin.register(LateFeePolicy)
class LateFeePolicyAdmin(ServiceAdminMixin, ScopedModelAdmin):
    list_display = ["estate", "clause_reference", "daily_rate", "grace_days"]

    def service_save(self, request, form, change):
        data = form.cleaned_data
        return services.late_fee_policy_save(
            estate=data["estate"],
            contract_clause=data["contract_clause"],
            clause_reference=data["clause_reference"],
            daily_rate=data["daily_rate"],
            grace_days=data["grace_days"],
            by=request.user,
        )


@admin.register(Meter)
class MeterAdmin(ServiceAdminMixin, ScopedModelAdmin):
    list_display = ["serial", "kind", "unit", "multiplier", "installed_on", "verified_on", "archived"]
    list_select_related = ["unit__building"]
    list_filter = ["kind", "archived"]
    search_fields = ["serial"]
    raw_id_fields = ["unit"]

    def get_readonly_fields(self, request, obj=None):
        return ["estate", "unit", "kind", "serial", "multiplier", "digits", "installed_on"] if obj else []

    def service_save(self, request, form, change):
        data = form.cleaned_data
        if change:
            return services.meter_update(
                meter=form.instance,
                verified_on=data["verified_on"],
                archived=data["archived"],
                by=request.user,
            )
        return services.meter_create(
            estate=data["estate"],
            unit=data["unit"],
            kind=data["kind"],
            serial=data["serial"],
            installed_on=data["installed_on"],
            multiplier=data["multiplier"],
            digits=data["digits"],
            by=request.user,
        )


@admin.register(MeterReading)
class MeterReadingAdmin(AddOnlyAdminMixin, ServiceAdminMixin, ScopedModelAdmin):
    list_display = ["meter", "read_on", "value", "usage", "source", "rollover", "replacement", "created_by"]
    list_filter = ["source", "meter__kind"]
    fields = ["meter", "read_on", "value", "rollover", "replacement", "photo"]
    raw_id_fields = ["meter"]
    list_select_related = ["meter"]

    def service_save(self, request, form, change):
        from django.utils import timezone

        data = form.cleaned_data
        return services.meter_reading_record(
            meter=data["meter"],
            value=data["value"],
            read_on=data["read_on"],
            today=timezone.localdate(),
            rollover=data["rollover"],
            replacement=data["replacement"],
            photo=data.get("photo"),
            by=request.user,
        )


@admin.register(Reminder)
class ReminderAdmin(ReadOnlyAdminMixin, ScopedModelAdmin):
    """Printed notices and visits are listed here for staff to carry out."""

    list_display = ["bill", "level", "channel", "days_overdue", "created_at"]
    list_filter = ["channel", "level"]
    list_select_related = ["bill"]


class FapiaoDecisionForm(forms.ModelForm):
    action = forms.ChoiceField(choices=[("issue", "issue"), ("reject", "reject")])

    class Meta:
        model = FapiaoRequest
        fields = ["issued_file", "note"]


@admin.register(FapiaoRequest)
class FapiaoRequestAdmin(ServiceAdminMixin, ScopedModelAdmin):
    """Staff issue a fapiao elsewhere and upload it here, or reject the request with a note."""

    form = FapiaoDecisionForm
    list_display = ["title", "tax_id", "email", "payment", "status", "created_at"]
    list_select_related = ["payment"]
    list_filter = ["status"]
    readonly_fields = ["payment", "title", "tax_id", "email", "status", "requested_by", "decided_by"]

    def has_add_permission(self, request):
        return False

    def service_save(self, request, form, change):
        data = form.cleaned_data
        return services.fapiao_request_decide(
            request=form.instance,
            action=data["action"],
            issued_file=data.get("issued_file"),
            note=data.get("note", ""),
            by=request.user,
        )
