-- 0100: the district web's accounts (owned by the district web, district/web/accounts.py; numbered
-- apart from the data migrations 0001… so both sides can add theirs). Hall roles get no grant on
-- these tables: a hall's shipper cannot read a password hash or the audit trail.

-- a user with `hall_id` NULL has its role over every hall (district viewer / supervisor / admin);
-- with a hall, only over that hall, and never admin (an admin manages the district's accounts)
CREATE TABLE district.web_users (
    name        text PRIMARY KEY,
    role        text NOT NULL CHECK (role IN ('viewer', 'supervisor', 'admin')),
    hall_id     text REFERENCES district.halls ON DELETE CASCADE,
    hash        text NOT NULL,
    created_at  double precision NOT NULL,
    changed_at  double precision NOT NULL,
    CHECK (hall_id IS NULL OR role <> 'admin')
);

-- what the district web itself did: users added, removed, given a password; logins and failures
CREATE TABLE district.web_audit (
    seq      bigserial PRIMARY KEY,
    at       double precision NOT NULL,
    who      text NOT NULL,
    action   text NOT NULL,
    subject  text NOT NULL,
    address  text NOT NULL
);
