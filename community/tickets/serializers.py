from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from community.residents.models import Resident, Unit

from .filing import COMMON_AREA_MAX, RATING_COMMENT_MAX, TEXT_MAX
from .models import Category, Channel, HoldReason, Priority, Rating, Ticket, TicketEvent, TicketPhoto
from .transitions import Action


class CategorySerializer(serializers.ModelSerializer):
    class Meta:
        model = Category
        fields = ["id", "estate", "name", "kind", "default_priority"]


class TicketSerializer(serializers.ModelSerializer):
    category_name = serializers.CharField(source="category.name", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    unit_label = serializers.SerializerMethodField()
    assignee_name = serializers.SerializerMethodField()

    class Meta:
        model = Ticket
        fields = [
            "id",
            "number",
            "estate",
            "kind",
            "category",
            "category_name",
            "priority",
            "channel",
            "status",
            "status_display",
            "unit",
            "unit_label",
            "common_area",
            "description",
            "assignee",
            "assignee_name",
            "response_due_at",
            "arrival_due_at",
            "resolution_due_at",
            "responded_at",
            "arrived_at",
            "hold_reason",
            "breached",
            "resolved_at",
            "closed_at",
            "created_at",
            "updated_at",
            "version",
        ]
        read_only_fields = fields

    def get_unit_label(self, obj) -> str:
        return obj.unit.label if obj.unit_id else ""

    def get_assignee_name(self, obj) -> str:
        return str(obj.assignee) if obj.assignee_id else ""


class EventSerializer(serializers.ModelSerializer):
    actor_name = serializers.SerializerMethodField()
    text = serializers.CharField(read_only=True, help_text=_("The line shown, in the reader's language."))

    class Meta:
        model = TicketEvent
        fields = [
            "id",
            "kind",
            "action",
            "from_status",
            "to_status",
            "body",
            "message",
            "params",
            "text",
            "is_internal",
            "actor_name",
            "created_at",
        ]

    def get_actor_name(self, obj) -> str:
        return str(obj.actor) if obj.actor_id else obj.system_actor


class PhotoSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField(help_text=_("Served only to those who may open the ticket."))

    class Meta:
        model = TicketPhoto
        fields = ["id", "url", "stage", "width", "height", "created_at"]

    def get_url(self, obj) -> str:
        # The authorised view, never the storage path: /media/ is not public.
        path = reverse("portal-tickets:photo", args=[obj.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path


class RatingSerializer(serializers.ModelSerializer):
    class Meta:
        model = Rating
        fields = ["score", "comment", "created_at"]


class TicketDetailSerializer(TicketSerializer):
    events = EventSerializer(source="timeline", many=True, read_only=True)
    photos = PhotoSerializer(source="photo_list", many=True, read_only=True)
    rating = serializers.SerializerMethodField()
    actions = serializers.SerializerMethodField()
    resolution_note = serializers.CharField(read_only=True)

    class Meta(TicketSerializer.Meta):
        fields = [*TicketSerializer.Meta.fields, "resolution_note", "events", "photos", "rating", "actions"]
        read_only_fields = fields

    def get_rating(self, obj) -> dict | None:
        rating = getattr(obj, "rating", None)  # None when the reverse one-to-one has no row
        return RatingSerializer(rating).data if rating else None

    def get_actions(self, obj) -> list[str]:
        return self.context.get("actions", [])


class TicketCreateSerializer(serializers.Serializer):
    category = serializers.PrimaryKeyRelatedField(queryset=Category.objects.filter(is_active=True))
    description = serializers.CharField(max_length=TEXT_MAX)
    unit = serializers.PrimaryKeyRelatedField(queryset=Unit.objects.all(), required=False, allow_null=True)
    common_area = serializers.CharField(
        max_length=COMMON_AREA_MAX, required=False, allow_blank=True, default=""
    )
    priority = serializers.ChoiceField(choices=Priority.choices, required=False)
    channel = serializers.ChoiceField(choices=Channel.choices, required=False, default=Channel.PORTAL)
    reporter = serializers.PrimaryKeyRelatedField(
        queryset=Resident.objects.all(),
        required=False,
        allow_null=True,
        help_text=_("Staff only: the resident who called or came in."),
    )
    photos = serializers.ListField(
        child=serializers.ImageField(),
        required=False,
        max_length=6,
        help_text=_("Up to 6 JPEG, PNG or WebP images (multipart)."),
    )


class TicketUpdateSerializer(serializers.Serializer):
    version = serializers.IntegerField(help_text=_("The version you last read; a stale one answers 409."))
    category = serializers.PrimaryKeyRelatedField(queryset=Category.objects.all(), required=False)
    priority = serializers.ChoiceField(choices=Priority.choices, required=False)
    description = serializers.CharField(max_length=TEXT_MAX, required=False)
    common_area = serializers.CharField(max_length=COMMON_AREA_MAX, required=False, allow_blank=True)
    reason = serializers.CharField(
        max_length=TEXT_MAX,
        required=False,
        allow_blank=True,
        default="",
        help_text=_("Required when the priority or category changes."),
    )


class TicketActionSerializer(serializers.Serializer):
    version = serializers.IntegerField(
        required=False, help_text=_("Optimistic lock: a stale one answers 409.")
    )
    reason = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=TEXT_MAX,
        help_text=_("Required for hold, decline, resolve, reopen, reassign, return and a staff close."),
    )
    assignee = serializers.IntegerField(required=False, help_text=_("User id, for assign and reassign."))
    hold_reason = serializers.ChoiceField(
        choices=HoldReason.choices, required=False, default="", help_text=_("For hold: what it waits for.")
    )
    photos = serializers.ListField(child=serializers.ImageField(), required=False, max_length=6)


class CommentSerializer(serializers.Serializer):
    body = serializers.CharField(max_length=TEXT_MAX)
    internal = serializers.BooleanField(default=False, help_text=_("Staff only: an internal note."))


class RateSerializer(serializers.Serializer):
    score = serializers.IntegerField(min_value=1, max_value=5)
    comment = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=RATING_COMMENT_MAX
    )


ACTION_NAMES = Action.values
