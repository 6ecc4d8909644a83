from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "community.accounts"
    label = "accounts"
    verbose_name = _("Accounts")

    # Property staff see the login accounts and invitations tied to their estates.
    role_permissions = {
        "manager": ["accounts.view_user", "accounts.change_user", "accounts.view_invitation"],
        "front_desk": ["accounts.view_user", "accounts.view_invitation"],
    }

    def ready(self) -> None:
        from django.apps import apps
        from django.db.models.signals import post_migrate

        from .roles import sync_role_groups

        def sync_after_last_app(sender, **kwargs):
            # post_migrate fires once per app; permissions of every app exist only after the
            # last one, so sync the role groups then, once. Django sends it only for apps with
            # a models module (an app without models.py — eldercare today — never sends one),
            # so "last" is the last app that has models.
            with_models = [config for config in apps.get_app_configs() if config.models_module is not None]
            if with_models and sender is with_models[-1]:
                sync_role_groups(sender=sender, **kwargs)

        post_migrate.connect(sync_after_last_app, weak=False, dispatch_uid="accounts.sync_role_groups")

        from . import receivers

        receivers.connect()
