"""Jobs that failed for good before the engine erased their passwords still hold them:
erase them, and mark the jobs so that a retry asks for a new password."""

from django.db import migrations


def erase(apps, schema_editor):
    Job = apps.get_model("core", "Job")
    for job in Job.objects.filter(state="failed").exclude(secret=""):
        job.payload = {**(job.payload or {}), "secret_erased": True}
        job.secret = ""
        job.save(update_fields=["payload", "secret"])


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]

    operations = [migrations.RunPython(erase, migrations.RunPython.noop)]
