package org.mozpool.jdbc;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.UnaryOperator;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.mapper.RowMapper;
import org.mozpool.ConflictException;
import org.mozpool.DeviceSpec;
import org.mozpool.HardwareType;
import org.mozpool.Image;
import org.mozpool.ImagingResult;
import org.mozpool.LogEntry;
import org.mozpool.NoSuchDeviceException;
import org.mozpool.NoSuchRequestException;
import org.mozpool.PxeConfig;
import org.mozpool.spi.Claim;
import org.mozpool.spi.DeviceFailure;
import org.mozpool.spi.DeviceQuery;
import org.mozpool.spi.DeviceRecord;
import org.mozpool.spi.DeviceStatisticsRecord;
import org.mozpool.spi.InstanceRecord;
import org.mozpool.spi.MachineDeadline;
import org.mozpool.spi.MachineDriver;
import org.mozpool.spi.MachineEvent;
import org.mozpool.spi.MachineKind;
import org.mozpool.spi.MachineRecord;
import org.mozpool.spi.RequestRecord;
import org.mozpool.spi.StaleStateException;
import org.mozpool.spi.StoreTransaction;

/** One {@link StoreTransaction} over one jdbi handle whose transaction is already open. */
final class JdbcStoreTransaction implements StoreTransaction {
  private static final String DEVICE_COLUMNS = "name, fqdn, mac, hardware_type, hardware_model,"
      + " environment, tags, power_address, server, comments, image, boot_config, next_image,"
      + " next_boot_config, callback_token, state, counters, deadline_us, version, attempt";
  private static final String REQUEST_COLUMNS = "id, token, spec, server, created_us, expires_us,"
      + " devices_tried, failure_reason, state, counters, deadline_us, version, attempt";
  private static final String DEVICE_BY_NAME =
      "SELECT " + DEVICE_COLUMNS + " FROM devices WHERE name = ?";
  private static final String REQUEST_BY_ID =
      "SELECT " + REQUEST_COLUMNS + " FROM requests WHERE id = ?";
  private static final String CLAIM_COLUMNS = "device, request_id, claimed_us, imaging_result";
  private static final String CLAIM_OF_DEVICE =
      "SELECT " + CLAIM_COLUMNS + " FROM claims WHERE device = ?";
  private static final String CLAIM_OF_REQUEST =
      "SELECT " + CLAIM_COLUMNS + " FROM claims WHERE request_id = ?";

  private static final String IMAGE_COLUMNS =
      "name, required_boot_config_keys, reusable, hidden, has_agent";
  private static final String PXE_CONFIG_COLUMNS = "name, description, contents, active";
  private static final String IMAGE_BY_NAME =
      "SELECT " + IMAGE_COLUMNS + " FROM images WHERE name = ?";

  // Mappers read columns by position, in the order of the *_COLUMNS lists above (H2 looks a
  // column label up by upper-casing it, which cost a tenth of the store's time).
  private static final RowMapper<HardwareType> HARDWARE_TYPE = (rs, ctx) ->
      new HardwareType(rs.getString(1), rs.getString(2));
  private static final RowMapper<Image> IMAGE = (rs, ctx) -> new Image(rs.getString(1),
      Codec.stringSet(rs.getString(2)), rs.getBoolean(3), rs.getBoolean(4), rs.getBoolean(5));
  private static final RowMapper<PxeConfig> PXE_CONFIG = (rs, ctx) -> new PxeConfig(
      rs.getString(1), rs.getString(2), rs.getString(3), rs.getBoolean(4));
  private static final RowMapper<DeviceRecord> DEVICE = (rs, ctx) -> new DeviceRecord(
      new DeviceSpec(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4),
          rs.getString(5), rs.getString(6), Codec.stringMap(rs.getString(7)), rs.getString(8),
          rs.getString(9), rs.getString(10)),
      rs.getString(11), Codec.stringMap(rs.getString(12)), rs.getString(13),
      Codec.stringMap(rs.getString(14)), rs.getString(15), machine(rs, 16));
  private static final RowMapper<RequestRecord> REQUEST = (rs, ctx) -> new RequestRecord(
      rs.getString(1), rs.getString(2), Codec.requestSpec(rs.getString(3)), rs.getString(4),
      Codec.instant(rs.getLong(5)), Codec.instant(rs.getLong(6)),
      Codec.stringList(rs.getString(7)), rs.getString(8), machine(rs, 9));
  private static final RowMapper<Claim> CLAIM = (rs, ctx) -> {
    String result = rs.getString(4);
    return new Claim(rs.getString(1), rs.getString(2), Codec.instant(rs.getLong(3)),
        result == null ? null : ImagingResult.fromWireName(result));
  };
  private static final RowMapper<LogEntry> LOG_ENTRY = (rs, ctx) -> new LogEntry(
      Codec.instant(rs.getLong(1)), rs.getString(2), rs.getString(3));

  private final Handle handle;
  private final Dialect dialect;
  private boolean closed;
  private boolean wrote;
  /**
   * Log lines appended and not yet sent, in order. They are sent as one INSERT per log table
   * just before commit (one round trip instead of one per line), or earlier when this
   * transaction reads or prunes logs.
   */
  private final List<PendingLog> pendingLogs = new ArrayList<>();
  /** This transaction's PostgreSQL id as its log INSERT returned it; null until then. */
  private Long idReturnedByLogs;
  /**
   * What this transaction knows of rows it has read or written, by key; an empty value means the
   * row does not exist. A state-machine step reads its machine and then, often, the whole row;
   * both come from one read. The transaction's own writes update what it knows to exactly what
   * the database now holds for it (a machine update stores the new machine with the incremented
   * version, a claim the inserted claim, instants to the microsecond) or, where that is not
   * known, forget the row; so a re-read after a write does not ask the database again. Rows
   * that other transactions write after this one read them are not seen again, as before: a
   * step's writes are conditional on the version it read (and a claim on the unique keys), so
   * a stale read cannot be acted on unnoticed. Each transaction starts with nothing known.
   */
  private final Map<String, Optional<DeviceRecord>> devicesRead = new HashMap<>();
  private final Map<String, Optional<RequestRecord>> requestsRead = new HashMap<>();
  private final Map<String, Optional<Image>> imagesRead = new HashMap<>();
  private final Map<String, Optional<Claim>> claimsOfDevice = new HashMap<>();
  private final Map<String, Optional<Claim>> claimsOfRequest = new HashMap<>();

  private record PendingLog(MachineKind kind, String id, LogEntry entry) {}

  /**
   * A request's lease expiry, devices tried and failure reason written by {@link #updateRequest}
   * and not yet sent. A claim step writes them and then, in the same transaction, the request's
   * machine: held back, they go out with the machine's UPDATE as one statement (one round trip
   * fewer per claim). Any other statement, and the commit, sends them first, on their own, so
   * that the database never holds less than this transaction has written when it is asked.
   */
  private record PendingRequestWrite(String id, long expiresUs, String devicesTried,
      String failureReason) {}

  private PendingRequestWrite pendingRequestWrite;

  /** Bounds the bind parameters of one log INSERT (PostgreSQL allows 65,535). */
  private static final int LOG_LINES_PER_INSERT = 1000;

  JdbcStoreTransaction(Handle handle, Dialect dialect) {
    this.handle = handle;
    this.dialect = dialect;
  }

  /** The columns state, counters, deadline_us, version, attempt from position {@code at}. */
  private static MachineRecord machine(ResultSet rs, int at) throws SQLException {
    long deadline = rs.getLong(at + 2);
    boolean noDeadline = rs.wasNull();
    return new MachineRecord(rs.getString(at), Codec.counters(rs.getString(at + 1)),
        noDeadline ? null : Codec.instant(deadline), rs.getLong(at + 3), rs.getLong(at + 4));
  }

  /** Ends this transaction's use: later calls fail as they do on the in-memory store. */
  void close() {
    closed = true;
  }

  /**
   * Whether this transaction has sent a write (successful or not). One that has not has nothing
   * to commit, so the outcome of its COMMIT never needs to be asked for.
   */
  boolean wrote() {
    return wrote;
  }

  private Handle handle() {
    if (closed) {
      throw new IllegalStateException("transaction is over");
    }
    return handle;
  }

  /** The handle, for a write: what this transaction held back is sent first. */
  private Handle writeHandle() {
    Handle h = handle();
    sendPendingRequestWrite();
    wrote = true;
    return h;
  }

  /**
   * The hot statements of a state-machine step run as plain JDBC on the handle's connection
   * (inside its open transaction): jdbi's per-statement configuration copy, argument resolution
   * and result iteration cost about as much as H2 itself takes to run them.
   */
  private PreparedStatement prepare(String sql, Object... positional) throws SQLException {
    Handle h = handle();
    sendPendingRequestWrite();
    PreparedStatement ps = h.getConnection().prepareStatement(sql);
    try {
      for (int i = 0; i < positional.length; i++) {
        Object value = positional[i];
        int at = i + 1;
        if (value == null) {
          ps.setNull(at, Types.OTHER); // as jdbi binds an untyped null
        } else if (value instanceof String v) {
          ps.setString(at, v);
        } else if (value instanceof Long v) {
          ps.setLong(at, v);
        } else if (value instanceof Integer v) {
          ps.setInt(at, v);
        } else if (value instanceof Boolean v) {
          ps.setBoolean(at, v);
        } else {
          ps.setObject(at, value);
        }
      }
      return ps;
    } catch (SQLException | RuntimeException e) {
      ps.close();
      throw e;
    }
  }

  private int update(String sql, Object... positional) {
    writeHandle();
    try (PreparedStatement ps = prepare(sql, positional)) {
      return ps.executeUpdate();
    } catch (SQLException e) {
      throw new StatementFailure(sql, e);
    }
  }

  private <T> Optional<T> findOne(String sql, RowMapper<T> mapper, Object... positional) {
    try (PreparedStatement ps = prepare(sql, positional); ResultSet rs = ps.executeQuery()) {
      return rs.next() ? Optional.of(mapper.map(rs, null)) : Optional.empty();
    } catch (SQLException e) {
      throw new StatementFailure(sql, e);
    }
  }

  /** Reads a row by its key at most once per transaction, unless a write made it unknown. */
  private <T> Optional<T> readOnce(Map<String, Optional<T>> known, String sql,
      RowMapper<T> mapper, String key) {
    Optional<T> row = known.get(key);
    if (row != null) {
      handle(); // fails once the transaction is over
      return row;
    }
    row = findOne(sql, mapper, key);
    known.put(key, row);
    return row;
  }

  /** {@code t} as the database gives it back: to the microsecond. */
  private static Instant stored(Instant t) {
    return Codec.instant(Codec.micros(t));
  }

  private <T> List<T> list(String sql, RowMapper<T> mapper, Object... positional) {
    try (PreparedStatement ps = prepare(sql, positional); ResultSet rs = ps.executeQuery()) {
      List<T> out = new ArrayList<>();
      while (rs.next()) {
        out.add(mapper.map(rs, null));
      }
      return out;
    } catch (SQLException e) {
      throw new StatementFailure(sql, e);
    }
  }

  /** A failed plain-JDBC statement; the store translates it by its {@link SQLException}. */
  static final class StatementFailure extends RuntimeException {
    StatementFailure(String sql, SQLException cause) {
      super(cause.getMessage() + " [statement: " + sql + "]", cause);
    }
  }

  // ---- inventory ----

  @Override
  public void putHardwareType(HardwareType type) {
    writeHandle().createUpdate(dialect.upsert("hardware_types", List.of("name"),
            List.of("name", "description")))
        .bind("name", type.name()).bind("description", type.description()).execute();
  }

  @Override
  public Optional<HardwareType> hardwareType(String name) {
    return findOne("SELECT name, description FROM hardware_types WHERE name = ?", HARDWARE_TYPE,
        name);
  }

  @Override
  public List<HardwareType> hardwareTypes() {
    return list("SELECT name, description FROM hardware_types ORDER BY name", HARDWARE_TYPE);
  }

  @Override
  public void putImage(Image image) {
    writeHandle().createUpdate(dialect.upsert("images", List.of("name"), List.of("name",
            "required_boot_config_keys", "reusable", "hidden", "has_agent")))
        .bind("name", image.name())
        .bind("required_boot_config_keys", Codec.set(image.requiredBootConfigKeys()))
        .bind("reusable", image.reusable()).bind("hidden", image.hidden())
        .bind("has_agent", image.hasAgent()).execute();
    imagesRead.put(image.name(), Optional.of(image));
  }

  @Override
  public Optional<Image> image(String name) {
    return readOnce(imagesRead, IMAGE_BY_NAME, IMAGE, name);
  }

  @Override
  public List<Image> images() {
    return list("SELECT " + IMAGE_COLUMNS + " FROM images ORDER BY name", IMAGE);
  }

  @Override
  public void putPxeConfig(PxeConfig config) {
    writeHandle().createUpdate(dialect.upsert("pxe_configs", List.of("name"),
            List.of("name", "description", "contents", "active")))
        .bind("name", config.name()).bind("description", config.description())
        .bind("contents", config.contents()).bind("active", config.active()).execute();
  }

  @Override
  public Optional<PxeConfig> pxeConfig(String name) {
    return findOne("SELECT " + PXE_CONFIG_COLUMNS + " FROM pxe_configs WHERE name = ?",
        PXE_CONFIG, name);
  }

  @Override
  public void mapPxeConfig(String image, String hardwareType, String pxeConfig) {
    writeHandle().createUpdate(dialect.upsert("image_pxe_configs",
            List.of("image", "hardware_type"), List.of("image", "hardware_type", "pxe_config")))
        .bind("image", image).bind("hardware_type", hardwareType)
        .bind("pxe_config", pxeConfig).execute();
  }

  @Override
  public Optional<PxeConfig> pxeConfigFor(String image, String hardwareType) {
    return findOne("SELECT p.name, p.description, p.contents, p.active"
            + " FROM image_pxe_configs m JOIN pxe_configs p"
            + " ON p.name = m.pxe_config WHERE m.image = ? AND m.hardware_type = ?"
            + " AND p.active = ?", PXE_CONFIG, image, hardwareType, true);
  }

  // ---- devices ----

  @Override
  public void insertDevice(DeviceRecord d) {
    if (device(d.name()).isPresent()) {
      throw new ConflictException("device " + d.name() + " already exists");
    }
    DeviceSpec s = d.spec();
    requireOwnMac(s);
    MachineRecord m = d.machine();
    try {
      // A device is driven by the server it is registered with until another instance adopts it.
      update("INSERT INTO devices (" + DEVICE_COLUMNS + ", driver) VALUES"
              + " (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
          s.name(), s.fqdn(), s.mac(), s.hardwareType(), s.hardwareModel(), s.environment(),
          Codec.map(s.tags()), s.powerAddress(), s.server(), s.comments(), d.image(),
          Codec.map(d.bootConfig()), d.nextImage(), Codec.map(d.nextBootConfig()),
          d.callbackToken(), m.state(), Codec.map(m.counters()), Codec.micros(m.deadline()),
          m.version(), m.attempt(), s.server());
    } catch (StatementFailure e) {
      // Another transaction inserted the same name or MAC address after our checks.
      throw duplicateOr(e, "device " + d.name() + " or its MAC address " + s.mac()
          + " already exists");
    } finally {
      devicesRead.remove(d.name());
    }
  }

  private static RuntimeException duplicateOr(RuntimeException e, String what) {
    if (e.getCause() instanceof SQLException sql && Dialect.isUniqueViolation(sql)) {
      ConflictException conflict = new ConflictException(what);
      conflict.initCause(e);
      return conflict;
    }
    return e;
  }

  @Override
  public Optional<DeviceRecord> device(String name) {
    return readOnce(devicesRead, DEVICE_BY_NAME, DEVICE, name);
  }

  @Override
  public Optional<DeviceRecord> deviceWithMac(String mac) {
    // Not remembered in devicesRead: a device's MAC may change within the transaction.
    return findOne("SELECT " + DEVICE_COLUMNS + " FROM devices WHERE mac = ?", DEVICE, mac);
  }

  /** Refuses a MAC address that another device has, as the unique key would, but by name. */
  private void requireOwnMac(DeviceSpec s) {
    Optional<DeviceRecord> holder = deviceWithMac(s.mac());
    if (holder.isPresent() && !holder.get().name().equals(s.name())) {
      throw new ConflictException("MAC address " + s.mac() + " of device " + s.name()
          + " is already registered to device " + holder.get().name());
    }
  }

  @Override
  public List<DeviceRecord> devices() {
    return known(list("SELECT " + DEVICE_COLUMNS + " FROM devices ORDER BY name", DEVICE));
  }

  /** Rows of a multi-row read become known, so that reading one of them again is free. */
  private List<DeviceRecord> known(List<DeviceRecord> rows) {
    for (DeviceRecord d : rows) {
      devicesRead.put(d.name(), Optional.of(d));
    }
    return rows;
  }

  @Override
  public List<DeviceRecord> findDevices(DeviceQuery q) {
    StringBuilder sql = new StringBuilder("SELECT " + DEVICE_COLUMNS + " FROM devices d WHERE 1 = 1");
    List<String> args = new ArrayList<>();
    filter(sql, args, "state", q.state());
    filter(sql, args, "environment", q.environment());
    filter(sql, args, "hardware_type", q.hardwareType());
    filter(sql, args, "hardware_model", q.hardwareModel());
    if (q.unclaimedOnly()) {
      sql.append(" AND NOT EXISTS (SELECT 1 FROM claims c WHERE c.device = d.name)");
    }
    return known(list(sql.append(" ORDER BY name").toString(), DEVICE, args.toArray()));
  }

  private static void filter(StringBuilder sql, List<String> args, String column, String value) {
    if (!value.isEmpty()) {
      sql.append(" AND ").append(column).append(" = ?");
      args.add(value);
    }
  }

  @Override
  public void updateDeviceSpec(DeviceSpec s) {
    DeviceRecord current = device(s.name())
        .orElseThrow(() -> new NoSuchDeviceException(s.name())); // before the MAC check
    if (!s.mac().equals(current.spec().mac())) {
      requireOwnMac(s); // a query only when the MAC changes, as in memory
    }
    int rows;
    try {
      // Registered with another server: that server drives it from now on. The driver is set
      // first because MariaDB assigns left to right, each assignment seeing the ones before.
      rows = update("UPDATE devices SET driver = CASE WHEN server = ? THEN driver ELSE ? END,"
              + " fqdn = ?, mac = ?, hardware_type = ?,"
              + " hardware_model = ?, environment = ?, tags = ?, power_address = ?, server = ?,"
              + " comments = ? WHERE name = ?",
          s.server(), s.server(),
          s.fqdn(), s.mac(), s.hardwareType(), s.hardwareModel(), s.environment(),
          Codec.map(s.tags()), s.powerAddress(), s.server(), s.comments(), s.name());
    } catch (StatementFailure e) {
      // Another transaction took the MAC address after our check.
      devicesRead.remove(s.name());
      throw duplicateOr(e, "MAC address " + s.mac() + " of device " + s.name()
          + " is already registered to another device");
    }
    requireDevice(rows, s.name());
    rewrite(s.name(), d -> new DeviceRecord(s, d.image(), d.bootConfig(), d.nextImage(),
        d.nextBootConfig(), d.callbackToken(), d.machine()));
  }

  /** Applies this transaction's write to the device's known row, if it is known. */
  private void rewrite(String name, UnaryOperator<DeviceRecord> write) {
    devicesRead.computeIfPresent(name,
        (k, known) -> known.isEmpty() ? null : Optional.of(write.apply(known.get())));
  }

  private void requireDevice(int rows, String name) {
    if (rows == 0) {
      devicesRead.remove(name);
      throw new NoSuchDeviceException(name);
    }
  }

  @Override
  public void updateDeviceImages(String device, String image, Map<String, String> bootConfig,
      String nextImage, Map<String, String> nextBootConfig) {
    // Normalised as DeviceRecord does, so that what is read back equals what the in-memory
    // store would hold (null = empty; null keys or values are rejected).
    String now = Objects.requireNonNullElse(image, "");
    Map<String, String> config = Map.copyOf(Objects.requireNonNullElse(bootConfig, Map.of()));
    String next = Objects.requireNonNullElse(nextImage, "");
    Map<String, String> nextConfig =
        Map.copyOf(Objects.requireNonNullElse(nextBootConfig, Map.of()));
    requireDevice(update("UPDATE devices SET image = ?, boot_config = ?, next_image = ?,"
            + " next_boot_config = ? WHERE name = ?",
        now, Codec.map(config), next, Codec.map(nextConfig), device), device);
    rewrite(device, d -> new DeviceRecord(d.spec(), now, config, next, nextConfig,
        d.callbackToken(), d.machine()));
  }

  @Override
  public void updateCallbackToken(String device, String token) {
    String written = token == null ? "" : token;
    requireDevice(update("UPDATE devices SET callback_token = ? WHERE name = ?", written, device),
        device);
    rewrite(device, d -> new DeviceRecord(d.spec(), d.image(), d.bootConfig(), d.nextImage(),
        d.nextBootConfig(), written, d.machine()));
  }

  // ---- requests ----

  @Override
  public void insertRequest(RequestRecord r) {
    String taken = "request " + r.id() + " already exists";
    Optional<RequestRecord> known = requestsRead.get(r.id());
    if (known != null && known.isPresent()) {
      throw new ConflictException(taken);
    }
    // No look first (a round trip when filing a request): the primary key decides, and the
    // transaction stays usable after a refusal, so that the caller can read the row it lost to.
    // PostgreSQL would abort the whole transaction on a failed statement, so it adds nothing
    // instead of failing; H2 and MariaDB undo only the failed statement. (Not MariaDB's INSERT
    // IGNORE: it turns other errors, such as a too-long value, into warnings.)
    String sql = "INSERT INTO requests (" + REQUEST_COLUMNS + ") VALUES"
        + " (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        + (dialect == Dialect.POSTGRESQL ? " ON CONFLICT DO NOTHING" : "");
    MachineRecord m = r.machine();
    String spec = Codec.requestSpec(r.spec());
    String tried = Codec.list(r.devicesTried());
    String counters = Codec.map(m.counters());
    int rows;
    try {
      rows = update(sql, r.id(), r.token(), spec, r.server(),
          Codec.micros(r.createdAt()), Codec.micros(r.expiresAt()), tried, r.failureReason(),
          m.state(), counters, Codec.micros(m.deadline()), m.version(), m.attempt());
    } catch (StatementFailure e) {
      requestsRead.remove(r.id());
      throw duplicateOr(e, taken);
    }
    if (rows == 0) {
      requestsRead.remove(r.id());
      throw new ConflictException(taken);
    }
    // Known as it would read back (a request's first step reads it at once): decoded from the
    // text just written, instants to the microsecond.
    requestsRead.put(r.id(), Optional.of(new RequestRecord(r.id(), r.token(),
        Codec.requestSpec(spec), r.server(), stored(r.createdAt()), stored(r.expiresAt()),
        Codec.stringList(tried), r.failureReason(), new MachineRecord(m.state(),
            Codec.counters(counters), stored(m.deadline()), m.version(), m.attempt()))));
  }

  @Override
  public Optional<RequestRecord> request(String id) {
    return readOnce(requestsRead, REQUEST_BY_ID, REQUEST, id);
  }

  @Override
  public List<RequestRecord> requests() {
    return list("SELECT " + REQUEST_COLUMNS + " FROM requests ORDER BY created_us, id", REQUEST);
  }

  @Override
  public List<RequestRecord> requestsInState(String state) {
    return list("SELECT " + REQUEST_COLUMNS + " FROM requests WHERE state = ?"
        + " ORDER BY created_us, id", REQUEST, state);
  }

  @Override
  public void updateRequest(String id, Instant expiresAt, List<String> devicesTried,
      String failureReason) {
    List<String> tried = List.copyOf(devicesTried == null ? List.of() : devicesTried);
    String reason = failureReason == null ? "" : failureReason;
    PendingRequestWrite write = new PendingRequestWrite(id,
        Codec.micros(Objects.requireNonNull(expiresAt, "expiresAt")), Codec.list(tried), reason);
    Optional<RequestRecord> known = requestsRead.get(id);
    if (known != null && known.isPresent()) {
      // The row exists (requests are never deleted): held back until the next statement, so
      // that a machine write of the same request that follows carries it.
      writeHandle(); // sends an earlier held-back write; fails once the transaction is over
      pendingRequestWrite = write;
    } else {
      sendRequestWrite(write);
    }
    rewriteRequest(id, r -> new RequestRecord(r.id(), r.token(), r.spec(), r.server(),
        r.createdAt(), stored(expiresAt), tried, reason, r.machine()));
  }

  /** Sends the held-back request write, if any, as a statement of its own. */
  private void sendPendingRequestWrite() {
    PendingRequestWrite write = pendingRequestWrite;
    if (write != null) {
      pendingRequestWrite = null;
      sendRequestWrite(write);
    }
  }

  private void sendRequestWrite(PendingRequestWrite write) {
    int rows = update("UPDATE requests SET expires_us = ?, devices_tried = ?, failure_reason = ?"
        + " WHERE id = ?", write.expiresUs(), write.devicesTried(), write.failureReason(),
        write.id());
    if (rows == 0) {
      requestsRead.remove(write.id());
      throw new NoSuchRequestException(write.id());
    }
  }

  /** Applies this transaction's write to the request's known row, if it is known. */
  private void rewriteRequest(String id, UnaryOperator<RequestRecord> write) {
    requestsRead.computeIfPresent(id,
        (k, known) -> known.isEmpty() ? null : Optional.of(write.apply(known.get())));
  }

  // ---- machines ----

  private static String table(MachineKind kind) {
    return kind == MachineKind.DEVICE ? "devices" : "requests";
  }

  private static String key(MachineKind kind) {
    return kind == MachineKind.DEVICE ? "name" : "id";
  }

  private static RuntimeException noSuch(MachineKind kind, String id) {
    return kind == MachineKind.DEVICE ? new NoSuchDeviceException(id)
        : new NoSuchRequestException(id);
  }

  @Override
  public void updateMachine(MachineKind kind, String id, long expectedVersion, MachineRecord next) {
    // The version check and the write are one statement: a concurrent writer of the same row
    // either committed first (then the WHERE no longer matches) or waits for us.
    PendingRequestWrite carried = null;
    if (kind == MachineKind.REQUEST && pendingRequestWrite != null
        && pendingRequestWrite.id().equals(id)) {
      carried = pendingRequestWrite; // this request's own held-back write goes with it
      pendingRequestWrite = null;
    }
    String set = "UPDATE " + table(kind) + " SET state = ?, counters = ?, deadline_us = ?,"
        + " attempt = ?, version = version + 1";
    String where = " WHERE " + key(kind) + " = ? AND version = ?";
    int rows = carried == null
        ? update(set + where, next.state(), Codec.map(next.counters()),
            Codec.micros(next.deadline()), next.attempt(), id, expectedVersion)
        : update(set + ", expires_us = ?, devices_tried = ?, failure_reason = ?" + where,
            next.state(), Codec.map(next.counters()), Codec.micros(next.deadline()),
            next.attempt(), carried.expiresUs(), carried.devicesTried(),
            carried.failureReason(), id, expectedVersion);
    if (rows == 0) {
      if (carried != null) {
        // The version check failed, but the request write did not depend on it: it stands on
        // its own, as if sent when it was made (a caller may catch the conflict and go on).
        sendRequestWrite(carried);
      }
      (kind == MachineKind.DEVICE ? devicesRead : requestsRead).remove(id);
      long actual = findOne("SELECT version FROM " + table(kind) + " WHERE " + key(kind)
          + " = ?", (rs, ctx) -> rs.getLong(1), id).orElseThrow(() -> noSuch(kind, id));
      throw new StaleStateException(kind, id, expectedVersion, actual);
    }
    MachineRecord written = new MachineRecord(next.state(), next.counters(),
        stored(next.deadline()), expectedVersion + 1, next.attempt());
    if (kind == MachineKind.DEVICE) {
      rewrite(id, d -> new DeviceRecord(d.spec(), d.image(), d.bootConfig(), d.nextImage(),
          d.nextBootConfig(), d.callbackToken(), written));
    } else {
      rewriteRequest(id, r -> new RequestRecord(r.id(), r.token(), r.spec(), r.server(),
          r.createdAt(), r.expiresAt(), r.devicesTried(), r.failureReason(), written));
    }
  }

  @Override
  public Optional<MachineRecord> machine(MachineKind kind, String id) {
    // The whole row: the step that asks for its machine usually asks for the row next.
    return kind == MachineKind.DEVICE ? device(id).map(DeviceRecord::machine)
        : request(id).map(RequestRecord::machine);
  }

  @Override
  public List<MachineDeadline> deadlines(MachineKind kind) {
    return list("SELECT " + key(kind) + " AS id, deadline_us FROM " + table(kind)
        + " WHERE deadline_us IS NOT NULL ORDER BY " + key(kind),
        (rs, ctx) -> new MachineDeadline(kind, rs.getString(1), Codec.instant(rs.getLong(2))));
  }

  // ---- claims ----

  @Override
  public boolean claim(String device, String requestId, Instant at) {
    boolean deviceExists = device(device).isPresent();
    if (!deviceExists || request(requestId).isEmpty()) {
      // An existing claim is answered before a missing device or request is reported.
      if (claimExists(device, requestId)) {
        return false;
      }
      throw deviceExists ? new NoSuchRequestException(requestId)
          : new NoSuchDeviceException(device);
    }
    // No look first: the unique keys decide. The insert adds nothing if the device or the
    // request already has a claim, and the loser of concurrent claimers waits for the winner's
    // commit and then adds nothing.
    if (insertClaim(device, requestId, at)) {
      knowClaim(new Claim(device, requestId, stored(at), null));
      return true;
    }
    claimsOfDevice.remove(device);
    claimsOfRequest.remove(requestId);
    return false;
  }

  private boolean claimExists(String device, String requestId) {
    return findOne("SELECT COUNT(*) FROM claims WHERE device = ? OR request_id = ?",
        (rs, ctx) -> rs.getInt(1), device, requestId).orElseThrow() > 0;
  }

  private boolean insertClaim(String device, String requestId, Instant at) {
    try {
      return update(dialect.insertUnlessDuplicate("claims",
          List.of("device", "request_id", "claimed_us")), device, requestId,
          Codec.micros(at)) == 1;
    } catch (StatementFailure e) {
      if (dialect == Dialect.H2 && e.getCause() instanceof SQLException sql
          && Dialect.isUniqueViolation(sql)) {
        return false;
      }
      throw e;
    }
  }

  private void knowClaim(Claim claim) {
    claimsOfDevice.put(claim.device(), Optional.of(claim));
    claimsOfRequest.put(claim.requestId(), Optional.of(claim));
  }

  @Override
  public Optional<Claim> claimOfDevice(String device) {
    Optional<Claim> claim = readOnce(claimsOfDevice, CLAIM_OF_DEVICE, CLAIM, device);
    claim.ifPresent(this::knowClaim);
    return claim;
  }

  @Override
  public Optional<Claim> claimOfRequest(String requestId) {
    Optional<Claim> claim = readOnce(claimsOfRequest, CLAIM_OF_REQUEST, CLAIM, requestId);
    claim.ifPresent(this::knowClaim);
    return claim;
  }

  @Override
  public Optional<Claim> releaseClaim(String requestId) {
    Optional<Claim> claim = claimOfRequest(requestId);
    if (claim.isEmpty()) {
      return claim;
    }
    boolean deleted = update("DELETE FROM claims WHERE request_id = ?", requestId) > 0;
    claimsOfRequest.put(requestId, Optional.empty());
    claimsOfDevice.remove(claim.get().device());
    return deleted ? claim : Optional.empty(); // else released concurrently by someone else
  }

  @Override
  public void setImagingResult(String device, ImagingResult result) {
    update("UPDATE claims SET imaging_result = ? WHERE device = ?",
        result == null ? null : result.wireName(), device);
    claimsOfDevice.remove(device);
    claimsOfRequest.values().removeIf(c -> c.isPresent() && c.get().device().equals(device));
  }

  // ---- logs and history ----

  private static String logTable(MachineKind kind) {
    return kind == MachineKind.DEVICE ? "device_logs" : "request_logs";
  }

  private static String logKey(MachineKind kind) {
    return kind == MachineKind.DEVICE ? "device" : "request_id";
  }

  @Override
  public void appendLog(MachineKind kind, String id, LogEntry entry) {
    handle(); // fails once the transaction is over
    wrote = true;
    pendingLogs.add(new PendingLog(kind, id, entry));
  }

  /**
   * Sends what this transaction has held back: a request write not yet sent, then the log lines
   * appended so far, in order, one INSERT per log table. The store calls it before committing.
   */
  void flushLogs() {
    sendPendingRequestWrite();
    if (pendingLogs.isEmpty()) {
      return;
    }
    for (MachineKind kind : MachineKind.values()) {
      List<PendingLog> lines = pendingLogs.stream().filter(l -> l.kind() == kind).toList();
      if (!lines.isEmpty()) {
        insertLogs(kind, lines);
      }
    }
    pendingLogs.clear();
  }

  private void insertLogs(MachineKind kind, List<PendingLog> lines) {
    // One multi-row INSERT, not a JDBC batch: pgjdbc 42.7.8 fails a batch whose connection drops
    // with an AssertionError (under -ea) instead of an SQLException (pgjdbc issue 1458). The
    // rows of one INSERT take their seq in the order of its VALUES list.
    for (int from = 0; from < lines.size(); from += LOG_LINES_PER_INSERT) {
      List<PendingLog> chunk =
          lines.subList(from, Math.min(lines.size(), from + LOG_LINES_PER_INSERT));
      List<Object> values = new ArrayList<>();
      for (PendingLog line : chunk) {
        LogEntry entry = line.entry();
        Collections.addAll(values, line.id(), Codec.micros(entry.timestamp()), entry.source(),
            entry.message());
      }
      String sql = "INSERT INTO " + logTable(kind) + " (" + logKey(kind)
          + ", ts_us, source, message) VALUES "
          + String.join(", ", Collections.nCopies(chunk.size(), "(?, ?, ?, ?)"));
      if (dialect.canAskCommitStatus()) {
        // The id that resolves a lost COMMIT comes back with the lines: no query of its own.
        idReturnedByLogs =
            insertReturningLong(sql + " RETURNING txid_current()", values.toArray());
      } else {
        update(sql, values.toArray());
      }
    }
  }

  private long insertReturningLong(String sql, Object... positional) {
    writeHandle();
    try (PreparedStatement ps = prepare(sql, positional); ResultSet rs = ps.executeQuery()) {
      rs.next();
      return rs.getLong(1);
    } catch (SQLException e) {
      throw new StatementFailure(sql, e);
    }
  }

  /**
   * This transaction's PostgreSQL id if a log INSERT returned it ({@link #flushLogs()} on
   * PostgreSQL), else null.
   */
  Long idReturnedByLogs() {
    return idReturnedByLogs;
  }

  @Override
  public List<LogEntry> log(MachineKind kind, String id, int limit) {
    if (limit <= 0) {
      return List.of();
    }
    flushLogs();
    List<LogEntry> out = list("SELECT ts_us, source, message FROM " + logTable(kind)
        + " WHERE " + logKey(kind) + " = ? ORDER BY seq DESC LIMIT ?", LOG_ENTRY, id, limit);
    Collections.reverse(out);
    return List.copyOf(out);
  }

  @Override
  public int pruneLogs(Instant before) {
    flushLogs(); // lines appended before the prune are pruned as if they had been written
    Long cutoff = Codec.micros(before);
    return update("DELETE FROM device_logs WHERE ts_us < ?", cutoff)
        + update("DELETE FROM request_logs WHERE ts_us < ?", cutoff);
  }

  @Override
  public void recordFailure(DeviceFailure failure) {
    update("INSERT INTO device_failures (device, state, at_us) VALUES (?, ?, ?)",
        failure.device(), failure.state(), Codec.micros(failure.at()));
  }

  @Override
  public List<DeviceFailure> failures(String device, Instant since) {
    return list("SELECT device, state, at_us FROM device_failures WHERE device = ?"
            + " AND at_us >= ? ORDER BY seq",
        (rs, ctx) -> new DeviceFailure(rs.getString(1), rs.getString(2),
            Codec.instant(rs.getLong(3))), device, Codec.micros(since));
  }

  @Override
  public Optional<DeviceStatisticsRecord> deviceStatistics(String device) {
    return findOne("SELECT statistics FROM device_statistics WHERE device = ?",
        (rs, ctx) -> Codec.deviceStatistics(device, rs.getString(1)), device);
  }

  @Override
  public void putDeviceStatistics(DeviceStatisticsRecord statistics) {
    writeHandle().createUpdate(dialect.upsert("device_statistics", List.of("device"),
            List.of("device", "statistics")))
        .bind("device", statistics.device())
        .bind("statistics", Codec.deviceStatistics(statistics)).execute();
  }

  // ---- several instances sharing the store (DESIGN §9) ----
  //
  // Every "now" below is the database's clock (Dialect.nowMicros), never this JVM's: instances
  // judge each other's heartbeats on one clock.

  private static final RowMapper<InstanceRecord> INSTANCE = (rs, ctx) -> {
    String standbyFor = rs.getString(4);
    return new InstanceRecord(rs.getString(1), rs.getLong(2), rs.getString(3),
        standbyFor == null ? Set.of() : Codec.stringSet(standbyFor), rs.getString(5),
        rs.getBoolean(6), Duration.ofNanos(Math.multiplyExact(Math.max(0, rs.getLong(7)), 1000L)));
  };
  private static final RowMapper<MachineEvent> EVENT = (rs, ctx) -> new MachineEvent(
      rs.getLong(1), MachineKind.valueOf(rs.getString(2)), rs.getString(3), rs.getString(4),
      rs.getString(5), Codec.stringMap(rs.getString(6)));
  /** The channel of PostgreSQL notifications; the payload is the instance to wake. */
  static final String EVENT_CHANNEL = "mozpool_events";
  /** Bounds the bind parameters of one IN list. */
  private static final int IDS_PER_STATEMENT = 500;

  /** The column that says which instance drives a machine of {@code kind}. */
  private static String driverColumn(MachineKind kind) {
    return kind == MachineKind.DEVICE ? "driver" : "server";
  }

  /** {@code d} in microseconds, finer digits dropped; negative as zero, huge as the maximum. */
  private static long micros(Duration d) {
    if (d.isNegative()) {
      return 0;
    }
    try {
      return Math.addExact(Math.multiplyExact(d.getSeconds(), 1_000_000L), d.getNano() / 1000);
    } catch (ArithmeticException e) {
      return Long.MAX_VALUE;
    }
  }

  private String now() {
    return dialect.nowMicros();
  }

  @Override
  public long joinInstance(String id, String labNetwork, Set<String> standbyFor, String url) {
    Objects.requireNonNull(id, "id");
    String network = Objects.requireNonNullElse(labNetwork, "");
    String standby = Codec.set(standbyFor == null ? Set.of() : standbyFor);
    String address = Objects.requireNonNullElse(url, "");
    String rejoin = "UPDATE servers SET epoch = epoch + 1, live = TRUE, started_us = " + now()
        + ", heartbeat_us = " + now() + ", lab_network = ?, standby_for = ?, url = ?"
        + " WHERE instance_id = ?";
    if (update(rejoin, network, standby, address, id) == 0 && !insertServer(id, network,
        standby, address)) {
      // It joined concurrently under the same id (between our update and our insert).
      update(rejoin, network, standby, address, id);
    }
    return findOne("SELECT epoch FROM servers WHERE instance_id = ?", (rs, ctx) -> rs.getLong(1),
        id).orElseThrow();
  }

  private boolean insertServer(String id, String network, String standby, String address) {
    String sql = dialect.insertUnlessDuplicate("servers", List.of("instance_id", "started_us",
        "heartbeat_us", "epoch", "lab_network", "standby_for", "url", "live"),
        List.of("?", now(), now(), "1", "?", "?", "?", "TRUE"));
    try {
      return update(sql, id, network, standby, address) == 1;
    } catch (StatementFailure e) {
      if (dialect == Dialect.H2 && e.getCause() instanceof SQLException sqlError
          && Dialect.isUniqueViolation(sqlError)) {
        return false;
      }
      throw e;
    }
  }

  @Override
  public boolean heartbeat(String id, long epoch) {
    return update("UPDATE servers SET heartbeat_us = " + now()
        + " WHERE instance_id = ? AND epoch = ? AND live = TRUE", id, epoch) == 1;
  }

  @Override
  public List<InstanceRecord> instances() {
    return list("SELECT instance_id, epoch, lab_network, standby_for, url, live, " + now()
        + " - heartbeat_us FROM servers ORDER BY instance_id", INSTANCE);
  }

  @Override
  public boolean declareDead(String id, long epoch, Duration deadAfter) {
    long silence = micros(Objects.requireNonNull(deadAfter, "deadAfter"));
    // One conditional statement: of two instances declaring the same one dead, the second waits
    // for the first's row lock and then no longer matches (live and epoch have changed).
    if (update("UPDATE servers SET live = FALSE, epoch = epoch + 1 WHERE instance_id = ?"
        + " AND live = TRUE AND epoch = ? AND " + now() + " - heartbeat_us >= ?",
        id, epoch, silence) != 1) {
      return false;
    }
    // Fencing: a step the dead instance read before cannot commit its conditional write.
    update("UPDATE devices SET version = version + 1 WHERE driver = ?", id);
    update("UPDATE requests SET version = version + 1 WHERE server = ?", id);
    devicesRead.clear();
    requestsRead.clear();
    return true;
  }

  @Override
  public Optional<MachineDriver> driver(MachineKind kind, String id) {
    return findOne("SELECT m." + driverColumn(kind) + ", s.epoch, s.live FROM " + table(kind)
        + " m LEFT JOIN servers s ON s.instance_id = m." + driverColumn(kind) + " WHERE m."
        + key(kind) + " = ?",
        // A driver without a servers row (never joined): epoch 0, not live.
        (rs, ctx) -> new MachineDriver(rs.getString(1), rs.getLong(2), rs.getBoolean(3)), id);
  }

  @Override
  public Set<String> drivenBy(MachineKind kind, String instance) {
    return Collections.unmodifiableSet(new LinkedHashSet<>(list("SELECT " + key(kind) + " FROM "
        + table(kind) + " WHERE " + driverColumn(kind) + " = ? ORDER BY " + key(kind),
        (rs, ctx) -> rs.getString(1), instance)));
  }

  @Override
  public List<String> adopt(MachineKind kind, String from, String to) {
    Objects.requireNonNull(from, "from");
    Objects.requireNonNull(to, "to");
    // Locks the instance's row: if it joins again meanwhile, its join waits for this commit and
    // then finds its machines gone. An instance without a row (never joined) is not live.
    boolean live = findOne("SELECT live FROM servers WHERE instance_id = ? FOR UPDATE",
        (rs, ctx) -> rs.getBoolean(1), from).orElse(false);
    if (live) {
      return List.of();
    }
    // The rows are locked as read, and only those are moved: a machine registered with the dead
    // instance after this read stays with it for a later adoption.
    List<String> ids = list("SELECT " + key(kind) + " FROM " + table(kind) + " WHERE "
        + driverColumn(kind) + " = ? ORDER BY " + key(kind) + " FOR UPDATE",
        (rs, ctx) -> rs.getString(1), from);
    for (int at = 0; at < ids.size(); at += IDS_PER_STATEMENT) {
      List<String> chunk = ids.subList(at, Math.min(ids.size(), at + IDS_PER_STATEMENT));
      List<Object> args = new ArrayList<>();
      args.add(to);
      args.add(from);
      args.addAll(chunk);
      update("UPDATE " + table(kind) + " SET " + driverColumn(kind) + " = ?,"
          + " version = version + 1 WHERE " + driverColumn(kind) + " = ? AND " + key(kind)
          + " IN (" + String.join(", ", Collections.nCopies(chunk.size(), "?")) + ")",
          args.toArray());
    }
    Map<String, ?> known = kind == MachineKind.DEVICE ? devicesRead : requestsRead;
    ids.forEach(known::remove);
    return List.copyOf(ids);
  }

  @Override
  public long postEvent(MachineKind kind, String machine, String sender, String event,
      Map<String, String> args) {
    MachineEvent checked = new MachineEvent(0, kind, machine, sender, event, args);
    // FOR UPDATE: posts for one machine wait for each other's commit, so that an event's seq
    // (given at insert) is also the order the events become visible in, and the owner, taking
    // them by seq, never takes a later one before an earlier one commits.
    String target = findOne("SELECT " + driverColumn(kind) + " FROM " + table(kind) + " WHERE "
        + key(kind) + " = ? FOR UPDATE", (rs, ctx) -> rs.getString(1), machine)
        .orElseThrow(() -> noSuch(kind, machine));
    String sql = "INSERT INTO machine_events (kind, machine, sender, target, event, args,"
        + " posted_us) VALUES (?, ?, ?, ?, ?, ?, " + now() + ")";
    long seq;
    writeHandle();
    try (PreparedStatement ps = handle().getConnection().prepareStatement(sql,
        Statement.RETURN_GENERATED_KEYS)) {
      ps.setString(1, kind.name());
      ps.setString(2, machine);
      ps.setString(3, checked.sender());
      ps.setString(4, target);
      ps.setString(5, event);
      ps.setString(6, Codec.map(checked.args()));
      ps.executeUpdate();
      try (ResultSet keys = ps.getGeneratedKeys()) {
        if (!keys.next()) {
          throw new SQLException("no sequence number returned for the new event");
        }
        seq = keys.getLong(1); // the identity column (PostgreSQL returns every column, seq first)
      }
    } catch (SQLException e) {
      throw new StatementFailure(sql, e);
    }
    notifyInstance(target);
    return seq;
  }

  /** Wakes {@code instance}'s listener when this transaction commits (PostgreSQL only). */
  private void notifyInstance(String instance) {
    if (dialect.canNotify() && !instance.isEmpty()) {
      findOne("SELECT pg_notify('" + EVENT_CHANNEL + "', ?)", (rs, ctx) -> true, instance);
    }
  }

  @Override
  public List<MachineEvent> pendingEvents(String instance, int limit) {
    if (limit <= 0) {
      return List.of();
    }
    // An event goes to whoever drives its machine now, whoever drove it when it was posted.
    return List.copyOf(list("SELECT e.seq, e.kind, e.machine, e.sender, e.event, e.args"
        + " FROM machine_events e WHERE e.taken_us IS NULL AND ("
        + "(e.kind = 'DEVICE' AND EXISTS (SELECT 1 FROM devices d"
        + " WHERE d.name = e.machine AND d.driver = ?))"
        + " OR (e.kind = 'REQUEST' AND EXISTS (SELECT 1 FROM requests r"
        + " WHERE r.id = e.machine AND r.server = ?)))"
        + " ORDER BY e.seq LIMIT ?", EVENT, instance, instance, limit));
  }

  @Override
  public boolean takeEvent(long seq, String outcome) {
    // Taken at most once: of two takers, the second waits for the first's row lock and then no
    // longer matches.
    if (update("UPDATE machine_events SET taken_us = " + now() + ", outcome = ?"
        + " WHERE seq = ? AND taken_us IS NULL", Objects.requireNonNullElse(outcome, ""), seq)
        != 1) {
      return false;
    }
    if (dialect.canNotify()) {
      findOne("SELECT sender FROM machine_events WHERE seq = ?", (rs, ctx) -> rs.getString(1),
          seq).ifPresent(this::notifyInstance);
    }
    return true;
  }

  @Override
  public Map<Long, String> eventOutcomes(Collection<Long> seqs) {
    List<Long> all = List.copyOf(new LinkedHashSet<>(seqs));
    Map<Long, String> out = new LinkedHashMap<>();
    for (int at = 0; at < all.size(); at += IDS_PER_STATEMENT) {
      List<Long> chunk = all.subList(at, Math.min(all.size(), at + IDS_PER_STATEMENT));
      for (Map.Entry<Long, String> e : list("SELECT seq, outcome FROM machine_events"
          + " WHERE taken_us IS NOT NULL AND seq IN ("
          + String.join(", ", Collections.nCopies(chunk.size(), "?")) + ") ORDER BY seq",
          (rs, ctx) -> Map.entry(rs.getLong(1), Objects.requireNonNullElse(rs.getString(2), "")),
          chunk.toArray())) {
        out.put(e.getKey(), e.getValue());
      }
    }
    return Collections.unmodifiableMap(out);
  }

  @Override
  public int pruneEvents(Instant before) {
    return update("DELETE FROM machine_events WHERE taken_us IS NOT NULL AND taken_us < ?",
        Codec.micros(Objects.requireNonNull(before, "before")));
  }
}
