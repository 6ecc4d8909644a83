"""The eldercare admin: scoped per estate, writes through services."""

from __future__ import annotations

from eldercare.models import AbilityAssessment, Consent


def test_coordinator_sees_own_estate_only(elder_a, station_a, coordinator_a, manager_b, client_for):
    client = client_for(coordinator_a)
    assert client.get("/admin/eldercare/elderprofile/").status_code == 200
    assert client.get(f"/admin/eldercare/elderprofile/{elder_a.pk}/change/").status_code == 200
    assert client.get(f"/admin/eldercare/carestation/{station_a.pk}/change/").status_code == 200
    other = client_for(manager_b)
    assert elder_a.resident.name not in other.get("/admin/eldercare/elderprofile/").content.decode()
    assert other.get(f"/admin/eldercare/elderprofile/{elder_a.pk}/change/").status_code in (302, 403, 404)


def test_assessment_added_in_the_admin_goes_through_the_service(elder_a, coordinator_a, client_for):
    response = client_for(coordinator_a).post(
        "/admin/eldercare/abilityassessment/add/",
        {
            "elder": elder_a.pk,
            "self_care": 30,
            "mobility": 14,
            "mental_state": 27,
            "perception_social": 14,
            "risk_events_30d": 2,
            "reason": "routine",
            "assessed_on": "2026-11-30",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assessment = AbilityAssessment.objects.get()
    assert (assessment.preliminary_level, assessment.level, assessment.assessor) == (1, 2, coordinator_a)


def test_admin_refuses_an_assessment_without_consent(elder_a, coordinator_a, client_for):
    Consent.objects.filter(elder=elder_a, category="health").delete()
    response = client_for(coordinator_a).post(
        "/admin/eldercare/abilityassessment/add/",
        {
            "elder": elder_a.pk,
            "self_care": 30,
            "mobility": 14,
            "mental_state": 27,
            "perception_social": 14,
            "risk_events_30d": 0,
            "reason": "routine",
            "assessed_on": "2026-11-30",
        },
    )
    assert response.status_code == 200 and not AbilityAssessment.objects.exists()
