-- Rollouts in waves: the plan (JSON), the wave in progress and its cohort, a pause flag.
alter table rollout add column wave_plan text not null
    default '{"waves":[{"share":1.0,"count":null,"minSoak":"PT0S","successShare":0.95,"maxFailureShare":0.05,"minFailures":3}]}';
alter table rollout alter column wave_plan drop default;
alter table rollout add column current_wave integer not null default -1;
alter table rollout add column wave_started_at timestamp(6) with time zone;
alter table rollout add column wave_bound bigint;
alter table rollout add column wave_boxes bigint;
alter table rollout add column paused boolean not null default false;
-- rollouts that were activating before waves existed are in their one and only wave
update rollout set current_wave = 0, wave_started_at = activated_at where state in ('ACTIVATING', 'COMPLETED');

create index device_event_digest on device_event (digest, type, occurred_at);
