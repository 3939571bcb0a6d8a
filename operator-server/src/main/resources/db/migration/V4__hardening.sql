-- The call center's own ticket id makes a retried post idempotent (PostgreSQL allows many NULLs under a unique
-- constraint, so tickets without an id are never merged).
alter table ticket add constraint ticket_external_id_unique unique (external_id);

-- A stored chunk that failed its digest while being served marks its image as damaged, for operators to see.
alter table image add column damaged_at timestamp(6) with time zone;
alter table image add column damage text;
