-- Images: one row per signed guest image; chunks live in the content-addressed store on disk.
create table image (
    id               bigserial primary key,
    root_digest      varchar(64)     not null unique,
    role             varchar(64)  not null,
    version          bigint       not null,
    security_version bigint       not null,
    hardware_models  text         not null,
    size_bytes       bigint       not null,
    chunk_size       integer      not null,
    manifest         bytea        not null,
    signatures       text         not null,
    state            varchar(16)  not null,
    created_at       timestamp(6) with time zone not null,
    constraint image_role_version_unique unique (role, version)
);

-- Devices: each has its own bearer token, stored as a SHA-256 hash only.
create table device (
    id             uuid         primary key,
    serial         varchar(128) not null unique,
    hardware_model varchar(64)  not null,
    token_hash     varchar(64)     not null unique,
    enrolled_at    timestamp(6) with time zone not null,
    last_check_in  timestamp(6) with time zone
);

-- What each device last said it runs and holds, per guest role.
create table device_role_state (
    device_id     uuid        not null references device (id),
    role          varchar(64) not null,
    active_digest varchar(64),
    staged_digest varchar(64),
    updated_at    timestamp(6) with time zone not null,
    primary key (device_id, role)
);
create index device_role_state_active on device_role_state (role, active_digest);

create table rollout (
    id                  bigserial primary key,
    role                varchar(64) not null,
    image_id            bigint      not null references image (id),
    previous_image_id   bigint      references image (id),
    state               varchar(16) not null,
    complaint_threshold integer     not null,
    created_at          timestamp(6) with time zone not null,
    started_at          timestamp(6) with time zone,
    activated_at        timestamp(6) with time zone,
    ended_at            timestamp(6) with time zone,
    end_reason          text,
    created_by          varchar(128) not null,
    lock_version        bigint      not null default 0
);
create index rollout_role_state on rollout (role, state);

create table transmission (
    id          bigserial primary key,
    rollout_id  bigint      not null references rollout (id),
    image_id    bigint      not null references image (id),
    data_group  varchar(64) not null,
    data_port   integer     not null,
    symbol_size integer     not null,
    rate_bps    bigint      not null,
    state       varchar(16) not null,
    created_at  timestamp(6) with time zone not null,
    updated_at  timestamp(6) with time zone not null
);

create table device_event (
    id          bigserial primary key,
    device_id   uuid        not null references device (id),
    type        varchar(32) not null,
    role        varchar(64) not null,
    digest      varchar(64),
    slot        varchar(1),
    detail      text,
    occurred_at timestamp(6) with time zone not null
);
create index device_event_device on device_event (device_id, occurred_at);

create table ticket (
    id                bigserial primary key,
    device_id         uuid        not null references device (id),
    category          varchar(64) not null,
    external_id       varchar(128),
    opened_at         timestamp(6) with time zone not null,
    received_at       timestamp(6) with time zone not null
);
create index ticket_opened on ticket (opened_at);

create table audit_event (
    id          bigserial primary key,
    actor       varchar(128) not null,
    action      varchar(64)  not null,
    target      varchar(256),
    detail      text,
    occurred_at timestamp(6) with time zone not null
);
create index audit_event_time on audit_event (occurred_at);
