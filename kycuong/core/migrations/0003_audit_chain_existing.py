"""Chain the audit rows written before the hash chain existed, in insertion (id) order."""

from typing import Any

from django.db import migrations

BATCH = 2000


def chain_existing(apps: Any, schema_editor: Any) -> None:
    from kycuong.core.auditchain import CONTENT_FIELDS, GENESIS, content_digest, link_hash

    event_model = apps.get_model("core", "AuditEvent")
    head_model = apps.get_model("core", "AuditChainHead")
    seq, prev_hash, before = 0, GENESIS, GENESIS
    batch = []
    for event in event_model.objects.order_by("id").iterator(chunk_size=BATCH):
        seq += 1
        event.seq, event.prev_hash = seq, prev_hash
        event.hash = link_hash(prev_hash, seq, content_digest({f: getattr(event, f) for f in CONTENT_FIELDS}))
        before, prev_hash = prev_hash, event.hash
        batch.append(event)
        if len(batch) >= BATCH:
            event_model.objects.bulk_update(batch, ["seq", "prev_hash", "hash"])
            batch = []
    if batch:
        event_model.objects.bulk_update(batch, ["seq", "prev_hash", "hash"])
    head_model.objects.update_or_create(pk=1, defaults={"seq": seq, "hash": prev_hash, "prev_hash": before})


class Migration(migrations.Migration):

    dependencies = [("core", "0002_audit_chain")]

    operations = [migrations.RunPython(chain_existing, migrations.RunPython.noop)]
