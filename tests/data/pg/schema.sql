-- hub_alpha's clients database as the follower tests use it: the five tables
-- hubreg mirrors, with the column names of hubreg's export, their keys and
-- constraints, and the publication a follower subscribes to. Column types
-- vary on purpose: bigint and integer ids, an enum and a text column for
-- status, timestamps with and without time zone (the latter read as UTC).

CREATE TYPE record_status AS ENUM ('active', 'disabled');

CREATE TABLE threecolts_app (
  id          bigint PRIMARY KEY,
  name        text NOT NULL DEFAULT '',
  app_key     varchar(64) NOT NULL UNIQUE,
  environment text NOT NULL CHECK (environment IN ('stage', 'prod')),
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE "user" (
  id          bigint PRIMARY KEY,
  external_id varchar(64) NOT NULL UNIQUE,
  email       varchar(320) NOT NULL CHECK (email LIKE '%@%'),
  name        text,
  status      record_status NOT NULL DEFAULT 'active',
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamp without time zone NOT NULL DEFAULT (now() AT TIME ZONE 'UTC')
);
CREATE UNIQUE INDEX user_email_key ON "user" (lower(email));

CREATE TABLE threecolts_organization (
  id                    bigint PRIMARY KEY,
  threecolts_app_id     bigint NOT NULL REFERENCES threecolts_app (id),
  organization_owner_id bigint NOT NULL REFERENCES "user" (id),
  external_id           varchar(64) NOT NULL,
  name                  text,
  created_at            timestamptz NOT NULL DEFAULT now(),
  updated_at            timestamptz NOT NULL DEFAULT now(),
  UNIQUE (threecolts_app_id, external_id)
);

CREATE TABLE client (
  id                         bigint PRIMARY KEY,
  threecolts_organization_id bigint REFERENCES threecolts_organization (id),
  external_id                varchar(64) NOT NULL UNIQUE,
  name                       text,
  db_host                    text,
  db_port                    integer CHECK (db_port BETWEEN 0 AND 65535),
  db_name                    text,
  db_user                    text,
  db_password                text,
  status                     record_status NOT NULL DEFAULT 'active',
  created_at                 timestamptz NOT NULL DEFAULT now(),
  updated_at                 timestamp without time zone NOT NULL DEFAULT (now() AT TIME ZONE 'UTC')
);

CREATE TABLE client_user (
  client_id  bigint NOT NULL REFERENCES client (id),
  user_id    bigint NOT NULL REFERENCES "user" (id),
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (client_id, user_id)
);

CREATE PUBLICATION hubreg_pub
  FOR TABLE threecolts_app, "user", threecolts_organization, client, client_user;
