-- 0002: the same sums per hall x day x service x counter x clerk (without the hour), so that reports
-- by counter and by clerk over whole days read about a tenth of the hourly rollups' rows (a month of
-- 3,000 halls by clerk: 19 M hourly rows, under 2 M here). Filled from the hourly rollups, then kept
-- by the ingest in the same transaction as the others.

CREATE TABLE district.rollups_desk (
    hall_id    text NOT NULL,
    day        date NOT NULL,
    service    text NOT NULL,
    counter    integer NOT NULL,
    clerk      text NOT NULL,
    tickets    integer NOT NULL DEFAULT 0,   -- tickets taken (at the kiosk: counter 0, clerk '')
    voided     integer NOT NULL DEFAULT 0,
    served     integer NOT NULL DEFAULT 0,
    no_shows   integer NOT NULL DEFAULT 0,
    transfers  integer NOT NULL DEFAULT 0,
    r1 integer NOT NULL DEFAULT 0, r2 integer NOT NULL DEFAULT 0,   -- ratings by level: 1 不满意, 2 一般,
    r3 integer NOT NULL DEFAULT 0, r4 integer NOT NULL DEFAULT 0,   -- 3 满意, 4 非常满意
    wait_n     integer NOT NULL DEFAULT 0,   -- first calls, and their waits (taking the ticket to the call)
    wait_s     double precision NOT NULL DEFAULT 0,
    within     integer NOT NULL DEFAULT 0,   -- of wait_n, called within the service's target wait
    service_s  double precision NOT NULL DEFAULT 0,   -- serving time of the served tickets
    -- the waits' histogram: h00 counts waits in [0, 30 s), ... h37 waits of 2 h or more
    -- (edges in district/rollup.py WAIT_EDGES_S)
    h00 integer NOT NULL DEFAULT 0, h01 integer NOT NULL DEFAULT 0, h02 integer NOT NULL DEFAULT 0, h03 integer NOT NULL DEFAULT 0,
    h04 integer NOT NULL DEFAULT 0, h05 integer NOT NULL DEFAULT 0, h06 integer NOT NULL DEFAULT 0, h07 integer NOT NULL DEFAULT 0,
    h08 integer NOT NULL DEFAULT 0, h09 integer NOT NULL DEFAULT 0, h10 integer NOT NULL DEFAULT 0, h11 integer NOT NULL DEFAULT 0,
    h12 integer NOT NULL DEFAULT 0, h13 integer NOT NULL DEFAULT 0, h14 integer NOT NULL DEFAULT 0, h15 integer NOT NULL DEFAULT 0,
    h16 integer NOT NULL DEFAULT 0, h17 integer NOT NULL DEFAULT 0, h18 integer NOT NULL DEFAULT 0, h19 integer NOT NULL DEFAULT 0,
    h20 integer NOT NULL DEFAULT 0, h21 integer NOT NULL DEFAULT 0, h22 integer NOT NULL DEFAULT 0, h23 integer NOT NULL DEFAULT 0,
    h24 integer NOT NULL DEFAULT 0, h25 integer NOT NULL DEFAULT 0, h26 integer NOT NULL DEFAULT 0, h27 integer NOT NULL DEFAULT 0,
    h28 integer NOT NULL DEFAULT 0, h29 integer NOT NULL DEFAULT 0, h30 integer NOT NULL DEFAULT 0, h31 integer NOT NULL DEFAULT 0,
    h32 integer NOT NULL DEFAULT 0, h33 integer NOT NULL DEFAULT 0, h34 integer NOT NULL DEFAULT 0, h35 integer NOT NULL DEFAULT 0,
    h36 integer NOT NULL DEFAULT 0, h37 integer NOT NULL DEFAULT 0,
    PRIMARY KEY (hall_id, day, service, counter, clerk)
);
CREATE INDEX rollups_desk_day ON district.rollups_desk (day);

INSERT INTO district.rollups_desk (hall_id, day, service, counter, clerk,
    tickets, voided, served, no_shows, transfers, r1, r2, r3, r4, wait_n,
    wait_s, within, service_s, h00, h01, h02, h03, h04, h05, h06,
    h07, h08, h09, h10, h11, h12, h13, h14, h15, h16,
    h17, h18, h19, h20, h21, h22, h23, h24, h25, h26,
    h27, h28, h29, h30, h31, h32, h33, h34, h35, h36,
    h37)
SELECT hall_id, day, service, counter, clerk,
       sum(tickets), sum(voided), sum(served), sum(no_shows), sum(transfers), sum(r1), sum(r2), sum(r3),
       sum(r4), sum(wait_n), sum(wait_s), sum(within), sum(service_s), sum(h00), sum(h01), sum(h02),
       sum(h03), sum(h04), sum(h05), sum(h06), sum(h07), sum(h08), sum(h09), sum(h10),
       sum(h11), sum(h12), sum(h13), sum(h14), sum(h15), sum(h16), sum(h17), sum(h18),
       sum(h19), sum(h20), sum(h21), sum(h22), sum(h23), sum(h24), sum(h25), sum(h26),
       sum(h27), sum(h28), sum(h29), sum(h30), sum(h31), sum(h32), sum(h33), sum(h34),
       sum(h35), sum(h36), sum(h37)
FROM district.rollups GROUP BY hall_id, day, service, counter, clerk;

ALTER TABLE district.rollups_desk ENABLE ROW LEVEL SECURITY;
CREATE POLICY own_hall ON district.rollups_desk USING (hall_id = (SELECT district.hall_of(current_user)));
GRANT SELECT, INSERT, UPDATE ON district.rollups_desk TO {shipper_role};
