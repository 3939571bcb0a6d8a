-- Targeting: a box's region and tags (set at enrolment or by import); a rollout's optional filter over them.
alter table device add column region varchar(64);
alter table device add column tags text[] not null default '{}';
create index device_region on device (region) where region is not null;
create index device_tags on device using gin (tags);
alter table rollout add column target_filter text;

-- The guard per rollout: alpha, r1 and the signals it watches (complaints, crashes), each signal its own test.
alter table rollout add column guard_alpha double precision;
alter table rollout add column guard_r1 double precision;
alter table rollout add column guard_signals varchar(64);
alter table guard_state add column signal varchar(16) not null default 'COMPLAINTS';
alter table guard_state drop constraint guard_state_pkey;
alter table guard_state add primary key (rollout_id, signal);
alter table guard_state rename column last_ticket_id to last_event_id;
alter table guard_evaluation add column signal varchar(16) not null default 'COMPLAINTS';

-- Crash reports by image, read by the guard in the order received.
create index device_event_type_id on device_event (type, id);
