package org.stbguest.image.trust;

/**
 * What the director key says to boxes: run this image, raise the security floor, this transmission is on the air.
 * A closed set; switch on {@link #kind()} exhaustively.
 */
public sealed interface Statement permits Statement.Activate, Statement.Finalize, Statement.Announce {

    /** The statement kinds, one per permitted record. */
    enum Kind { ACTIVATE, FINALIZE, ANNOUNCE }

    Kind kind();

    /**
     * Sequence numbers are tracked per stream: each role's activate statements, each role's finalize statements, and
     * each transmission's announcements.
     */
    String stream();

    /** The key under which a box tracks this statement's sequence numbers: kind and stream. */
    default String sequenceKey() {
        return kind() + ":" + stream();
    }

    /** Run {@code image} for {@code role}: used both to activate a new image and to roll back to the previous one. */
    record Activate(String role, org.stbguest.image.Digest image) implements Statement {
        public Activate {
            if (role == null || role.isBlank() || image == null) {
                throw Bytes.malformed("activate needs a role and an image");
            }
        }

        @Override
        public Kind kind() {
            return Kind.ACTIVATE;
        }

        @Override
        public String stream() {
            return "role:" + role;
        }
    }

    /** The rollout of {@code role} is final: never again accept an image below {@code securityFloor}. */
    record Finalize(String role, long securityFloor) implements Statement {
        public Finalize {
            if (role == null || role.isBlank() || securityFloor < 0 || securityFloor > 0xFFFFFFFFL) {
                throw Bytes.malformed("finalize needs a role and a floor in 0..2^32-1");
            }
        }

        @Override
        public Kind kind() {
            return Kind.FINALIZE;
        }

        @Override
        public String stream() {
            return "role:" + role;
        }
    }

    /** A transmission is on the air: where and how to receive the image with this root digest. */
    record Announce(long transmissionId, org.stbguest.image.Digest rootDigest, String dataGroup, int dataPort,
                    long imageSize, int symbolSize) implements Statement {
        public Announce {
            try {
                Ipv4.parseMulticast(dataGroup);
            } catch (IllegalArgumentException e) {
                throw Bytes.malformed(e.getMessage());
            }
            if (rootDigest == null || dataPort < 1 || dataPort > 65535 || imageSize < 0
                    || symbolSize < 1 || symbolSize > 65535) {
                throw Bytes.malformed("announce fields out of range");
            }
        }

        @Override
        public Kind kind() {
            return Kind.ANNOUNCE;
        }

        /** Per transmission: announcements of two transmissions on the air at once are not replays of each other. */
        @Override
        public String stream() {
            return "announce:" + transmissionId;
        }
    }
}
