package io.github.usbd4j.internal.devmgr;

import io.github.usbd4j.internal.registry.RegistryKeyStore;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The device manager's part of {@code HKEY_LOCAL_MACHINE}: keys by path, case-insensitive as in CE, each a
 * {@link RegistryKeyStore} like a USB client driver's key.
 */
final class Registry {
    private final Map<String, RegistryKeyStore> keys = new ConcurrentHashMap<>();

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
    RegistryKeyStore open(String canonicalPath) {
        return keys.get(canonicalPath);
    }

    /** The key, created if absent. */
    RegistryKeyStore create(String canonicalPath) {
        return keys.computeIfAbsent(canonicalPath, p -> new RegistryKeyStore());
    }

    /** Deletes a key and its values. */
    void delete(String canonicalPath) {
        keys.remove(canonicalPath);
    }
}
