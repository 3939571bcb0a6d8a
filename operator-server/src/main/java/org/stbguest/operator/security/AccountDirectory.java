package org.stbguest.operator.security;

import java.util.Optional;

/** Operator accounts kept in the database (implemented by the account feature); a disabled account is absent. */
public interface AccountDirectory {

    /** The account's password hash (in {@code {id}hash} form) and role, if the account exists and is enabled. */
    Optional<StoredAccount> find(String name);

    record StoredAccount(String name, String passwordHash, Role role) {
    }
}
