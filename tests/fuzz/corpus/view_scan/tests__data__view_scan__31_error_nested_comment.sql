select 1
/* outer /* inner */ it's
