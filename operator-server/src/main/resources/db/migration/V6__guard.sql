-- The sequential guard's running state per rollout, and every evaluation it made (the series the console charts).
create table guard_state (
    rollout_id        bigint primary key references rollout (id),
    sprt_threshold    double precision not null,
    cusum_threshold   double precision not null,
    baseline          double precision not null,
    sprt              double precision not null,
    cusum             double precision not null,
    events_new        bigint not null,
    events_old        bigint not null,
    exposure_new      double precision not null,
    exposure_old      double precision not null,
    last_ticket_id    bigint not null,
    last_evaluated_at timestamp(6) with time zone not null
);

create table guard_evaluation (
    id              bigserial primary key,
    rollout_id      bigint not null references rollout (id),
    evaluated_at    timestamp(6) with time zone not null,
    boxes_new       bigint not null,
    boxes_old       bigint not null,
    events_new      bigint not null,
    events_old      bigint not null,
    exposure_new    double precision not null,
    exposure_old    double precision not null,
    p0              double precision,
    sprt            double precision not null,
    cusum           double precision not null,
    sprt_threshold  double precision not null,
    cusum_threshold double precision not null,
    decision        varchar(16) not null
);
create index guard_evaluation_rollout on guard_evaluation (rollout_id, id);
