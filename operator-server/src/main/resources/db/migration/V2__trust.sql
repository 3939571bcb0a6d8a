-- The chain of key sets: each row is one version, its canonical bytes and the root signatures over them.
create table key_set (
    version    bigint       primary key,
    content    bytea        not null,
    signatures text         not null,
    expires_at timestamp(6) with time zone not null,
    created_at timestamp(6) with time zone not null
);

-- Director statements (activate, finalize, announce); the id is the sequence number boxes check for replay.
create table statement (
    sequence   bigserial    primary key,
    stream     varchar(96)  not null,
    kind       varchar(16)  not null,
    content    bytea        not null,
    signatures text         not null,
    expires_at timestamp(6) with time zone not null,
    created_at timestamp(6) with time zone not null
);
create index statement_stream on statement (stream, sequence desc);
