select *
from s.a x -- a comma here, b
  , s.b y /* , c */
  , "s"."c" as "z"
  , d
