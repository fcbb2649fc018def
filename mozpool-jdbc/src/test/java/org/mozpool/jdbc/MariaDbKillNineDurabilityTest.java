package org.mozpool.jdbc;

/** {@code kill -9} durability over MariaDB, in a database of its own. */
class MariaDbKillNineDurabilityTest extends KillNineDurabilityOnServer {
  @Override
  DatabaseServer server() {
    return DatabaseServer.MARIADB;
  }
}
