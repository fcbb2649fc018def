package org.mozpool.jdbc;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Wraps JDBC connections to record each statement a client executes, in order: one entry per
 * execution, which is one round trip to a server. Records prepared statements only, which is
 * all the store uses.
 */
final class StatementLog {
  private static final Set<String> EXECUTIONS =
      Set.of("execute", "executeQuery", "executeUpdate", "executeLargeUpdate");
  private final List<String> executed = new CopyOnWriteArrayList<>();

  /** {@code connection}, recording what its prepared statements execute. */
  Connection wrap(Connection connection) {
    return proxy(Connection.class, (method, args) -> {
      Object result = invoke(connection, method, args);
      return method.getName().equals("prepareStatement") && result instanceof PreparedStatement ps
          ? recording(ps, (String) args[0]) : result;
    });
  }

  private PreparedStatement recording(PreparedStatement statement, String sql) {
    return proxy(PreparedStatement.class, (method, args) -> {
      // Recorded before it runs: a statement the server refuses made its round trip too.
      if (EXECUTIONS.contains(method.getName())) {
        executed.add(sql);
      }
      return invoke(statement, method, args);
    });
  }

  /** The statements executed since the last {@link #clear()}, oldest first. */
  List<String> executed() {
    return List.copyOf(executed);
  }

  void clear() {
    executed.clear();
  }

  private interface Call {
    Object handle(Method method, Object[] args) throws Throwable;
  }

  private static Object invoke(Object target, Method method, Object[] args) throws Throwable {
    try {
      return method.invoke(target, args);
    } catch (InvocationTargetException e) {
      throw e.getCause();
    }
  }

  private static <T> T proxy(Class<T> type, Call call) {
    InvocationHandler handler = (p, method, args) -> call.handle(method, args);
    return type.cast(Proxy.newProxyInstance(StatementLog.class.getClassLoader(),
        new Class<?>[] {type}, handler));
  }
}
