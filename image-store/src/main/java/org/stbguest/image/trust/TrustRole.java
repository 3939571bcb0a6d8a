package org.stbguest.image.trust;

/** The three kinds of key in a key set. */
public enum TrustRole {
    /** Offline keys that sign key sets (and so every rotation). */
    ROOT,
    /** Keys that sign image manifests. */
    RELEASE,
    /** The server's online key that signs announcements and directives. */
    DIRECTOR
}
