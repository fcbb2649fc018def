package org.mozpool.lifeguard;

import com.google.inject.AbstractModule;
import com.google.inject.Key;
import com.google.inject.Provides;
import com.google.inject.multibindings.OptionalBinder;
import com.google.inject.name.Named;
import com.google.inject.name.Names;
import java.util.Objects;
import java.util.Optional;
import org.mozpool.spi.LifeguardFactory;

/**
 * Guice module of {@code mozpool-lifeguard}: binds the pool's {@link LifeguardFactory} to the
 * {@linkplain StandardLifeguard standard Lifeguard} with the bound {@link LifeguardPolicy}
 * (default {@link LifeguardPolicy#defaults()}). Install it beside {@code MozpoolModule}; the
 * standard Lifeguard needs every hardware driver, which {@code BmmModule} binds.
 *
 * <p>Both keys are {@link OptionalBinder} keys, so an application replaces either inside {@code
 * Modules.override(...).with(...)}:
 *
 * <pre>{@code
 * Modules.override(new MozpoolModule(), new LifeguardModule(), bmm).with(new AbstractModule() {
 *   protected void configure() {
 *     OptionalBinder.newOptionalBinder(binder(), LifeguardPolicy.class).setBinding()
 *         .toInstance(LifeguardPolicy.defaults().withQuarantine(3, Duration.ofDays(1)));
 *   }
 * })
 * }</pre>
 *
 * <p>{@code new LifeguardModule(policy)} is the short way to the same when nothing else is
 * overridden.
 *
 * <p>Policies by hardware type: {@code new LifeguardModule(policies)}, or a binding of
 * {@link LifeguardPolicies} (also an {@link OptionalBinder} key, without a default). When
 * {@code LifeguardPolicies} is bound, it alone decides, its default policy included; the bound
 * {@code LifeguardPolicy} is then not used.
 */
public final class LifeguardModule extends AbstractModule {
  private static final Key<LifeguardFactory> STANDARD =
      Key.get(LifeguardFactory.class, Names.named("mozpool.standard-lifeguard"));

  private final LifeguardPolicy policy;
  private final LifeguardPolicies policies;

  /** The standard Lifeguard with the default policy (unless a binding overrides it). */
  public LifeguardModule() {
    this(LifeguardPolicy.defaults());
  }

  /**
   * The standard Lifeguard with {@code policy} as the default policy.
   *
   * @throws NullPointerException if {@code policy} is null
   */
  public LifeguardModule(LifeguardPolicy policy) {
    this.policy = Objects.requireNonNull(policy, "policy");
    this.policies = null;
  }

  /**
   * The standard Lifeguard with {@code policies}: each device follows its hardware type's policy.
   *
   * @throws NullPointerException if {@code policies} is null
   */
  public LifeguardModule(LifeguardPolicies policies) {
    this.policies = Objects.requireNonNull(policies, "policies");
    this.policy = policies.defaultPolicy();
  }

  @Override
  protected void configure() {
    OptionalBinder.newOptionalBinder(binder(), LifeguardPolicy.class).setDefault()
        .toInstance(policy);
    OptionalBinder<LifeguardPolicies> byType =
        OptionalBinder.newOptionalBinder(binder(), LifeguardPolicies.class);
    if (policies != null) {
      byType.setDefault().toInstance(policies);
    }
    OptionalBinder.newOptionalBinder(binder(), LifeguardFactory.class).setBinding().to(STANDARD);
  }

  @Provides
  @Named("mozpool.standard-lifeguard")
  LifeguardFactory standardLifeguard(LifeguardPolicy policy,
      Optional<LifeguardPolicies> policies) {
    return StandardLifeguard.factory(policies.orElseGet(() -> LifeguardPolicies.of(policy)));
  }
}
