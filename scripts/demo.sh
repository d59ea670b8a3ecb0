#!/bin/sh
# demo.sh DLA_BIN - the demo warehouse on SQLite, from scratch: validate, plan,
# seed batch 1, run, seed batch 2, run again, then show the history it built.
set -eu
DLA=$1
cd "$(dirname "$0")/.."
WH=.dla

say() { printf '\n== %s\n' "$*"; }
show() { # show TITLE SQL
	printf '\n-- %s\n' "$1"
	sqlite3 -header -column "$WH/warehouse.db" \
		"attach '$WH/presentation.db' as presentation;
		 attach '$WH/dla_meta.db' as dla_meta;
		 attach '$WH/staging.db' as staging; $2"
}

rm -rf "$WH"
say "dla validate"
"$DLA" validate
say "dla plan"
"$DLA" plan
say "batch 1: dla seed && dla run"
"$DLA" seed
"$DLA" run --as-of '2024-03-11 06:00:00'
say "batch 2 (seeds/batch2): dla seed --from seeds/batch2 && dla run"
"$DLA" seed --from seeds/batch2
"$DLA" run --as-of '2024-03-22 06:00:00'
say "rerun of batch 2: nothing changes"
"$DLA" run --as-of '2024-03-22 06:00:00' --select dim_customer

show "dim_customer: customers with history (type 2 city/tier, type 1 email, type 3 loyalty segment)" \
"select customer_sk, customer_id, city, tier, email, loyalty_segment, previous_loyalty_segment,
        valid_from, valid_to, is_current
 from presentation.dim_customer
 where customer_id in (select customer_id from presentation.dim_customer group by customer_id having count(*) > 1)
 order by customer_id, valid_from"
show "dim_venue: capacity change (type 2)" \
"select venue_sk, venue_id, venue_name, capacity, valid_from, valid_to, is_current
 from presentation.dim_venue order by venue_id, valid_from"
show "fact_ticket_sales: point-in-time customer keys (the city at the time of the sale)" \
"select f.order_id, f.line_no, f.sold_at, f.customer_id, f.customer_sk, c.city as city_at_sale
 from presentation.fact_ticket_sales f join presentation.dim_customer c on c.customer_sk = f.customer_sk
 where f.customer_id in (3, 10) order by f.sold_at"
show "dla_meta.dla_node_run: what the batch 2 run did" \
"select node, kind, status, rows_inserted as ins, rows_updated as upd, rows_expired as exp
 from dla_meta.dla_node_run
 where run_id = (select min(run_id) from dla_meta.dla_run where as_of = '2024-03-22 06:00:00')
 order by started_at"

cat <<MSG

The warehouse is in $WH/ (one SQLite file per schema: presentation.db, staging.db,
dla_meta.db, attached to warehouse.db). Query it with:
  sqlite3 $WH/warehouse.db "attach '$WH/presentation.db' as presentation;
    select * from presentation.dim_customer order by customer_id, valid_from;"
Views are per-connection (TEMP) on SQLite; \`dla run --dry-run\` prints every statement.
MSG

say "data tests: dla test (freshness warns: the demo data is from 2024)"
"$DLA" test
say "lineage: dla lineage --downstream staging.customer (which Tableau content changes?)"
"$DLA" lineage --downstream staging.customer | awk '/^## /{ p = /^## Exposures/ } p'
"$DLA" lineage --format html -o "$WH/lineage.html"
echo
echo "lineage report (HTML): $(pwd)/$WH/lineage.html"
