select 1 /* outer /* inner */ from real_t
