package org.stbguest.operator.security;

/** The integration (a call-center system) behind a webhook request, authenticated by its own token. */
public record IntegrationPrincipal(long id, String name) {

    /** How it appears in the audit log. */
    public String actor() {
        return "integration/" + name;
    }
}
