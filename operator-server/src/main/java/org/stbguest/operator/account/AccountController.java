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

/** Accounts (admins only) and API tokens (everyone's own; an admin's reach all). */
@RestController
class AccountController {

    record CreateAccount(String name, String password, String role) {
    }

    record CreateToken(String name, String role, Integer expiresInDays) {
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
