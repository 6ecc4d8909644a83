from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def _perms(models, actions):
    return [f"affairs.{a}_{m}" for m in models for a in actions]


class AffairsConfig(AppConfig):
    name = "community.affairs"
    label = "affairs"
    verbose_name = _("Community affairs")
    default_auto_field = "django.db.models.BigAutoField"

    # The community office runs the matters; the property manager may look, not decide.
    role_permissions = {
        "community_office": _perms(["serviceitem", "grid", "roster"], ["view", "add", "change"])
        + _perms(["application"], ["view", "change"])
        + _perms(["certificate", "gridevent", "rosteraccess"], ["view"]),
        "manager": _perms(["serviceitem"], ["view"]),
    }
