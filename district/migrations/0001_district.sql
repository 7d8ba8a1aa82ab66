-- 0001: the district's first schema: halls, their roles' high-water marks, events by month,
-- the rollups the reports read, and follow-ups. See docs/district.md.

CREATE SCHEMA district;

-- the registry: every hall the district knows, the PostgreSQL role it ships with, and what the
-- reports need of its hall file (time zone, services with their names and target waits)
CREATE TABLE district.halls (
    hall_id    text PRIMARY KEY,
    role_name  text NOT NULL UNIQUE,
    name_zh    text NOT NULL DEFAULT '',
    name_en    text NOT NULL DEFAULT '',
    timezone   text NOT NULL DEFAULT 'UTC',
    services   jsonb NOT NULL DEFAULT '{}',   -- {"A": {"zh": ..., "en": ..., "target_s": 900}, ...}
    added_at   timestamptz NOT NULL DEFAULT now()
);

-- the high-water mark: the last journal seq of each hall in district.events, committed in the
-- same transaction as those events and their rollups; `tally` is what the rollups need to know
-- of tickets still open (when each was taken, whether it was called), so rollups continue exactly
CREATE TABLE district.shipped (
    hall_id        text PRIMARY KEY REFERENCES district.halls ON DELETE CASCADE,
    seq            bigint NOT NULL DEFAULT 0,
    last_at        double precision,            -- time of that event (epoch seconds, hall's clock)
    shipped_at     timestamptz,
    events         bigint NOT NULL DEFAULT 0,
    tally          jsonb NOT NULL DEFAULT '{}',
    journal_meta   jsonb NOT NULL DEFAULT '{}'   -- the journal's meta table (hall, schema)
);

-- every journal event of every hall, exactly as journalled: `at` epoch seconds (the journal's
-- float, kept exact for restore), `body` the journal's JSON text. Partitioned by UTC month of `at`;
-- partitions are made ahead by district.make_month() during ingest.
CREATE TABLE district.events (
    hall_id  text NOT NULL,
    seq      bigint NOT NULL,
    at       double precision NOT NULL,
    type     text NOT NULL,
    body     text NOT NULL,
    PRIMARY KEY (hall_id, seq, at)
) PARTITION BY RANGE (at);

-- rollups per hall x local day x local hour x service x counter x clerk, maintained in the
-- ingest's transaction. Tickets taken count at counter 0, clerk ''; a call, a no-show, a
-- transfer, a ticket served and a rating count at the counter and the clerk signed in there.
CREATE TABLE district.rollups (
    hall_id    text NOT NULL,
    day        date NOT NULL,        -- the hall's local date
    hour       smallint NOT NULL,    -- the hall's local hour, 0..23
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
    PRIMARY KEY (hall_id, day, hour, service, counter, clerk)
);

-- the same sums per hall x day x service: what reports by hall, service, day and month read
-- (a thirtieth of the rows of the fine rollups), kept in the same transaction
CREATE TABLE district.rollups_daily (
    hall_id    text NOT NULL,
    day        date NOT NULL,
    service    text NOT NULL,
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
    PRIMARY KEY (hall_id, day, service)
);
CREATE INDEX rollups_daily_day ON district.rollups_daily (day);
CREATE INDEX rollups_day ON district.rollups (day);

-- ratings of 2 一般 and 1 不满意 that someone must follow up, with who noted and closed them
CREATE TABLE district.followups (
    hall_id    text NOT NULL,
    ticket     text NOT NULL,
    label      text NOT NULL,
    counter    integer NOT NULL,
    clerk      text,
    service    text NOT NULL,
    level      smallint NOT NULL,
    opened_at  timestamptz NOT NULL,
    notes      jsonb NOT NULL DEFAULT '[]',   -- [{"at": ..., "by": ..., "note": ...}, ...]
    closed_at  timestamptz,
    closed_by  text,
    close_note text,
    PRIMARY KEY (hall_id, ticket)
);
CREATE INDEX followups_opened ON district.followups (opened_at);

-- the hall whose role is `role` (NULL for the district's own roles); policies call it with
-- current_user, which inside a SECURITY DEFINER function would be the function's owner
CREATE FUNCTION district.hall_of(role name) RETURNS text
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, district
    AS $$ SELECT hall_id FROM district.halls WHERE role_name = role $$;

-- the partition of district.events for the UTC month of `t`, made if missing (a hall's role may
-- call this; it is the only way it can change the table's shape)
CREATE FUNCTION district.make_month(t double precision) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, district
    AS $$
DECLARE
    first timestamptz := date_trunc('month', to_timestamp(t) AT TIME ZONE 'UTC') AT TIME ZONE 'UTC';
    name text := 'events_' || to_char(first AT TIME ZONE 'UTC', 'YYYY_MM');
BEGIN
    IF to_regclass('district.' || name) IS NOT NULL THEN
        RETURN;
    END IF;
    PERFORM pg_advisory_xact_lock(hashtext('district.make_month'));
    IF to_regclass('district.' || name) IS NOT NULL THEN
        RETURN;
    END IF;
    EXECUTE format('CREATE TABLE district.%I PARTITION OF district.events FOR VALUES FROM (%s) TO (%s)',
                   name, extract(epoch FROM first), extract(epoch FROM first + interval '1 month'));
END $$;

-- row-level security: a hall's role reads and writes its own rows only
ALTER TABLE district.halls ENABLE ROW LEVEL SECURITY;
ALTER TABLE district.shipped ENABLE ROW LEVEL SECURITY;
ALTER TABLE district.events ENABLE ROW LEVEL SECURITY;
ALTER TABLE district.rollups ENABLE ROW LEVEL SECURITY;
ALTER TABLE district.rollups_daily ENABLE ROW LEVEL SECURITY;
ALTER TABLE district.followups ENABLE ROW LEVEL SECURITY;
CREATE POLICY own_hall ON district.halls USING (role_name = current_user);
CREATE POLICY own_hall ON district.shipped USING (hall_id = (SELECT district.hall_of(current_user)));
CREATE POLICY own_hall ON district.events USING (hall_id = (SELECT district.hall_of(current_user)));
CREATE POLICY own_hall ON district.rollups USING (hall_id = (SELECT district.hall_of(current_user)));
CREATE POLICY own_hall ON district.rollups_daily USING (hall_id = (SELECT district.hall_of(current_user)));
CREATE POLICY own_hall ON district.followups USING (hall_id = (SELECT district.hall_of(current_user)));

-- what every hall's role may do: {shipper_role} is this database's group role of hall roles,
-- made by district.pg.migrate (roles belong to the cluster) and granted by district.pg.add_hall
GRANT USAGE ON SCHEMA district TO {shipper_role};
GRANT SELECT ON district.halls TO {shipper_role};
GRANT SELECT, UPDATE ON district.shipped TO {shipper_role};
GRANT SELECT, INSERT ON district.events TO {shipper_role};
GRANT SELECT, INSERT, UPDATE ON district.rollups, district.rollups_daily, district.followups TO {shipper_role};
REVOKE ALL ON FUNCTION district.make_month(double precision) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION district.make_month(double precision) TO {shipper_role};
