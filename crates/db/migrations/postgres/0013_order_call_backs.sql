-- The call-back (回访) that rates an order feeds 满意率, so the handling side may not make it: an
-- order remembers who took it in (when that was a person on the system), and counts every
-- call-back and the satisfied ones, a failed call-back before a successful one included, as the
-- ledger's order_rated records do. Orders taken before keep the call-backs their records show.
ALTER TABLE work_orders ADD COLUMN taken_in_by BIGINT REFERENCES people(id);
ALTER TABLE work_orders ADD COLUMN call_backs BIGINT NOT NULL DEFAULT 0;
ALTER TABLE work_orders ADD COLUMN call_backs_satisfied BIGINT NOT NULL DEFAULT 0;
UPDATE work_orders SET
    call_backs = (SELECT COUNT(*) FROM records r
                  WHERE r.source_kind = 'work_order' AND r.source_id = work_orders.id AND r.kind = 'order_rated'),
    call_backs_satisfied = (SELECT COALESCE(SUM(r.value), 0) FROM records r
                            WHERE r.source_kind = 'work_order' AND r.source_id = work_orders.id AND r.kind = 'order_rated');
