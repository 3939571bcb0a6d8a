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

    /**
     * Run {@code image} for {@code role}: used both to activate a new image and to roll back to the previous one.
     * With a {@code cohort}, only the boxes in it are meant (a wave of a rollout); without one, every box.
     */
    record Activate(String role, org.stbguest.image.Digest image, Cohort cohort) implements Statement {
        public Activate {
            if (role == null || role.isBlank() || image == null) {
                throw Bytes.malformed("activate needs a role and an image");
            }
        }

        /** An activation meant for every box of the role. */
        public Activate(String role, org.stbguest.image.Digest image) {
            this(role, image, null);
        }

        /** Whether the box with this device id is meant. */
        public boolean includes(java.util.UUID deviceId) {
            return cohort == null || cohort.includes(deviceId);
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

    /**
     * The boxes of one wave, chosen by a stable hash: a box belongs when the first four bytes of
     * SHA-256(seed as 8 bytes, device id as 16 bytes), read as an unsigned number, are below {@code bound}. The seed is
     * the rollout's id, so a box's place in the order never changes and a re-run of the plan picks the same boxes;
     * a later wave of the same rollout has a higher bound and so contains every earlier one. A bound of 2^32 takes
     * every box. The box computes its own membership from the signed statement: no unsigned list says who is in.
     */
    record Cohort(long seed, long bound) {
        /** The bound that takes every box. */
        public static final long ALL = 1L << 32;

        public Cohort {
            if (bound < 0 || bound > ALL) {
                throw Bytes.malformed("a cohort's bound must be in 0..2^32, got " + bound);
            }
        }

        public boolean includes(java.util.UUID deviceId) {
            return rank(seed, deviceId) < bound;
        }

        /** A device's place in the order of a rollout with this seed: 0..2^32-1. */
        public static long rank(long seed, java.util.UUID deviceId) {
            byte[] in = java.nio.ByteBuffer.allocate(24).putLong(seed).putLong(deviceId.getMostSignificantBits())
                    .putLong(deviceId.getLeastSignificantBits()).array();
            byte[] d = org.stbguest.image.Digest.sha256(in).bytes();
            return ((d[0] & 0xFFL) << 24) | ((d[1] & 0xFFL) << 16) | ((d[2] & 0xFFL) << 8) | (d[3] & 0xFFL);
        }
    }
}
