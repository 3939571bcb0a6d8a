-- Operator accounts an admin creates (accounts from configuration live outside the database), and API tokens for
-- stbctl, scripts, Prometheus and the headend distributor: stored only as their SHA-256, revocable, each with one role.
create table operator_account (
    name          varchar(64)  primary key,
    password_hash varchar(200) not null,
    role          varchar(32)  not null,
    created_by    varchar(128) not null,
    created_at    timestamp(6) with time zone not null,
    disabled_at   timestamp(6) with time zone
);

create table api_token (
    id           bigserial primary key,
    name         varchar(64)  not null,
    owner        varchar(128) not null,
    role         varchar(32)  not null,
    token_hash   varchar(64)  not null unique,
    created_at   timestamp(6) with time zone not null,
    expires_at   timestamp(6) with time zone,
    revoked_at   timestamp(6) with time zone,
    last_used_at timestamp(6) with time zone,
    unique (owner, name)
);
create index api_token_owner on api_token (owner);
