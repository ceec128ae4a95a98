-- 互派互挂 across provinces (issue 23 C.15): a secondment may name the other side when it lies
-- outside this install (e.g. 四川省阿坝州汶川县). The posting's unit is then the unit here that
-- takes part: the host of a cadre who comes in, the sending unit of one who goes out.
ALTER TABLE postings ADD COLUMN partner_place TEXT;
