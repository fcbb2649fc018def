-- Mozpool store schema, version 2: at most one device per MAC address.
--
-- A device's MAC address names its PXE config file (pxelinux.cfg/01-aa-bb-cc-dd-ee-ff), so two
-- devices with one MAC would share, and overwrite, one boot configuration. The pool refuses such
-- a registration in the registering transaction; this key settles a race between two instances.
--
-- On a database that already holds two devices with one MAC address this migration fails, and
-- the store does not start: give one of them its real MAC address first, e.g.
--   SELECT mac, name FROM devices WHERE mac IN
--     (SELECT mac FROM devices GROUP BY mac HAVING COUNT(*) > 1) ORDER BY mac, name;

ALTER TABLE devices ADD CONSTRAINT devices_one_per_mac UNIQUE (mac);
