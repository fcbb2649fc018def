-- Mozpool store schema, version 1.
--
-- One script for every database: the few type differences are Flyway placeholders filled in by
-- org.mozpool.jdbc.Dialect (key = short case-sensitive name with byte-wise ordering, text =
-- unbounded text, identity = auto-numbered BIGINT, table_options = MariaDB engine and collation).
--
-- Conventions:
--   * every timestamp is a BIGINT column named *_us holding microseconds since the epoch (UTC);
--     no TIMESTAMP type, so no time zone of the JVM, the session or the server can shift it;
--   * maps, sets and lists are JSON text written by the store (keys sorted);
--   * there are no foreign keys: the store checks existence where the PoolStore contract asks
--     for it, and inventory rows (images, hardware types...) may be registered in any order.

CREATE TABLE servers (
  instance_id   ${key} NOT NULL PRIMARY KEY,
  started_us    BIGINT NOT NULL,
  heartbeat_us  BIGINT NOT NULL
) ${table_options};

CREATE TABLE hardware_types (
  name          ${key} NOT NULL PRIMARY KEY,
  description   ${text} NOT NULL
) ${table_options};

CREATE TABLE images (
  name                       ${key} NOT NULL PRIMARY KEY,
  required_boot_config_keys  ${text} NOT NULL,
  reusable                   BOOLEAN NOT NULL,
  hidden                     BOOLEAN NOT NULL,
  has_agent                  BOOLEAN NOT NULL
) ${table_options};

CREATE TABLE pxe_configs (
  name          ${key} NOT NULL PRIMARY KEY,
  description   ${text} NOT NULL,
  contents      ${text} NOT NULL,
  active        BOOLEAN NOT NULL
) ${table_options};

CREATE TABLE image_pxe_configs (
  image          ${key} NOT NULL,
  hardware_type  ${key} NOT NULL,
  pxe_config     ${key} NOT NULL,
  PRIMARY KEY (image, hardware_type)
) ${table_options};

CREATE TABLE devices (
  name                ${key} NOT NULL PRIMARY KEY,
  fqdn                VARCHAR(255) NOT NULL,
  mac                 VARCHAR(12) NOT NULL,
  hardware_type       ${key} NOT NULL,
  hardware_model      VARCHAR(255) NOT NULL,
  environment         ${key} NOT NULL,
  tags                ${text} NOT NULL,
  power_address       VARCHAR(1024) NOT NULL,
  server              ${key} NOT NULL,
  comments            ${text} NOT NULL,
  image               ${key} NOT NULL,
  boot_config         ${text} NOT NULL,
  next_image          ${key} NOT NULL,
  next_boot_config    ${text} NOT NULL,
  callback_token      ${text} NOT NULL,
  state               ${key} NOT NULL,
  counters            ${text} NOT NULL,
  deadline_us         BIGINT,
  version             BIGINT NOT NULL,
  attempt             BIGINT NOT NULL
) ${table_options};
CREATE INDEX devices_state ON devices (state);
CREATE INDEX devices_deadline ON devices (deadline_us);

CREATE TABLE requests (
  id                ${key} NOT NULL PRIMARY KEY,
  token             ${text} NOT NULL,
  spec              ${text} NOT NULL,
  server            ${key} NOT NULL,
  created_us        BIGINT NOT NULL,
  expires_us        BIGINT NOT NULL,
  devices_tried     ${text} NOT NULL,
  failure_reason    ${text} NOT NULL,
  state             ${key} NOT NULL,
  counters          ${text} NOT NULL,
  deadline_us       BIGINT,
  version           BIGINT NOT NULL,
  attempt           BIGINT NOT NULL
) ${table_options};
CREATE INDEX requests_created ON requests (created_us, id);
CREATE INDEX requests_state ON requests (state);
CREATE INDEX requests_deadline ON requests (deadline_us);

-- The only lock between the pool and Lifeguard: one claim per device (primary key) and one per
-- request (unique), so two instances can never hand out one device twice.
CREATE TABLE claims (
  device          ${key} NOT NULL PRIMARY KEY,
  request_id      ${key} NOT NULL,
  claimed_us      BIGINT NOT NULL,
  imaging_result  VARCHAR(32),
  CONSTRAINT claims_one_per_request UNIQUE (request_id)
) ${table_options};

-- Outbox of please-events for devices driven by another instance (DESIGN.md section 9); not
-- used by version 1 of the store.
CREATE TABLE device_events (
  seq            ${identity} PRIMARY KEY,
  device         ${key} NOT NULL,
  target_server  ${key} NOT NULL,
  event          ${key} NOT NULL,
  args           ${text} NOT NULL,
  created_us     BIGINT NOT NULL,
  delivered_us   BIGINT
) ${table_options};
CREATE INDEX device_events_pending ON device_events (target_server, delivered_us, seq);

-- Logs are read back in insertion order (seq) and pruned by age (ts_us).
CREATE TABLE device_logs (
  seq        ${identity} PRIMARY KEY,
  device     ${key} NOT NULL,
  ts_us      BIGINT NOT NULL,
  source     VARCHAR(255) NOT NULL,
  message    ${text} NOT NULL
) ${table_options};
CREATE INDEX device_logs_by_device ON device_logs (device, seq);
CREATE INDEX device_logs_by_time ON device_logs (ts_us);

CREATE TABLE request_logs (
  seq         ${identity} PRIMARY KEY,
  request_id  ${key} NOT NULL,
  ts_us       BIGINT NOT NULL,
  source      ${key} NOT NULL,
  message     ${text} NOT NULL
) ${table_options};
CREATE INDEX request_logs_by_request ON request_logs (request_id, seq);
CREATE INDEX request_logs_by_time ON request_logs (ts_us);

CREATE TABLE device_failures (
  seq      ${identity} PRIMARY KEY,
  device   ${key} NOT NULL,
  state    ${key} NOT NULL,
  at_us    BIGINT NOT NULL
) ${table_options};
CREATE INDEX device_failures_by_device ON device_failures (device, at_us, seq);
