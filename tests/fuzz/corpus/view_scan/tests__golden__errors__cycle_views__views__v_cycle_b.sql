select b.customer_id
  from v_cycle_a b
