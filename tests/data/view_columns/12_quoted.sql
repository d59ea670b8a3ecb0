select "My T"."Col A" as "out", t2.b from "S"."My T" join s.t2 on 1 = 1
