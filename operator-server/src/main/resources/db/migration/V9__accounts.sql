-- Subscriber accounts: a device attribute set at enrolment; a ticket may name an account instead of a box.
alter table device add column account varchar(128);
create index device_account on device (account) where account is not null;
alter table ticket add column account varchar(128);
