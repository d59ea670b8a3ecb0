select $body$ it's text
  from v_customer
