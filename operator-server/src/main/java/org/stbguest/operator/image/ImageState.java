package org.stbguest.operator.image;

/** Lifecycle of a stored image. Only released images can be rolled out. */
public enum ImageState {
    DRAFT, RELEASED, REVOKED
}
