-- The generation of what a check-in answer is made from (rollouts, images, transmissions, key sets, statements).
-- Every server instance caches that material and reads this one row with the device's token at each check-in, so a
-- change made through any instance reaches the next check-in at every instance. The bump runs at commit (a deferred
-- constraint trigger), after the transaction's other locks: two writers never wait on each other through this row.
create table config_generation (
    id    integer primary key check (id = 1),
    value bigint  not null
);
insert into config_generation values (1, 1);

create function bump_config_generation() returns trigger language plpgsql as $$
begin
    update config_generation set value = value + 1 where id = 1;
    return null;
end
$$;

create constraint trigger rollout_generation after insert or update or delete on rollout
    deferrable initially deferred for each row execute function bump_config_generation();
create constraint trigger image_generation after insert or update or delete on image
    deferrable initially deferred for each row execute function bump_config_generation();
create constraint trigger transmission_generation after insert or update or delete on transmission
    deferrable initially deferred for each row execute function bump_config_generation();
create constraint trigger key_set_generation after insert or update or delete on key_set
    deferrable initially deferred for each row execute function bump_config_generation();
create constraint trigger statement_generation after insert or update or delete on statement
    deferrable initially deferred for each row execute function bump_config_generation();
