-- Mozpool store schema, version 4: several instances sharing one database (DESIGN.md section 9,
-- issue 15).
--
-- servers: one row per instance that ever joined. epoch is bumped each time the instance joins
-- and each time another instance declares it dead; heartbeat_us (and every silence computed from
-- it) is the database's own clock, never an instance's. standby_for is a JSON set of lab networks,
-- like tags; it has no default because MariaDB/MySQL text columns may not have one (the table was
-- unused before this version, so no row lacks it).
--
-- devices.driver: the instance that drives the device now. It starts as the server the device is
-- registered with and moves when a standby adopts the devices of a dead instance; spec.server
-- stays what the registration says. A request's driver is requests.server.
--
-- machine_events replaces device_events (never used): an outbox of events for devices and
-- requests driven by another instance. An event goes to whoever drives its machine when it is
-- read (target only records the driver at posting time); taken_us and outcome are set once, when
-- the driver takes it.

ALTER TABLE servers ADD COLUMN epoch BIGINT DEFAULT 0 NOT NULL;
ALTER TABLE servers ADD COLUMN lab_network ${key} DEFAULT '' NOT NULL;
ALTER TABLE servers ADD COLUMN standby_for ${text};
ALTER TABLE servers ADD COLUMN url VARCHAR(1024) DEFAULT '' NOT NULL;
ALTER TABLE servers ADD COLUMN live BOOLEAN DEFAULT FALSE NOT NULL;

ALTER TABLE devices ADD COLUMN driver ${key} DEFAULT '' NOT NULL;
UPDATE devices SET driver = server;
CREATE INDEX devices_driver ON devices (driver);

CREATE INDEX requests_server ON requests (server);

DROP TABLE device_events;

CREATE TABLE machine_events (
  seq        ${identity} PRIMARY KEY,
  kind       VARCHAR(16) NOT NULL,
  machine    ${key} NOT NULL,
  sender     ${key} NOT NULL,
  target     ${key} NOT NULL,
  event      ${key} NOT NULL,
  args       ${text} NOT NULL,
  posted_us  BIGINT NOT NULL,
  taken_us   BIGINT,
  outcome    ${text}
) ${table_options};
-- Untaken events are those with taken_us NULL, read in seq order.
CREATE INDEX machine_events_untaken ON machine_events (taken_us, seq);
CREATE INDEX machine_events_by_machine ON machine_events (machine, seq);
