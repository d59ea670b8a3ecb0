select 'O\'Brien from hidden' as n from real_t
