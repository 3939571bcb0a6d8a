-- The audit log is append-only in the database itself: whatever the application's code or a careless hand does
-- with this database user, an audit row cannot be changed or removed (TRUNCATE included).
create function refuse_audit_change() returns trigger language plpgsql as $$
begin
    raise exception 'the audit log is append-only: % refused', tg_op using errcode = 'restrict_violation';
end
$$;

create trigger audit_event_no_update before update or delete on audit_event
    for each row execute function refuse_audit_change();
create trigger audit_event_no_truncate before truncate on audit_event
    for each statement execute function refuse_audit_change();
