package org.mozpool.core.internal;

import java.time.Duration;
import java.util.Map;

/**
 * One state of a persisted state machine: its timeout and what it does on entry, on an event and
 * on timeout. Implementations are stateless (all state lives in the {@link Step}) and thread safe.
 *
 * <p>Unsupported: public only for Mozpool's own modules.
 */
public interface MachineState {

  /** The documented state name. */
  String name();

  /** How long the machine may stay before {@link #onTimeout}; {@code null} for ever. */
  Duration timeout();

  /**
   * How long the machine may stay in this state when {@code step} enters it; {@code null} for
   * ever. The engine asks this on every entry, so a machine whose timeouts depend on the machine
   * (a device's hardware type) reads them from the step. The default is {@link #timeout()}.
   */
  default Duration timeout(Step step) {
    return timeout();
  }

  /** Runs when the machine enters (or re-enters) this state. */
  default void onEntry(Step step) {}

  /** Handles an event; the default ignores it with a log line. */
  default void onEvent(Step step, String event, Map<String, Object> args) {
    step.log("ignored event " + event + " in state " + name());
  }

  /** Handles the state's timeout; the default does nothing (and the deadline is cleared). */
  default void onTimeout(Step step) {}
}
