/* outer /* inner from hidden_a */ still comment from hidden_b */
select * from real_a
