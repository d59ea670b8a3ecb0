-- group l09; sleeps staging.knob.secs when read (PostgreSQL)
select s.id, s.name
from staging.src s, (select pg_sleep(k.secs) from staging.knob k where k.grp = 'l09') z
where s.grp = 'l09'
