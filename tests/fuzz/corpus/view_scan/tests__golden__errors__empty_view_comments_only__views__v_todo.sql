-- TODO: write this view
/* select * from v_customer */
