"""The ledger is append-only in PostgreSQL itself, not only in the model: a raw UPDATE or
DELETE (a script, a console, a bug around the ORM) is refused by a trigger. What may still
change is what a deletion elsewhere sets to NULL (who acted, which subscription): the
amount, type, account, description, cause, time, balance after, offer and day never."""

from django.db import migrations

CREATE = """
CREATE FUNCTION billing_transaction_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'ledger rows are never deleted (billing_transaction %)', OLD.id;
    END IF;
    IF (NEW.account_id, NEW.transaction_type, NEW.amount, NEW.description, NEW.cause,
        NEW.created, NEW.balance_after, NEW.offer_id, NEW.usage_day)
       IS DISTINCT FROM
       (OLD.account_id, OLD.transaction_type, OLD.amount, OLD.description, OLD.cause,
        OLD.created, OLD.balance_after, OLD.offer_id, OLD.usage_day) THEN
        RAISE EXCEPTION 'ledger rows are never changed (billing_transaction %)', OLD.id;
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER billing_transaction_append_only
    BEFORE UPDATE OR DELETE ON billing_transaction
    FOR EACH ROW EXECUTE FUNCTION billing_transaction_append_only();
"""
DROP = """
DROP TRIGGER IF EXISTS billing_transaction_append_only ON billing_transaction;
DROP FUNCTION IF EXISTS billing_transaction_append_only();
"""


def _run(sql):
    def run(apps, schema_editor):
        # SQLite (`make run`) has no plpgsql; the model refuses changes there.
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql, params=None)  # no %-interpolation of the body

    return run


class Migration(migrations.Migration):
    dependencies = [("billing", "0006_quota_warnings")]

    operations = [migrations.RunPython(_run(CREATE), _run(DROP))]
