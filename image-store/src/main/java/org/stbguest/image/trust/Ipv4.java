package org.stbguest.image.trust;

/** IPv4 literals without {@code java.net}: the trust core never resolves names. */
final class Ipv4 {

    private Ipv4() {
    }

    /** Parses a dotted-quad multicast address (224.0.0.0/4). */
    static byte[] parseMulticast(String dotted) {
        String[] parts = dotted == null ? new String[0] : dotted.split("\\.", -1);
        if (parts.length != 4) {
            throw new IllegalArgumentException("not an IPv4 literal: " + dotted);
        }
        byte[] b = new byte[4];
        for (int i = 0; i < 4; i++) {
            if (parts[i].isEmpty() || parts[i].length() > 3 || !parts[i].chars().allMatch(Character::isDigit)) {
                throw new IllegalArgumentException("not an IPv4 literal: " + dotted);
            }
            int v = Integer.parseInt(parts[i]);
            if (v > 255) {
                throw new IllegalArgumentException("not an IPv4 literal: " + dotted);
            }
            b[i] = (byte) v;
        }
        if (!isMulticast(b)) {
            throw new IllegalArgumentException(dotted + " is not a multicast address");
        }
        return b;
    }

    static boolean isMulticast(byte[] b) {
        int first = b[0] & 0xFF;
        return first >= 224 && first <= 239;
    }

    static String format(byte[] b) {
        return (b[0] & 0xFF) + "." + (b[1] & 0xFF) + "." + (b[2] & 0xFF) + "." + (b[3] & 0xFF);
    }
}
