"""Issued invoices and credit notes are immutable in PostgreSQL itself, not only in the
model: a raw UPDATE of what was issued, a DELETE of an issued document, or a change of an
issued invoice's lines is refused by a trigger. What may still change on an issued invoice is
its payment state (status, paid, credited), the reminder mark and the PDF, written once."""

from django.db import migrations

CREATE = """
CREATE FUNCTION billing_invoice_immutable() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF OLD.status <> 'draft' THEN
            RAISE EXCEPTION 'issued invoices are never deleted (billing_invoice %)', OLD.id;
        END IF;
        RETURN OLD;
    END IF;
    IF OLD.status <> 'draft' AND (
        NEW.status = 'draft'
        OR (NEW.number, NEW.issuer_id, NEW.customer_id, NEW.period_start, NEW.period_end,
            NEW.currency, NEW.tax_treatment, NEW.tax_note, NEW.subtotal, NEW.tax, NEW.total,
            NEW.issued_on, NEW.due_on, NEW.issuer_details::text, NEW.customer_details::text)
           IS DISTINCT FROM
           (OLD.number, OLD.issuer_id, OLD.customer_id, OLD.period_start, OLD.period_end,
            OLD.currency, OLD.tax_treatment, OLD.tax_note, OLD.subtotal, OLD.tax, OLD.total,
            OLD.issued_on, OLD.due_on, OLD.issuer_details::text, OLD.customer_details::text)
        OR (OLD.pdf_sha256 <> '' AND (NEW.pdf_sha256, NEW.pdf) IS DISTINCT FROM
                                     (OLD.pdf_sha256, OLD.pdf))
    ) THEN
        RAISE EXCEPTION 'issued invoices are never changed (billing_invoice %)', OLD.id;
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER billing_invoice_immutable
    BEFORE UPDATE OR DELETE ON billing_invoice
    FOR EACH ROW EXECUTE FUNCTION billing_invoice_immutable();

CREATE FUNCTION billing_invoiceline_immutable() RETURNS trigger AS $$
DECLARE
    parent_status varchar;
BEGIN
    SELECT status INTO parent_status FROM billing_invoice
        WHERE id = COALESCE(OLD.invoice_id, NEW.invoice_id);
    IF parent_status IS NOT NULL AND parent_status <> 'draft'
       AND NOT (TG_OP = 'UPDATE' AND (NEW.subscription_id IS NULL OR NEW.purchase_id IS NULL)
                AND (NEW.invoice_id, NEW.description, NEW.quantity, NEW.unit_price, NEW.net,
                     NEW.vat_rate, NEW.vat, NEW.kind, NEW.position)
                    IS NOT DISTINCT FROM
                    (OLD.invoice_id, OLD.description, OLD.quantity, OLD.unit_price, OLD.net,
                     OLD.vat_rate, OLD.vat, OLD.kind, OLD.position)) THEN
        RAISE EXCEPTION 'the lines of an issued invoice are never changed (billing_invoice %)',
            COALESCE(OLD.invoice_id, NEW.invoice_id);
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER billing_invoiceline_immutable
    BEFORE INSERT OR UPDATE OR DELETE ON billing_invoiceline
    FOR EACH ROW EXECUTE FUNCTION billing_invoiceline_immutable();

CREATE FUNCTION billing_creditnote_immutable() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'credit notes are never deleted (billing_creditnote %)', OLD.id;
    END IF;
    IF (NEW.number, NEW.invoice_id, NEW.reason, NEW.full, NEW.subtotal, NEW.tax, NEW.total,
        NEW.issued_on, NEW.currency)
       IS DISTINCT FROM
       (OLD.number, OLD.invoice_id, OLD.reason, OLD.full, OLD.subtotal, OLD.tax, OLD.total,
        OLD.issued_on, OLD.currency)
       OR (OLD.pdf_sha256 <> '' AND (NEW.pdf_sha256, NEW.pdf) IS DISTINCT FROM
                                    (OLD.pdf_sha256, OLD.pdf)) THEN
        RAISE EXCEPTION 'credit notes are never changed (billing_creditnote %)', OLD.id;
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER billing_creditnote_immutable
    BEFORE UPDATE OR DELETE ON billing_creditnote
    FOR EACH ROW EXECUTE FUNCTION billing_creditnote_immutable();
"""
DROP = """
DROP TRIGGER IF EXISTS billing_invoice_immutable ON billing_invoice;
DROP FUNCTION IF EXISTS billing_invoice_immutable();
DROP TRIGGER IF EXISTS billing_invoiceline_immutable ON billing_invoiceline;
DROP FUNCTION IF EXISTS billing_invoiceline_immutable();
DROP TRIGGER IF EXISTS billing_creditnote_immutable ON billing_creditnote;
DROP FUNCTION IF EXISTS billing_creditnote_immutable();
"""


def _run(sql):
    def run(apps, schema_editor):
        # SQLite (`make run`) has no plpgsql; the models refuse changes there.
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql, params=None)  # no %-interpolation of the body

    return run


class Migration(migrations.Migration):
    dependencies = [("billing", "0008_invoices")]

    operations = [migrations.RunPython(_run(CREATE), _run(DROP))]
