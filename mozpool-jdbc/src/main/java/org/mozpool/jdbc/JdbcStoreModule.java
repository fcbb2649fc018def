package org.mozpool.jdbc;

import com.google.inject.AbstractModule;
import com.google.inject.Provides;
import com.google.inject.Singleton;
import com.google.inject.multibindings.OptionalBinder;
import java.nio.file.Path;
import java.util.Objects;
import java.util.function.Supplier;
import org.mozpool.spi.PoolStore;

/**
 * Guice module of {@code mozpool-jdbc}: binds the pool's {@link PoolStore} to a {@link
 * JdbcPoolStore} (one per injector), and {@link JdbcPoolStore} itself for code that wants its
 * JDBC-specific methods. The database is chosen explicitly, by the factory method:
 *
 * <pre>{@code
 * Guice.createInjector(new MozpoolModule(), new LifeguardModule(), bmm,
 *     JdbcStoreModule.forUrl("jdbc:postgresql://db/mozpool", "mozpool", password));
 * }</pre>
 *
 * <p>The store is made when the pool is first provisioned, started by the pool, and closed by
 * {@code PoolLifecycle.close()}. Replace it (a test's in-memory store, say) by setting the
 * {@code PoolStore} binding of an {@link OptionalBinder} inside {@code Modules.override}; the
 * module then makes no database connection at all.
 */
public final class JdbcStoreModule extends AbstractModule {
  private final Supplier<JdbcPoolStore> store;
  private final String description;

  private JdbcStoreModule(Supplier<JdbcPoolStore> store, String description) {
    this.store = store;
    this.description = description;
  }

  /**
   * A store in the H2 database file {@code file} (without {@code .mv.db}).
   *
   * @throws NullPointerException if {@code file} is null
   */
  public static JdbcStoreModule h2(Path file) {
    return h2(file, JdbcPoolStore.Options.defaults());
  }

  /**
   * A store in the H2 database file {@code file}, with {@code options}.
   *
   * @throws NullPointerException if either is null
   */
  public static JdbcStoreModule h2(Path file, JdbcPoolStore.Options options) {
    Objects.requireNonNull(file, "file");
    Objects.requireNonNull(options, "options");
    return new JdbcStoreModule(() -> JdbcPoolStore.h2(file, options), "H2 at " + file);
  }

  /**
   * A store in the database at {@code jdbcUrl} ({@code jdbc:h2:}, {@code jdbc:postgresql:},
   * {@code jdbc:mariadb:} or {@code jdbc:mysql:}).
   *
   * @throws IllegalArgumentException for any other kind of URL, at once
   */
  public static JdbcStoreModule forUrl(String jdbcUrl, String user, String password) {
    return forUrl(jdbcUrl, user, password, JdbcPoolStore.Options.defaults());
  }

  /**
   * A store in the database at {@code jdbcUrl}, with {@code options}.
   *
   * @throws IllegalArgumentException for an unsupported kind of URL, at once
   */
  public static JdbcStoreModule forUrl(String jdbcUrl, String user, String password,
      JdbcPoolStore.Options options) {
    Objects.requireNonNull(options, "options");
    Dialect.of(Objects.requireNonNull(jdbcUrl, "jdbcUrl")); // refuse a bad URL at configuration
    return new JdbcStoreModule(() -> JdbcPoolStore.forUrl(jdbcUrl, user, password, options),
        JdbcPoolStore.redact(jdbcUrl));
  }

  @Override
  protected void configure() {
    OptionalBinder.newOptionalBinder(binder(), PoolStore.class).setBinding()
        .to(JdbcPoolStore.class);
  }

  @Provides
  @Singleton
  JdbcPoolStore jdbcPoolStore() {
    return store.get();
  }

  @Override
  public String toString() {
    return "JdbcStoreModule(" + description + ")";
  }
}
