with recursive tree (id, parent_id, depth) as (
    select id, parent_id, 0 from staging.nodes where parent_id is null
    union all
    select n.id, n.parent_id, t.depth + 1
    from staging.nodes n
    join tree t on n.parent_id = t.id
)
select * from tree
