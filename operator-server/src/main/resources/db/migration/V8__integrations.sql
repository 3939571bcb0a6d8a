-- Integration tokens: how a call-center system authenticates its webhook (never an operator password).
create table integration_token (
    id         bigserial primary key,
    name       varchar(64)  not null unique,
    token_hash varchar(64)  not null unique,
    created_by varchar(128) not null,
    created_at timestamp(6) with time zone not null,
    revoked_at timestamp(6) with time zone
);

-- A ticket naming a box the server does not know is kept, unmatched, with what it named.
alter table ticket alter column device_id drop not null;
alter table ticket add column subject varchar(160);
alter table ticket add column matched boolean not null default true;
create index ticket_unmatched on ticket (matched) where not matched;
