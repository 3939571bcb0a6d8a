-- Erasure-code parameters and the director-signed announcement of each transmission.
alter table transmission add column block_symbols integer not null default 64;
alter table transmission add column repair_ratio double precision not null default 0.05;
alter table transmission add column announce_sequence bigint references statement (sequence);
