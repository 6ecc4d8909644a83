"""Baseline for bench/parking_decide.py: the least a plate endpoint can do in this server — parse
the body, one indexed lookup, a constant answer. Mounted only with PARKING_BENCH_VIEWS=1."""

from __future__ import annotations

import json

from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt

from .models import Vehicle

_ANSWER = {"Response_AlarmInfoPlate": {"info": "no", "content": "retransfer_stop"}}


@csrf_exempt
def lookup(request):
    plate = json.loads(request.body)["AlarmInfoPlate"]["result"]["PlateResult"]["license"]
    estate = int(request.GET.get("estate", "0"))
    Vehicle.objects.filter(estate_id=estate, plate=plate).order_by().values_list("pk").first()
    return JsonResponse(_ANSWER)
