"""Small serializers that name an estate or a building inside other answers."""

from __future__ import annotations

from rest_framework import serializers

from ..models import Building, Estate


class EstateRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Estate
        fields = ["id", "name"]


class BuildingRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Building
        fields = ["id", "name"]
