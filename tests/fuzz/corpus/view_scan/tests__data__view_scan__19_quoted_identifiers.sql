select * from "My Schema"."My Table" t
join "we""ird" on true
join `back``tick`.`tbl` b on true
join "Sales".orders on true
