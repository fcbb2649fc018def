-- Mozpool store schema, version 3: per-device statistics (issue 16).
--
-- One row per device, written by Lifeguard in the transaction of the step that changes it (at
-- most once per step): running counts (installs by image, power cycles, failures by state,
-- self-tests, quarantines), when the device was last seen healthy, and the time spent in each
-- state family, in total and per UTC day for the last eight days. The numbers are one JSON object
-- (see Codec.deviceStatistics), read and written whole: nothing queries inside it, and adding a
-- statistic needs no migration. Devices registered before this version get a row at their first
-- state change after the upgrade; their statistics begin then.

CREATE TABLE device_statistics (
  device      ${key} NOT NULL PRIMARY KEY,
  statistics  ${text} NOT NULL
) ${table_options};
