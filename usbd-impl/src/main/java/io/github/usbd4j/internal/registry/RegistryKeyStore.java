package io.github.usbd4j.internal.registry;

import io.github.usbd4j.ce.ClientRegistryKey;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;

/**
 * One registry key (CE's {@code HKEY}): {@code REG_DWORD} and {@code REG_SZ} values whose names ignore case,
 * as the registry's do. Every key the library opens is one: a USB client driver's
 * ({@code OpenClientRegistryKey}) and the device manager's device and Active keys, which read the same
 * values through either path.
 */
public final class RegistryKeyStore implements ClientRegistryKey {
    // guarded by this
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
        values.put(Objects.requireNonNull(name, "name"), value);
    }

    @Override
    public synchronized void setString(String name, String value) {
        values.put(Objects.requireNonNull(name, "name"), Objects.requireNonNull(value, "value"));
    }

    @Override
    public synchronized boolean deleteValue(String name) {
        return name != null && values.remove(name) != null;
    }

    /** The names as first written: a value written again under another case keeps its first name. */
    @Override
    public synchronized Set<String> valueNames() {
        return Set.copyOf(values.keySet());
    }

    @Override
    public void close() {}
}
