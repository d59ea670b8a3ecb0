-- nothing here
/* from x */
   
