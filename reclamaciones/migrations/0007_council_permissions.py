"""The council group's rights in the admin: read hojas and causes, create and follow action items and meetings.

Permissions are normally created after `migrate` (post_migrate); they are created here first so the grant works
on a fresh database in one `migrate` run."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

COUNCIL = "council"
CODENAMES = (
    "view_complaint",
    "view_cause",
    "add_actionitem",
    "change_actionitem",
    "view_actionitem",
    "view_actionitemevent",
    "add_councilmeeting",
    "change_councilmeeting",
    "view_councilmeeting",
)


def _council_permissions(apps):
    for app_config in apps.get_app_configs():
        # create_permissions skips app configs without a models module, which migration states lack; restore
        # the value afterwards (with the project's registry, clearing it would hide the app from post_migrate).
        models_module, app_config.models_module = getattr(app_config, "models_module", None), True
        try:
            create_permissions(app_config, apps=apps, verbosity=0)
        finally:
            app_config.models_module = models_module
    Permission = apps.get_model("auth", "Permission")
    return Permission.objects.filter(content_type__app_label="reclamaciones", codename__in=CODENAMES)


def grant(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    group, _ = Group.objects.get_or_create(name=COUNCIL)
    group.permissions.add(*_council_permissions(apps))


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group = Group.objects.filter(name=COUNCIL).first()
    if group is not None:
        group.permissions.remove(
            *Permission.objects.filter(content_type__app_label="reclamaciones", codename__in=CODENAMES)
        )


class Migration(migrations.Migration):
    dependencies = [
        ("reclamaciones", "0006_council_actions_meetings"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
