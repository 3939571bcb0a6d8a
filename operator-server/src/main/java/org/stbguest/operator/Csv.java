package org.stbguest.operator;

import java.util.ArrayList;
import java.util.List;

/** A small RFC 4180 reader: comma-separated fields, double quotes around fields with commas, quotes or newlines. */
public final class Csv {

    private Csv() {
    }

    /** The rows of {@code text} (at most {@code maxRows}; more are not read), blank lines skipped. */
    public static List<List<String>> parse(String text, int maxRows) {
        List<List<String>> rows = new ArrayList<>();
        List<String> row = new ArrayList<>();
        StringBuilder field = new StringBuilder();
        boolean quoted = false;
        boolean any = false;
        for (int i = 0; i < text.length() && rows.size() < maxRows; i++) {
            char c = text.charAt(i);
            if (quoted) {
                if (c == '"' && i + 1 < text.length() && text.charAt(i + 1) == '"') {
                    field.append('"');
                    i++;
                } else if (c == '"') {
                    quoted = false;
                } else {
                    field.append(c);
                }
            } else if (c == '"') {
                quoted = true;
                any = true;
            } else if (c == ',') {
                row.add(field.toString());
                field.setLength(0);
                any = true;
            } else if (c == '\n' || c == '\r') {
                if (c == '\r' && i + 1 < text.length() && text.charAt(i + 1) == '\n') {
                    i++;
                }
                if (any || field.length() > 0) {
                    row.add(field.toString());
                    rows.add(row);
                }
                row = new ArrayList<>();
                field.setLength(0);
                any = false;
            } else {
                field.append(c);
                any = true;
            }
        }
        if ((any || field.length() > 0) && rows.size() < maxRows) {
            row.add(field.toString());
            rows.add(row);
        }
        return rows;
    }
}
