package io.github.usbd4j.internal.devmgr;

import io.github.usbd4j.ce.ClientRegistryKey;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The device manager's part of {@code HKEY_LOCAL_MACHINE}: keys by path, case-insensitive as in CE, each
 * holding {@code REG_DWORD} and {@code REG_SZ} values with case-insensitive names.
 */
final class Registry {
    private final Map<String, Key> keys = new ConcurrentHashMap<>();

    /**
     * The path in canonical form: backslash-separated, no empty parts, lower case; {@code null} for a path
     * with no part.
     */
    static String canonical(String path) {
        if (path == null) {
            return null;
        }
        StringBuilder b = new StringBuilder();
        for (String part : path.split("\\\\")) {
            if (!part.isEmpty()) {
                if (b.length() > 0) {
                    b.append('\\');
                }
                b.append(part.toLowerCase(Locale.ROOT));
            }
        }
        return b.length() == 0 ? null : b.toString();
    }

    /** An existing key, or {@code null}. */
    Key open(String canonicalPath) {
        return keys.get(canonicalPath);
    }

    /** The key, created if absent. */
    Key create(String canonicalPath) {
        return keys.computeIfAbsent(canonicalPath, p -> new Key());
    }

    /** Deletes a key and its values. */
    void delete(String canonicalPath) {
        keys.remove(canonicalPath);
    }

    /** One key: {@link ClientRegistryKey} over a map guarded by itself. */
    static final class Key implements ClientRegistryKey {
        private final Map<String, Object> values = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);

        @Override
        public synchronized int queryDword(String name, int defaultValue) {
            return name != null && values.get(name) instanceof Integer i ? i : defaultValue;
        }

        @Override
        public synchronized String queryString(String name) {
            return name != null && values.get(name) instanceof String s ? s : null;
        }

        @Override
        public synchronized void setDword(String name, int value) {
            values.put(requireName(name), value);
        }

        @Override
        public synchronized void setString(String name, String value) {
            if (value == null) {
                throw new NullPointerException("value");
            }
            values.put(requireName(name), value);
        }

        @Override
        public synchronized boolean deleteValue(String name) {
            return name != null && values.remove(name) != null;
        }

        @Override
        public synchronized Set<String> valueNames() {
            return Set.copyOf(values.keySet());
        }

        @Override
        public void close() {}

        private static String requireName(String name) {
            if (name == null) {
                throw new NullPointerException("name");
            }
            return name;
        }
    }
}
