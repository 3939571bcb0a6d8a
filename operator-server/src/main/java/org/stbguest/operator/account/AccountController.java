package org.stbguest.operator.account;

import java.util.List;
import org.springframework.http.HttpStatus;
import org.springframework.security.core.Authentication;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;
import org.stbguest.operator.security.ApiTokenPrincipal;
import org.stbguest.operator.security.Role;

/** Accounts (admins only) and API tokens (everyone's own; an admin's reach all). */
@RestController
class AccountController {

    record CreateAccount(String name, String password, String role) {
    }

    record CreateToken(String name, String role, Integer expiresInDays) {
    }

    record NewPassword(String currentPassword, String password) {
    }

    record Me(String name, String role, boolean token) {
    }

    private final AccountService accounts;
    private final ApiTokenService tokens;

    AccountController(AccountService accounts, ApiTokenService tokens) {
        this.accounts = accounts;
        this.tokens = tokens;
    }

    @PostMapping("/api/accounts")
    @ResponseStatus(HttpStatus.CREATED)
    AccountService.AccountView createAccount(@RequestBody CreateAccount req, Authentication who) {
        return accounts.create(req.name(), req.password(), req.role(), who.getName());
    }

    @GetMapping("/api/accounts")
    List<AccountService.AccountView> accounts() {
        return accounts.list();
    }

    /** Disables an account and revokes its tokens: its next request fails. */
    @PostMapping("/api/accounts/{name}/disable")
    AccountService.AccountView disable(@PathVariable String name, Authentication who) {
        return accounts.disable(name, who.getName());
    }

    /** An admin sets a database account's password. */
    @PostMapping("/api/accounts/{name}/password")
    @ResponseStatus(HttpStatus.NO_CONTENT)
    void resetPassword(@PathVariable String name, @RequestBody NewPassword req, Authentication who) {
        accounts.setPassword(name, null, req.password(), who.getName());
    }

    /** Who the caller is, and with what role. */
    @GetMapping("/api/me")
    Me me(Authentication who) {
        boolean token = who.getPrincipal() instanceof ApiTokenPrincipal;
        return new Me(token ? ((ApiTokenPrincipal) who.getPrincipal()).owner() : who.getName(),
                Role.of(who).map(Role::name).orElse(null), token);
    }

    /** A person changes their own password, giving the current one (not with a token). */
    @PostMapping("/api/me/password")
    @ResponseStatus(HttpStatus.NO_CONTENT)
    void changePassword(@RequestBody NewPassword req, Authentication who) {
        if (who.getPrincipal() instanceof ApiTokenPrincipal) {
            throw org.stbguest.operator.DomainException.forbidden("password-needs-login",
                    "a password is changed after logging in with it, not with a token");
        }
        if (req.currentPassword() == null) {
            throw org.stbguest.operator.DomainException.invalid("current-password-required",
                    "give the current password");
        }
        accounts.setPassword(who.getName(), req.currentPassword(), req.password(), who.getName());
    }

    /** Creates a token for the caller's account; the answer carries the token, shown this once. */
    @PostMapping("/api/tokens")
    @ResponseStatus(HttpStatus.CREATED)
    ApiTokenService.NewToken createToken(@RequestBody CreateToken req, Authentication who) {
        return tokens.create(req.name(), req.role(), req.expiresInDays(), who);
    }

    @GetMapping("/api/tokens")
    List<ApiTokenService.TokenView> tokens(Authentication who) {
        return tokens.list(who);
    }

    @PostMapping("/api/tokens/{id}/revoke")
    ApiTokenService.TokenView revoke(@PathVariable long id, Authentication who) {
        return tokens.revoke(id, who);
    }
}
