package org.mozpool.server.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.mozpool.server.ConfigException;
import org.mozpool.server.ServerConfig;

/**
 * The API's bearer tokens, read once at start-up from the environment variables and files the
 * config names, and looked up in constant time per token.
 */
public final class ApiAuth {

  /** What a caller may do. */
  public enum Role {
    /** CI systems: request, renew, return, read. */
    CLIENT,
    /** People running the lab: everything. */
    OPERATOR
  }

  /**
   * Someone the API knows.
   *
   * @param name the token's name (for the audit trail)
   * @param role what it may do
   */
  public record Caller(String name, Role role) {
    /** Whether this caller may do what {@code role} may. */
    public boolean may(Role needed) {
      return role == Role.OPERATOR || needed == Role.CLIENT;
    }
  }

  /** The caller of an API running with {@code auth: open}. */
  public static final Caller ANONYMOUS = new Caller("anonymous", Role.OPERATOR);

  private record Token(byte[] secret, Caller caller) {
  }

  private final boolean open;
  private final List<Token> tokens;

  private ApiAuth(boolean open, List<Token> tokens) {
    this.open = open;
    this.tokens = List.copyOf(tokens);
  }

  /**
   * The tokens of {@code auth}, secrets read from {@code env} or the files named (relative paths
   * against {@code base}).
   *
   * @throws ConfigException listing every token whose secret cannot be found
   */
  public static ApiAuth from(ServerConfig.Auth auth, Map<String, String> env, Path base) {
    List<String> problems = new ArrayList<>();
    List<Token> tokens = new ArrayList<>();
    for (ServerConfig.TokenEntry t : auth.tokens()) {
      String secret = null;
      if (t.tokenEnv() != null && !t.tokenEnv().isBlank()) {
        secret = env.get(t.tokenEnv());
        if (secret == null || secret.isBlank()) {
          problems.add("auth.tokens[" + t.name() + "]: environment variable " + t.tokenEnv()
              + " is not set");
        }
      } else if (t.tokenFile() != null && !t.tokenFile().isBlank()) {
        try {
          secret = Files.readAllLines(base.resolve(t.tokenFile())).stream().findFirst()
              .orElse("").strip();
          if (secret.isEmpty()) {
            problems.add("auth.tokens[" + t.name() + "]: token file " + t.tokenFile()
                + " is empty");
          }
        } catch (IOException e) {
          problems.add("auth.tokens[" + t.name() + "]: cannot read token file " + t.tokenFile()
              + ": " + e.getMessage());
        }
      } else {
        problems.add("auth.tokens[" + t.name() + "]: needs token_env or token_file");
      }
      Role role = ServerConfig.TokenEntry.OPERATOR.equals(t.role()) ? Role.OPERATOR
          : ServerConfig.TokenEntry.CLIENT.equals(t.role()) ? Role.CLIENT : null;
      if (role == null) {
        problems.add("auth.tokens[" + t.name() + "]: role must be client or operator, got '"
            + t.role() + "'");
      }
      if (secret != null && !secret.isBlank() && role != null) {
        tokens.add(new Token(secret.strip().getBytes(StandardCharsets.UTF_8),
            new Caller(t.name(), role)));
      }
    }
    if (!problems.isEmpty()) {
      throw new ConfigException(problems);
    }
    return new ApiAuth(auth.open(), tokens);
  }

  /** Whether the API runs without authentication ({@code auth: open}). */
  public boolean open() {
    return open;
  }

  /**
   * Who presents the bearer token of an {@code Authorization} header ({@code Bearer <token>},
   * the scheme in any case); as {@link #caller(String)} for a missing header or another scheme.
   */
  public Optional<Caller> callerOfHeader(String authorization) {
    String token = authorization != null && authorization.regionMatches(true, 0, "Bearer ", 0, 7)
        ? authorization.substring(7).strip() : null;
    return caller(token);
  }

  /**
   * Who presents {@code token} (the bearer token, without {@code Bearer }): {@link #ANONYMOUS}
   * when the API is open, empty when the token is unknown or missing.
   */
  public Optional<Caller> caller(String token) {
    if (open) {
      return Optional.of(ANONYMOUS);
    }
    if (token == null || token.isEmpty()) {
      return Optional.empty();
    }
    byte[] presented = token.getBytes(StandardCharsets.UTF_8);
    Caller found = null;
    for (Token t : tokens) { // every token compared, in constant time each
      if (MessageDigest.isEqual(t.secret(), presented) && found == null) {
        found = t.caller();
      }
    }
    return Optional.ofNullable(found);
  }
}
