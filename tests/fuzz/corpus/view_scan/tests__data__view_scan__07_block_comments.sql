/* from hidden_a */ select *
from /* join hidden_b */ real_a
/* multi
   line from hidden_c
*/ join real_b on true
/**/ join real_c on true /*/ from hidden_d */
