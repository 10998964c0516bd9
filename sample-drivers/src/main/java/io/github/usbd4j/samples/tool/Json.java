package io.github.usbd4j.samples.tool;

import java.util.Collection;
import java.util.Map;

/**
 * Writes the JSON of {@code usbd list --json} from maps (insertion order kept), collections, strings,
 * numbers, booleans and {@code null}; indented two spaces.
 */
final class Json {
    private Json() {}

    static String write(Object value) {
        StringBuilder s = new StringBuilder();
        write(s, value, "");
        return s.append('\n').toString();
    }

    private static void write(StringBuilder s, Object v, String indent) {
        if (v == null) {
            s.append("null");
        } else if (v instanceof String str) {
            string(s, str);
        } else if (v instanceof Number || v instanceof Boolean) {
            s.append(v);
        } else if (v instanceof Map<?, ?> m) {
            if (m.isEmpty()) {
                s.append("{}");
                return;
            }
            s.append("{\n");
            String inner = indent + "  ";
            int i = 0;
            for (Map.Entry<?, ?> e : m.entrySet()) {
                s.append(inner);
                string(s, String.valueOf(e.getKey()));
                s.append(": ");
                write(s, e.getValue(), inner);
                s.append(++i < m.size() ? ",\n" : "\n");
            }
            s.append(indent).append('}');
        } else if (v instanceof Collection<?> c) {
            if (c.isEmpty()) {
                s.append("[]");
                return;
            }
            s.append("[\n");
            String inner = indent + "  ";
            int i = 0;
            for (Object o : c) {
                s.append(inner);
                write(s, o, inner);
                s.append(++i < c.size() ? ",\n" : "\n");
            }
            s.append(indent).append(']');
        } else {
            string(s, v.toString());
        }
    }

    private static void string(StringBuilder s, String str) {
        s.append('"');
        for (int i = 0; i < str.length(); i++) {
            char c = str.charAt(i);
            switch (c) {
                case '"' -> s.append("\\\"");
                case '\\' -> s.append("\\\\");
                case '\n' -> s.append("\\n");
                case '\r' -> s.append("\\r");
                case '\t' -> s.append("\\t");
                default -> {
                    if (c < 0x20) {
                        s.append(String.format("\\u%04x", (int) c));
                    } else {
                        s.append(c);
                    }
                }
            }
        }
        s.append('"');
    }
}
