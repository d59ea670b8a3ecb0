-- PostgreSQL nests block comments: the query follows the comment
/* outer /* inner */ // */ select c.customer_id from v_nope c
