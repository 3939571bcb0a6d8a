-- Activations (waves, rollbacks) the distributor repeats on the control group until this time.
alter table statement add column broadcast_until timestamp(6) with time zone;
create index statement_broadcast on statement (broadcast_until) where broadcast_until is not null;
