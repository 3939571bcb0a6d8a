package org.stbguest.operator.deviceapi;

/** Parses one HTTP byte range (RFC 7233): {@code bytes=first-last}, {@code bytes=first-} or {@code bytes=-suffix}. */
final class ByteRange {

    private ByteRange() {
    }

    /**
     * @return {offset, length} clipped to the resource, or null when the range is unsatisfiable or malformed (several
     *         ranges included: this server serves one range per request)
     */
    static long[] parse(String header, long size) {
        if (header == null || !header.startsWith("bytes=") || header.indexOf(',') >= 0) {
            return null;
        }
        String spec = header.substring(6).trim();
        int dash = spec.indexOf('-');
        if (dash < 0) {
            return null;
        }
        try {
            String a = spec.substring(0, dash).trim();
            String b = spec.substring(dash + 1).trim();
            if (a.isEmpty()) {
                long suffix = Long.parseLong(b);
                if (suffix <= 0 || size == 0) {
                    return null;
                }
                long len = Math.min(suffix, size);
                return new long[] {size - len, len};
            }
            long first = Long.parseLong(a);
            long last = b.isEmpty() ? size - 1 : Math.min(Long.parseLong(b), size - 1);
            if (first < 0 || first >= size || last < first) {
                return null;
            }
            return new long[] {first, last - first + 1};
        } catch (NumberFormatException e) {
            return null;
        }
    }
}
