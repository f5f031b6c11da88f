"""Every row chained: `seq` becomes required and unique. On PostgreSQL a trigger refuses UPDATE and
DELETE of audit and personal-data access rows, whatever the SQL (TRUNCATE fires no row trigger)."""

from typing import Any

from django.db import migrations, models

TABLES = ("core_auditevent", "core_personaldataaccess")

CREATE_FUNCTION = """
CREATE OR REPLACE FUNCTION kycuong_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% on % refused: the audit log is append-only', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END
$$;
"""


def create_triggers(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(CREATE_FUNCTION, params=None)
    for table in TABLES:
        schema_editor.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION kycuong_append_only()"
        )


def drop_triggers(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
    schema_editor.execute("DROP FUNCTION IF EXISTS kycuong_append_only()")


class Migration(migrations.Migration):

    dependencies = [("core", "0003_audit_chain_existing")]

    operations = [
        migrations.AlterField(
            model_name="auditevent",
            name="seq",
            field=models.BigIntegerField(unique=True, verbose_name="số thứ tự"),
        ),
        migrations.RunPython(create_triggers, drop_triggers),
    ]
