-- group l07; sleeps staging.knob.secs when read (PostgreSQL)
select s.id, s.name
from staging.src s, (select pg_sleep(k.secs) from staging.knob k where k.grp = 'l07') z
where s.grp = 'l07'
