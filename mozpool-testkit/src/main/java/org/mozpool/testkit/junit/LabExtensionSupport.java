package org.mozpool.testkit.junit;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolutionException;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.junit.platform.commons.support.AnnotationSupport;
import org.mozpool.DeviceStates;
import org.mozpool.Inventory;
import org.mozpool.Pool;
import org.mozpool.RequestView;
import org.mozpool.spi.LifeguardContext;

/**
 * What the lab extensions share: one lab per test or per class, kept in JUnit's store so that it
 * is found (and closed) whichever way the extension was registered; the parameters every lab
 * offers; and the open-lease check after each test.
 */
abstract class LabExtensionSupport<L extends AutoCloseable> implements BeforeAllCallback,
    AfterAllCallback, BeforeEachCallback, AfterEachCallback, ParameterResolver {
  private static final String LAB = "lab";
  private static final String OPEN_BEFORE = "open-before";

  private boolean perClass;
  private boolean allowOpenLeases;
  private volatile L current;

  /** Builds the lab, with its pool running and its devices settled as configured. */
  abstract L open();

  /** The lab's pool. */
  abstract Pool poolOf(L lab);

  /** The lab's own parameter types, beside {@link Pool}, {@link Inventory} and {@link Clock}. */
  abstract boolean supportsOwn(Class<?> type);

  /** The lab's own parameter of {@code type}. */
  abstract Object resolveOwn(Class<?> type, L lab);

  /** The namespace of this kind of lab in JUnit's store. */
  private ExtensionContext.Namespace namespace() {
    return ExtensionContext.Namespace.create(getClass());
  }

  final void setPerClass(boolean perClass) {
    this.perClass = perClass;
  }

  final void setAllowOpenLeases(boolean allow) {
    this.allowOpenLeases = allow;
  }

  /** Waits in real time until no device is in a transient state, for at most {@code max}. */
  static boolean settle(Pool pool, Duration max) {
    long end = System.nanoTime() + max.toNanos();
    while (true) {
      boolean settled = pool.inventory().deviceStateCounts().entrySet().stream()
          .allMatch(e -> e.getValue() == 0 || isSteady(e.getKey()));
      if (settled) {
        return true;
      }
      if (System.nanoTime() - end > 0) {
        return false;
      }
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      }
    }
  }

  private static boolean isSteady(String state) {
    return state.equals(DeviceStates.READY) || DeviceStates.isFailed(state)
        || state.equals(DeviceStates.MAINTENANCE_MODE)
        || state.equals(DeviceStates.TROUBLESHOOTING) || state.equals(DeviceStates.LOCKED_OUT);
  }

  /** Closes a lab once, whoever asks first: the extension or JUnit closing its store. */
  private final class Holder implements AutoCloseable {
    final L lab;
    private boolean closed;

    Holder(L lab) {
      this.lab = lab;
    }

    @Override
    public synchronized void close() throws Exception {
      if (!closed) {
        closed = true;
        lab.close();
      }
    }
  }

  @Override
  public void beforeAll(ExtensionContext context) {
    if (perClass) {
      context.getStore(namespace()).put(LAB, new Holder(open()));
    }
  }

  @Override
  public void afterAll(ExtensionContext context) throws Exception {
    Holder holder = context.getStore(namespace()).remove(LAB, Holder.class);
    if (holder != null) {
      holder.close();
    }
    current = null;
  }

  @Override
  public void beforeEach(ExtensionContext context) {
    ExtensionContext.Store store;
    if (perClass) {
      // The class's lab: made by beforeAll, or here when the extension sits in an instance field
      // and JUnit calls no beforeAll (it is then closed with the class's store).
      store = classContext(context).getStore(namespace());
    } else {
      store = context.getStore(namespace());
    }
    Holder holder = store.getOrComputeIfAbsent(LAB, k -> new Holder(open()), Holder.class);
    current = holder.lab;
    context.getStore(namespace()).put(OPEN_BEFORE, openRequests(poolOf(holder.lab)).stream()
        .map(RequestView::id).collect(Collectors.toSet()));
  }

  @Override
  public void afterEach(ExtensionContext context) throws Exception {
    ExtensionContext.Store store = context.getStore(namespace());
    AssertionError leak = null;
    try {
      L lab = labOf(context).orElse(null);
      if (lab != null && !allowsOpenLeases(context)) {
        @SuppressWarnings("unchecked")
        Set<String> before = store.getOrDefault(OPEN_BEFORE, Set.class, Set.of());
        List<RequestView> left = new ArrayList<>(openRequests(poolOf(lab)));
        left.removeIf(r -> before.contains(r.id()));
        if (!left.isEmpty()) {
          leak = new AssertionError(describe(left));
          if (perClass) {
            returnAll(poolOf(lab), left); // so that the next test starts with every device free
          }
        }
      }
    } finally {
      Holder own = store.remove(LAB, Holder.class);
      if (own != null) {
        own.close();
        current = null;
      }
    }
    if (leak != null) {
      throw leak;
    }
  }

  private boolean allowsOpenLeases(ExtensionContext context) {
    return allowOpenLeases
        || AnnotationSupport.isAnnotated(context.getElement(), AllowOpenLeases.class)
        || context.getTestClass().map(c -> AnnotationSupport.isAnnotated(c,
            AllowOpenLeases.class)).orElse(false);
  }

  private static List<RequestView> openRequests(Pool pool) {
    return pool.requests().stream().filter(r -> !r.isTerminal()).toList();
  }

  private static String describe(List<RequestView> left) {
    StringBuilder b = new StringBuilder("the test left ").append(left.size())
        .append(left.size() == 1 ? " lease open: " : " leases open: ");
    for (int i = 0; i < left.size(); i++) {
      RequestView r = left.get(i);
      b.append(i == 0 ? "" : ", ").append("request ").append(r.id()).append(" (")
          .append(r.state()).append(r.device().map(d -> " on " + d).orElse(", no device yet"))
          .append(")");
    }
    return b.append("; close each Lease (try-with-resources), or allow this with"
        + " allowOpenLeases() or @AllowOpenLeases").toString();
  }

  /** Returns leaked leases through their tokens, which only the pool's store knows. */
  private static void returnAll(Pool pool, List<RequestView> left) {
    if (!(pool instanceof LifeguardContext context)) {
      return;
    }
    for (RequestView r : left) {
      context.store().inTransaction(tx -> tx.request(r.id())).ifPresent(record -> {
        try {
          pool.lease(r.id(), record.token()).close();
        } catch (RuntimeException e) {
          // it ended meanwhile: nothing to return
        }
      });
    }
  }

  private static ExtensionContext classContext(ExtensionContext context) {
    ExtensionContext c = context;
    while (c.getTestMethod().isPresent() && c.getParent().isPresent()) {
      c = c.getParent().get();
    }
    return c;
  }

  /** The lab of the test or class {@code context} belongs to, if one is open. */
  private Optional<L> labOf(ExtensionContext context) {
    Holder h = context.getStore(namespace()).get(LAB, Holder.class);
    if (h == null) {
      h = classContext(context).getStore(namespace()).get(LAB, Holder.class);
    }
    return Optional.ofNullable(h).map(x -> x.lab);
  }

  /** The lab of the running test. @throws IllegalStateException outside a test */
  final L currentLab() {
    L lab = current;
    if (lab == null) {
      throw new IllegalStateException("the lab exists only while a test runs");
    }
    return lab;
  }

  @Override
  public boolean supportsParameter(ParameterContext p, ExtensionContext e) {
    Class<?> t = p.getParameter().getType();
    return t == Pool.class || t == Inventory.class || t == Clock.class || supportsOwn(t);
  }

  @Override
  public Object resolveParameter(ParameterContext p, ExtensionContext e) {
    Class<?> t = p.getParameter().getType();
    L lab = labOf(e).orElseThrow(() -> new ParameterResolutionException("no lab is open for "
        + e.getDisplayName() + ": a per-test lab exists only in test methods and @BeforeEach"
        + "/@AfterEach; use perClass() for @BeforeAll"));
    Pool pool = poolOf(lab);
    if (t == Pool.class) {
      return pool;
    } else if (t == Inventory.class) {
      return pool.inventory();
    } else if (t == Clock.class) {
      return pool.clock();
    }
    return resolveOwn(t, lab);
  }
}
