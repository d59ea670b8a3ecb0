select * from sales pivot (sum(amount) for month in ('jan', 'feb')) as p
join regions r on true
