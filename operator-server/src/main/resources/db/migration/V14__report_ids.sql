-- A box names each report (a UUID chosen when the event happened) and sends it until the server acknowledged it; a
-- report whose acknowledgement was lost is sent again. One row per device and report id: the repeat is not stored,
-- so a crash is counted once by the guard and an old ACTIVATED does not overwrite a newer state. Reports without an
-- id (older agents) are stored as before.
alter table device_event add column report_id uuid;
create unique index device_event_report on device_event (device_id, report_id) where report_id is not null;
